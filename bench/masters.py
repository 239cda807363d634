#!/usr/bin/env python3
"""Cost of many masters, rsentinel beside redis-sentinel, in one run.

For each N in --masters: N redis-servers are started on free loopback ports
(one per master, since a master is known by its address), shared by both
implementations and killed once N is done. For each trial, one sentinel of
each implementation in turn (the order alternates from trial to trial) is
started with `sentinel monitor m{i} 127.0.0.1 {port} 1` for every master and
default timings, and measured:

  ready    time from the process start until SENTINEL MASTERS lists every
           master with a non-empty run id (polled every 20 ms);
  idle CPU utime+stime of the sentinel (/proc/PID/stat) over --idle seconds,
           as % of one core, starting 1 s after every master is ready;
  RSS      VmRSS (/proc/PID/status) at the end of the idle window;
  queries  redis-benchmark -c 50 -n 200000 -q, without and with -P 16, for
           SENTINEL get-master-addr-by-name m0, PING and SENTINEL MASTER m0.

Then (unless --no-failover), for N = 1 and N = max: one sentinel, where m0 is
a fresh master with one replica (down-after-milliseconds 1000, quorum 1) and
m1.. are the shared servers; once the replica is known, m0 gets SIGSTOP and
the figure is the time until the sentinel publishes +switch-master.

A sentinel not ready within --ready-timeout (default 120 s) is measured
anyway and its cells are marked (— for the missing time, * for CPU and RSS
taken while it was still starting up); redis-benchmark is bounded to 120 s.
The table holds medians of the alternating trials; the machine's other load
hits both implementations alike but still widens the spread.

    python3 bench/masters.py [--masters 1,10,100,1000] [--trials 3] [--idle 15]
    python3 bench/masters.py --quick     # masters 1,10,100, one trial, 5 s idle

Needs redis-server, redis-sentinel and redis-benchmark on PATH and
target/release/rsentinel (cargo build --release). Raises the open-file soft
limit to the hard limit when that is allowed.
"""
import argparse, os, re, resource, signal, socket, statistics, subprocess, sys, tempfile, time

from failover import wait_port  # noqa: E402  (bench/ is the script's directory)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RSENTINEL = os.path.join(ROOT, "target", "release", "rsentinel")
KINDS = ("rsentinel", "redis-sentinel")
CLK_TCK = os.sysconf("SC_CLK_TCK")
QUERIES = [("get-master-addr", ["SENTINEL", "get-master-addr-by-name", "m0"]),
           ("PING", ["PING"]),
           ("SENTINEL MASTER", ["SENTINEL", "MASTER", "m0"])]
USED_PORTS = set()


def free_port():
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in USED_PORTS:
            USED_PORTS.add(port)
            return port


class Conn:
    """One RESP connection with a reader for whole replies (arrays included).

    The reader walks an offset through its buffer and drops what it has read only when it refills,
    so a reply of a thousand masters parses in linear time (slicing the buffer at every line made
    the parse quadratic: 1.2 s for one SENTINEL MASTERS of 1000 masters, longer than either
    sentinel takes to be ready)."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.pos = 0

    def close(self):
        self.sock.close()

    def send(self, *args):
        self.sock.sendall(b"*%d\r\n" % len(args) +
                          b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args)))

    def call(self, *args):
        self.send(*args)
        return self.reply()

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line, self.pos = self.buf[self.pos:i], i + 2
                return line
            self._fill()

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) - self.pos < n + 2:
                self._fill()
            data, self.pos = self.buf[self.pos:self.pos + n], self.pos + n + 2
            return data.decode(errors="replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line[:40]!r}")


def start_redis(port, tmp, *extra):
    return subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--daemonize", "no", "--maxclients", "64",
                             "--dir", tmp, *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_sentinel(kind, port, masters, tmp, extra=""):
    """masters: list of (name, port); extra: more config lines."""
    conf = os.path.join(tmp, f"{kind}-{port}.conf")
    with open(conf, "w") as f:
        f.write(f"bind 127.0.0.1\nport {port}\ndir {tmp}\n")
        f.writelines(f"sentinel monitor {name} 127.0.0.1 {mport} 1\n" for name, mport in masters)
        f.write(extra)
    exe = [RSENTINEL, conf] if kind == "rsentinel" else ["redis-sentinel", conf]
    return subprocess.Popen(exe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(procs):
    for p in procs:
        try:
            p.send_signal(signal.SIGCONT)
            p.kill()
        except Exception:
            pass
    for p in procs:
        try:
            p.wait(timeout=10)
        except Exception:
            pass


def masters_table(port):
    """SENTINEL MASTERS as {name: {field: value}}; None while the port is closed or the reply is late."""
    try:
        c = Conn(port)
    except OSError:
        return None
    try:
        return {f["name"]: f for f in (dict(zip(m[::2], m[1::2])) for m in c.call("SENTINEL", "MASTERS"))}
    except OSError:
        return None
    finally:
        c.close()


RUNID = re.compile(rb"\$5\r\nrunid\r\n\$(\d+)\r\n")
NAME = re.compile(rb"\$4\r\nname\r\n")


def masters_ready(port):
    """(masters listed, of them with a run id) from one SENTINEL MASTERS; None while the port is closed.

    Counted by regular expressions over the raw reply rather than parsed, so that a poll of a
    thousand masters costs milliseconds and the ready time is not the poller's; a PING sent with it
    marks the reply's end."""
    try:
        c = Conn(port)
    except OSError:
        return None
    try:
        c.send("SENTINEL", "MASTERS")
        c.send("PING")
        chunks = []
        tail = b""
        while not tail.endswith(b"+PONG\r\n"):
            chunk = c.sock.recv(1 << 20)
            if not chunk:
                return None
            chunks.append(chunk)
            tail = (tail + chunk)[-16:]
        raw = b"".join(chunks)
        return len(NAME.findall(raw)), sum(1 for m in RUNID.finditer(raw) if int(m.group(1)) > 0)
    except OSError:
        return None
    finally:
        c.close()


