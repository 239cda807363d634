#!/usr/bin/env python3
"""Failover overhead, rsentinel beside redis-sentinel, in one run.

For each trial: a master, one replica and three sentinels (all rsentinel or
all redis-sentinel) on free loopback ports; once they agree, the master is
made to fail (SIGKILL, SIGSTOP or DEBUG SLEEP) and a writer hammers the
replica with SET until one is accepted. The overhead is the time from the
failure to the first accepted write, minus down-after-milliseconds: the part
of the failover the sentinels themselves are responsible for. Trials
alternate between the two implementations so machine noise hits both alike.

    python3 bench/failover.py [--trials 5] [--down-after 1000] [--modes kill,stop,sleep]

Needs redis-server and redis-sentinel on PATH and target/release/rsentinel
(cargo build --release).
"""
import argparse, os, signal, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RSENTINEL = os.path.join(ROOT, "target", "release", "rsentinel")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(port, *args, timeout=1.0):
    """One RESP command over a fresh connection; returns the raw reply or raises."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        req = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))
        s.sendall(req)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def wait_port(port, secs=10):
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"port {port} never opened")


def redis(port, *extra):
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes",
                          "--dir", tempfile.gettempdir(), *extra],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return p


def sentinel(kind, port, master_port, down_after, tmp):
    conf = os.path.join(tmp, f"s{port}.conf")
    with open(conf, "w") as f:
        f.write(f"bind 127.0.0.1\nport {port}\nsentinel monitor m 127.0.0.1 {master_port} 2\n"
                f"sentinel down-after-milliseconds m {down_after}\nsentinel failover-timeout m 10000\n")
    exe = [RSENTINEL, conf] if kind == "rsentinel" else ["redis-sentinel", conf]
    p = subprocess.Popen(exe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return p


def agreed(ports):
    for p in ports:
        reply = command(p, "SENTINEL", "MASTER", "m").decode(errors="replace")
        if "num-other-sentinels\r\n$1\r\n2" not in reply or "num-slaves\r\n$1\r\n1" not in reply:
            return False
    return True


def trial(kind, mode, down_after):
    procs = []
    tmp = tempfile.mkdtemp(prefix="rsbench-")
    try:
        mport, rport = free_port(), free_port()
        master = redis(mport)
        procs.append(master)
        procs.append(redis(rport, "--replicaof", "127.0.0.1", str(mport)))
        sports = [free_port() for _ in range(3)]
        for sp in sports:
            procs.append(sentinel(kind, sp, mport, down_after, tmp))
        end = time.time() + 30
        while not agreed(sports):
            if time.time() > end:
                raise RuntimeError(f"{kind}: sentinels did not agree")
            time.sleep(0.1)
        time.sleep(1.0)  # let the replica's INFO and links settle
        t0 = time.monotonic()
        if mode == "kill":
            master.send_signal(signal.SIGKILL)
        elif mode == "stop":
            master.send_signal(signal.SIGSTOP)
        else:
            s = socket.create_connection(("127.0.0.1", mport))
            s.sendall(b"DEBUG SLEEP 30\r\n")
        deadline = t0 + down_after / 1000 + 30
        while time.monotonic() < deadline:
            try:
                if command(rport, "SET", "bench", "1", timeout=0.2).startswith(b"+OK"):
                    return (time.monotonic() - t0) * 1000 - down_after
            except OSError:
                pass
            time.sleep(0.001)
        raise RuntimeError(f"{kind}/{mode}: no write accepted within 30 s after down-after")
    finally:
        for p in procs:
            try:
                p.send_signal(signal.SIGCONT)
                p.kill()
                p.wait()
            except Exception:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--down-after", type=int, default=1000)
    ap.add_argument("--modes", default="kill,stop,sleep")
    a = ap.parse_args()
    if not os.path.exists(RSENTINEL):
        sys.exit("build first: cargo build --release")
    results = {}
    for mode in a.modes.split(","):
        for i in range(a.trials):
            for kind in ("rsentinel", "redis-sentinel"):
                ms = trial(kind, mode, a.down_after)
                results.setdefault((mode, kind), []).append(ms)
                print(f"{mode:6} {kind:15} trial {i + 1}: {ms:8.1f} ms after down-after", flush=True)
    print(f"\nmedian overhead after down-after-milliseconds ({a.down_after} ms), {a.trials} trials each:")
    print(f"{'failure':10} {'rsentinel':>12} {'redis-sentinel':>16}")
    for mode in a.modes.split(","):
        r = statistics.median(results[(mode, "rsentinel")])
        s = statistics.median(results[(mode, "redis-sentinel")])
        print(f"{mode:10} {r:10.0f} ms {s:14.0f} ms")


if __name__ == "__main__":
    main()
