#!/usr/bin/env python3
"""Cost of a fleet of three sentinels, rsentinel beside redis-sentinel, in one run.

bench/masters.py measures one sentinel; production runs three per master set,
and the peers' hellos add a cost of their own (issue 10). For each N in
--masters, N redis-servers are started on free loopback ports (one per master),
shared by both implementations and killed once N is done. For each trial,
three sentinels of one kind, then three of the other (the order alternates
from trial to trial), are started, each in its own directory with
`sentinel monitor m{i} 127.0.0.1 {port} 2` for every master, default timings,
a `logfile` and `loglevel notice`, and measured:

  discovery  seconds from the start until every sentinel lists every master
             with num-other-sentinels 2 (SENTINEL MASTERS of each sentinel not
             yet complete, polled every 250 ms; after --ready-timeout the
             trial is marked and measured anyway);
  sdown      `+sdown sentinel` lines in the three logs at the end (a peer
             judged down during discovery or idle: none is expected on an idle
             loopback);
  idle CPU   utime+stime (/proc/PID/stat) of each sentinel over --idle
             seconds starting 2 s after discovery, as % of a core: the median
             of the three and the highest;
  RSS        VmRSS (/proc/PID/status) of each at the end, median of three;
  last write the config file's mtime minus the start (when the sentinel last
             saved what it learned), median of three.

The three are stopped with SIGTERM, then SIGKILL after 5 s, by PID, also on an
error or ^C. Each metric gets one table: rows N, columns rsentinel and
redis-sentinel (medians of the trials; sdown: the highest trial) and their ratio.

    python3 bench/fleet.py [--masters 1,10,100,1000] [--trials 3] [--idle 20] [--json]
    python3 bench/fleet.py --quick     # masters 1,10,100, one trial, 10 s idle

Needs redis-server and redis-sentinel on PATH and target/release/rsentinel
(cargo build --release). Raises the open-file soft limit to the hard limit
when that is allowed (1000 masters need about 2000 descriptors per sentinel).
The temporary directory (configs, logs) is removed at the end unless a trial
was anomalous (not discovered in time, a peer judged down) or --keep is given.
"""
import argparse, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

import masters  # noqa: E402  (bench/ is the script's directory)
from masters import CLK_TCK, KINDS, RSENTINEL, cpu_ticks, raise_nofile, rss_mb, start_servers, stop

POLL = 0.25
SETTLE = 2.0
STOP_GRACE = 5.0
# The lead's lab and benchmarks; free_port() never hands these out.
FORBIDDEN = [(6379, 6380), (5000, 5002), (21000, 22999), (26900, 27200)]
_kernel_free_port = masters.free_port


def free_port():
    """A free loopback port from the kernel, never one of FORBIDDEN."""
    while True:
        port = _kernel_free_port()
        if not any(lo <= port <= hi for lo, hi in FORBIDDEN):
            return port


masters.free_port = free_port  # start_servers() takes its ports from here too


def resp(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))


MASTERS_THEN_PING = resp("SENTINEL", "MASTERS") + resp("PING")
NAME = b"$4\r\nname\r\n"  # opens each master's fields; no value here is "name"
OTHERS = re.compile(rb"\$19\r\nnum-other-sentinels\r\n\$\d+\r\n(\d+)\r\n")


def masters_raw(port, timeout=5.0):
    """The bytes of the reply to SENTINEL MASTERS, read up to the PONG sent after it.

    The PONG marks the end, so the reply (about 1 MB at 1000 masters) is not
    parsed element by element in Python; the caller scans it with C-speed
    searches. Polling three sentinels every 250 ms that way costs a few ms
    per round at 1000 masters instead of a large share of a core."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(MASTERS_THEN_PING)
        chunks, tail = [], b""
        while not tail.endswith(b"+PONG\r\n"):
            chunk = s.recv(1 << 20)
            if not chunk:
                raise ConnectionError("connection closed")
            chunks.append(chunk)
            tail = (tail + chunk)[-7:]
        return b"".join(chunks)


def discovered(port, n):
    """True when SENTINEL MASTERS lists n masters, each with 2 other sentinels."""
    try:
        raw = masters_raw(port)
    except OSError:
        return False  # not listening yet, or late: asked again at the next poll
    others = OTHERS.findall(raw)
    return raw.count(NAME) == n and len(others) == n and all(int(x) >= 2 for x in others)


class Sentinel:
    def __init__(self, kind, root, index, servers, per_master="", loglevel="notice"):
        """servers: the masters' ports; per_master: more lines for each master, with {name}."""
        self.kind, self.port = kind, free_port()
        self.dir = os.path.join(root, f"{kind}-{index}")
        os.mkdir(self.dir)
        self.conf = os.path.join(self.dir, "sentinel.conf")
        self.log = os.path.join(self.dir, "sentinel.log")
        with open(self.conf, "w") as f:
            f.write(f"bind 127.0.0.1\nport {self.port}\ndir {self.dir}\n"
                    f"logfile {self.log}\nloglevel {loglevel}\n")
            f.writelines(f"sentinel monitor m{i} 127.0.0.1 {mport} 2\n" + per_master.format(name=f"m{i}")
                         for i, mport in enumerate(servers))
        self.proc = None
        self.discovered = None  # seconds from the start

    def start(self):
        exe = RSENTINEL if self.kind == "rsentinel" else "redis-sentinel"
        self.proc = subprocess.Popen([exe, self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.kind} on port {self.port} exited with {self.proc.returncode}; "
                               f"log tail:\n{self.log_tail()}")

    def log_tail(self, lines=10):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def count(self, needle):
        try:
            with open(self.log, errors="replace") as f:
                return sum(needle in line for line in f)
        except OSError:
            return 0