def wait_ready(port, n, started, timeout, extra_check=None):
    """Seconds from `started` until every one of n masters has a run id; None after `timeout`.
    `extra_check(table)`, when given, must also hold of the parsed SENTINEL MASTERS."""
    end = started + timeout
    while time.monotonic() < end:
        counts = masters_ready(port)
        if counts == (n, n) and (extra_check is None or extra_check(masters_table(port) or {})):
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def bench(port, args, pipeline, requests=200000, conn=()):
    """Requests per second (None when redis-benchmark gave none in 120 s);
    `conn`: more connection options (--tls ...)."""
    cmd = ["redis-benchmark", "-p", str(port), "-c", "50", "-n", str(requests), "-q", *conn]
    if pipeline:
        cmd += ["-P", str(pipeline)]
    try:
        out = subprocess.run(cmd + args, capture_output=True, text=True, timeout=120).stdout
    except subprocess.TimeoutExpired:
        return None
    found = re.findall(r"([\d.]+) requests per second", out)
    if not found:
        raise RuntimeError(f"redis-benchmark {' '.join(args)}: no result in {out[-200:]!r}")
    return float(found[-1])


def trial(kind, servers, a, tmp):
    """One sentinel of `kind` monitoring every server; returns {metric: value}."""
    port = free_port()
    masters = [(f"m{i}", p) for i, p in enumerate(servers)]
    started = time.monotonic()
    p = start_sentinel(kind, port, masters, tmp)
    try:
        ready = wait_ready(port, len(masters), started, a.ready_timeout)
        res = {"ready": None if ready is None else ready * 1000}
        time.sleep(1.0)  # let the start-up's last replies settle (or measure anyway after a timeout)
        t0, c0 = time.monotonic(), cpu_ticks(p.pid)
        time.sleep(a.idle)
        t1, c1 = time.monotonic(), cpu_ticks(p.pid)
        res["cpu"] = (c1 - c0) / CLK_TCK / (t1 - t0) * 100
        res["rss"] = rss_mb(p.pid)
        for label, args in QUERIES:
            for pipeline in (0, 16):
                res[(label, pipeline)] = bench(port, args, pipeline)
        return res
    finally:
        stop([p])


def failover(kind, servers, a, tmp):
    """ms from SIGSTOP of m0 (master + 1 replica, down-after 1000) to +switch-master."""
    mport, rport, sport = free_port(), free_port(), free_port()
    procs = [start_redis(mport, tmp), start_redis(rport, tmp, "--replicaof", "127.0.0.1", str(mport))]
    try:
        wait_port(mport, 20)
        wait_port(rport, 20)
        masters = [("m0", mport)] + [(f"m{i}", p) for i, p in enumerate(servers[1:], 1)]
        started = time.monotonic()
        procs.append(start_sentinel(kind, sport, masters, tmp, "sentinel down-after-milliseconds m0 1000\n"))
        if wait_ready(sport, len(masters), started, a.ready_timeout,
                      lambda t: t["m0"].get("num-slaves") == "1") is None:
            return None
        time.sleep(1.0)  # the replica's INFO and the links settle
        sub = Conn(sport, timeout=60)
        sub.call("SUBSCRIBE", "+switch-master")
        t0 = time.monotonic()
        procs[0].send_signal(signal.SIGSTOP)
        try:
            msg = sub.reply()
        except TimeoutError:
            print(f"  {kind}: no +switch-master within 60 s", file=sys.stderr)
            return None
        ms = (time.monotonic() - t0) * 1000
        sub.close()
        if not (msg[0] == "message" and msg[2].split()[0] == "m0"):
            raise RuntimeError(f"unexpected message {msg!r}")
        return ms
    finally:
        stop(procs)