def stop_sentinels(sentinels):
    """SIGTERM to each, SIGKILL to those still running 5 s later; a ^C meanwhile kills at once."""
    procs = [s.proc for s in sentinels if s.proc is not None]
    try:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        end = time.monotonic() + STOP_GRACE
        for p in procs:
            try:
                p.wait(timeout=max(0.0, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def wait_discovery(sentinels, n, started, timeout):
    """Polls each sentinel not yet complete; sets .discovered; the slowest's time, None after timeout."""
    end = started + timeout
    pending = list(sentinels)
    while pending and time.monotonic() < end:
        tick = time.monotonic()
        for s in list(pending):
            s.check_alive()
            if discovered(s.port, n):
                s.discovered = time.monotonic() - started
                pending.remove(s)
        if pending:
            time.sleep(max(0.0, tick + POLL - time.monotonic()))
    return None if pending else max(s.discovered for s in sentinels)


def trial(kind, servers, a, root, label):
    """Three sentinels of `kind` monitoring every server with quorum 2; returns {metric: value}."""
    tmp = os.path.join(root, label)
    os.mkdir(tmp)
    sentinels = [Sentinel(kind, tmp, i, servers) for i in range(3)]
    try:
        started, wall = time.monotonic(), time.time()
        for s in sentinels:
            s.start()
        disc = wait_discovery(sentinels, len(servers), started, a.ready_timeout)
        time.sleep(SETTLE)
        for s in sentinels:
            s.check_alive()
        pids = [s.proc.pid for s in sentinels]
        t0, c0 = time.monotonic(), [cpu_ticks(pid) for pid in pids]
        time.sleep(a.idle)
        t1, c1 = time.monotonic(), [cpu_ticks(pid) for pid in pids]
        for s in sentinels:
            s.check_alive()
        cpu = [(e - b) / CLK_TCK / (t1 - t0) * 100 for b, e in zip(c0, c1)]
        return {
            "discovery": disc,
            "discovered_each": [s.discovered for s in sentinels],
            "sdown": sum(s.count("+sdown sentinel ") for s in sentinels),
            "sdown_master": sum(s.count("+sdown master ") for s in sentinels),
            "cpu_each": cpu,
            "cpu_median": statistics.median(cpu),
            "cpu_max": max(cpu),
            "rss_each": [rss_mb(pid) for pid in pids],
            "rss": statistics.median(rss_mb(pid) for pid in pids),
            "last_write": statistics.median(os.stat(s.conf).st_mtime - wall for s in sentinels),
            "dir": tmp,
        }
    finally:
        stop_sentinels(sentinels)


# (key, title, unit, format, aggregate over trials)
METRICS = [
    ("discovery", "discovery: start until every sentinel lists every master with 2 other sentinels",
     "s", "{:.1f}", "median"),
    ("sdown", "`+sdown sentinel` lines in the three logs (discovery and idle), highest trial",
     "lines", "{:.0f}", "max"),
    ("cpu_median", "idle CPU, median of the three sentinels", "% of a core", "{:.2f}", "median"),
    ("cpu_max", "idle CPU, highest of the three sentinels", "% of a core", "{:.2f}", "median"),
    ("rss", "RSS at the end, median of the three", "MB", "{:.1f}", "median"),
    ("last_write", "config file last written, seconds after the start, median of the three",
     "s", "{:.1f}", "median"),
]


def aggregate(trials, key, how):
    """Median (or max) over trials; a discovery that timed out counts as infinite."""
    vals = [float("inf") if r[key] is None else r[key] for r in trials]
    return max(vals) if how == "max" else statistics.median(vals)


def ratio(x, y):
    if x is None or y is None or y == 0 or float("inf") in (x, y):
        return None
    return x / y


def summary(ns, results):
    """{metric: {N: {kind: value, "ratio": rsentinel / redis-sentinel}}}; inf becomes None."""
    out = {}
    for key, _, _, _, how in METRICS:
        out[key] = {}
        for n in ns:
            cells = {kind: aggregate(results[(kind, n)], key, how) for kind in KINDS}
            row = {kind: (None if v == float("inf") else v) for kind, v in cells.items()}
            row["ratio"] = ratio(*(cells[k] for k in KINDS))
            row["late"] = {kind: sum(r["discovery"] is None for r in results[(kind, n)]) for kind in KINDS}
            out[key][n] = row
    return out


def fmt_tables(ns, summ, a):
    out = [f"three sentinels per kind, quorum 2, default timings; medians of {a.trials} alternating "
           f"trial{'s' if a.trials > 1 else ''} (idle {a.idle:g} s); rsentinel / redis-sentinel 7.0.15", ""]
    for key, title, unit, fmt, _ in METRICS:
        out += [f"{title} ({unit}):", "", "| masters | rsentinel | redis-sentinel | ratio |", "|---|---|---|---|"]
        for n in ns:
            row = summ[key][n]

            def cell(kind):
                v = row[kind]
                text = "—" if v is None else fmt.format(v)
                return text + ("*" if row["late"][kind] and key != "discovery" else "")
            r = "—" if row["ratio"] is None else f"{row['ratio']:.2f}"
            out.append(f"| {n} | {cell('rsentinel')} | {cell('redis-sentinel')} | {r} |")
        out.append("")
    out.append(f"— : not discovered within {a.ready_timeout:g} s (or no ratio: a zero or missing cell); "
               "* : at least one trial was not discovered in time and was measured anyway.")
    return "\n".join(out)


def fmt_trial(n, kind, t, r):
    each = "/".join("—" if d is None else f"{d:.1f}" for d in r["discovered_each"])
    disc = "—" if r["discovery"] is None else f"{r['discovery']:.1f}"
    return (f"{n:5} masters {kind:15} trial {t + 1}: discovery {disc} s ({each}), "
            f"+sdown sentinel {r['sdown']} (master {r['sdown_master']}), "
            f"idle CPU {'/'.join(f'{c:.2f}' for c in r['cpu_each'])} %, "
            f"RSS {'/'.join(f'{m:.1f}' for m in r['rss_each'])} MB, last write {r['last_write']:.1f} s")


def main():
    ap = argparse.ArgumentParser(description="three sentinels per kind monitoring N masters")
    ap.add_argument("--masters", default="1,10,100,1000")
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--idle", type=float, default=20)
    ap.add_argument("--ready-timeout", type=float, default=600, help="seconds; then measured anyway")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout (progress on stderr)")
    ap.add_argument("--keep", action="store_true", help="keep the configs and logs")
    ap.add_argument("--quick", action="store_true", help="masters 1,10,100, one trial, 10 s idle")
    a = ap.parse_args()
    if a.quick:
        a.masters, a.trials, a.idle = "1,10,100", 1, 10
    if not os.path.exists(RSENTINEL):
        sys.exit("build first: cargo build --release")
    ns = [int(n) for n in a.masters.split(",")]
    nofile = raise_nofile()
    if nofile < 2 * max(ns) + 200:
        sys.exit(f"open-file limit {nofile} is too low for {max(ns)} masters (each sentinel needs two links per master)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    progress = sys.stderr if a.json else sys.stdout
    root = tempfile.mkdtemp(prefix="rsbench-fleet-")
    results, keep = {}, a.keep
    try:
        for n in ns:
            ports, servers = start_servers(n, root)
            try:
                for t in range(a.trials):
                    for kind in (KINDS if t % 2 == 0 else KINDS[::-1]):
                        r = trial(kind, ports, a, root, f"n{n}-t{t + 1}-{kind}")
                        results.setdefault((kind, n), []).append(r)
                        print(fmt_trial(n, kind, t, r), file=progress, flush=True)
                        keep = keep or r["discovery"] is None or r["sdown"] > 0
            finally:
                stop(servers)
    except (KeyboardInterrupt, SystemExit):
        raise  # ^C or SIGTERM: stopped on purpose, nothing to look at
    except BaseException:
        keep = True
        raise
    finally:
        if keep:
            print(f"configs and logs kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    summ = summary(ns, results)
    if a.json:
        json.dump({"args": vars(a), "summary": summ,
                   "trials": {kind: {n: results[(kind, n)] for n in ns} for kind in KINDS}},
                  sys.stdout, indent=1)
        print()
    else:
        print()
        print(fmt_tables(ns, summ, a))


if __name__ == "__main__":
    main()