def start_servers(n, tmp):
    ports = [free_port() for _ in range(n)]
    procs = []
    try:
        for port in ports:
            procs.append(start_redis(port, tmp))
        for port in ports:
            wait_port(port, 60)
    except BaseException:
        stop(procs)
        raise
    return ports, procs


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def median(vals, missing):
    """Median with None (timed out) counted as `missing` (inf for times, -inf for throughputs)."""
    return statistics.median(missing if v is None else v for v in vals)


def show(v, f):
    return "—" if v is None or abs(v) == float("inf") else f(v)


def fmt_table(ns, results, fo, a):
    def cell(kind, n, key, missing, f):
        rs = results[(kind, n)]
        late = any(r["ready"] is None for r in rs) and key in ("cpu", "rss")
        return show(median([r[key] for r in rs], missing), f) + ("*" if late else "")

    def row(label, key, unit, missing, f):
        return f"| {label} ({unit}) | " + " | ".join(
            f"{cell('rsentinel', n, key, missing, f)} / {cell('redis-sentinel', n, key, missing, f)}"
            for n in ns) + " |"

    inf = float("inf")
    lines = ["| rsentinel / redis-sentinel | " + " | ".join(f"{n} master{'s' if n > 1 else ''}" for n in ns) + " |",
             "|---|" + "---|" * len(ns),
             row("idle CPU", "cpu", "% of a core", inf, lambda v: f"{v:.2f}"),
             row("RSS", "rss", "MB", inf, lambda v: f"{v:.1f}"),
             row("ready", "ready", "ms", inf, lambda v: f"{v:.0f}")]
    for label, _ in QUERIES:
        for pipeline in (0, 16):
            name = f"{label}{' -P 16' if pipeline else ''}"
            lines.append(row(name, (label, pipeline), "k req/s", -inf, lambda v: f"{v / 1000:.0f}"))
    out = [f"medians of {a.trials} alternating trial{'s' if a.trials > 1 else ''} per cell (idle {a.idle:g} s), "
           f"one sentinel, rsentinel / redis-sentinel 7.0.15:", ""] + lines
    if fo:
        out += ["", "failover of m0 (SIGSTOP to +switch-master, down-after 1000, quorum 1), median ms:", "",
                "| masters monitored | rsentinel | redis-sentinel |", "|---|---|---|"]
        for n in sorted({n for _, n in fo}):
            out.append(f"| {n} | {show(median(fo[('rsentinel', n)], inf), lambda v: f'{v:.0f}')} | "
                       f"{show(median(fo[('redis-sentinel', n)], inf), lambda v: f'{v:.0f}')} |")
    out += ["", f"— : not every master ready within {a.ready_timeout:g} s (ready, failover), or redis-benchmark "
            "not done within 120 s; * : at least one trial was not ready, measured anyway while starting up."]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--masters", default="1,10,100,1000")
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--idle", type=float, default=15)
    ap.add_argument("--ready-timeout", type=float, default=120, help="seconds; then measured anyway")
    ap.add_argument("--no-failover", action="store_true")
    ap.add_argument("--quick", action="store_true", help="masters 1,10,100, one trial, 5 s idle")
    a = ap.parse_args()
    if a.quick:
        a.masters, a.trials, a.idle = "1,10,100", 1, 5
    if not os.path.exists(RSENTINEL):
        sys.exit("build first: cargo build --release")
    ns = [int(n) for n in a.masters.split(",")]
    nofile = raise_nofile()
    if nofile < 3 * max(ns) + 100:
        sys.exit(f"open-file limit {nofile} is too low for {max(ns)} masters")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tmp = tempfile.mkdtemp(prefix="rsbench-masters-")
    results, fo = {}, {}
    for n in ns:
        ports, servers = start_servers(n, tmp)
        try:
            for t in range(a.trials):
                for kind in (KINDS if t % 2 == 0 else KINDS[::-1]):
                    r = trial(kind, ports, a, tmp)
                    results.setdefault((kind, n), []).append(r)
                    print(f"{n:5} masters {kind:15} trial {t + 1}: "
                          f"ready {show(r['ready'], lambda v: f'{v:.0f}')} ms, "
                          f"idle CPU {r['cpu']:.2f} %, RSS {r['rss']:.1f} MB, "
                          + ", ".join(f"{label}{'/P16' if pl else ''} "
                                      f"{show(r[(label, pl)], lambda v: f'{v / 1000:.0f}')}k"
                                      for label, _ in QUERIES for pl in (0, 16)), flush=True)
            if not a.no_failover and n in (1, max(ns)):
                for t in range(a.trials):
                    for kind in (KINDS if t % 2 == 0 else KINDS[::-1]):
                        ms = failover(kind, ports, a, tmp)
                        fo.setdefault((kind, n), []).append(ms)
                        print(f"{n:5} masters {kind:15} failover trial {t + 1}: "
                              f"{show(ms, lambda v: f'{v:.0f}')} ms", flush=True)
        finally:
            stop(servers)
    print()
    print(fmt_table(ns, results, fo, a))


if __name__ == "__main__":
    main()
