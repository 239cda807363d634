#!/usr/bin/env python3
"""Many masters failing at once, rsentinel beside redis-sentinel, in one run.

A host that runs several masters dies, or a switch cuts a rack off: every
master it held fails in the same second, and the sentinels hold one election
per master while each election's new epoch is shared by all of them. This
measures how the fleet copes.

For each trial (the two implementations alternate): N masters, each with one
replica (2N redis-servers on free loopback ports, fresh per trial since the
roles change), and three sentinels of one kind, each with
`sentinel monitor m{i} 127.0.0.1 {port} 2` for every master,
down-after-milliseconds --down-after, failover-timeout --failover-timeout,
parallel-syncs 1, a `logfile` and `loglevel notice`. Once every sentinel
lists every master with two other sentinels and one replica (plus 2 s), every
master gets SIGSTOP in one go. Then, every 100 ms, each sentinel is asked
SENTINEL MASTERS (the time each reply took is the client latency), until every
sentinel names every master's replica, or --timeout. Figures:

  all switched  seconds from the SIGSTOPs until the last master is switched on
                every sentinel (— if not within --timeout; then `switched`
                says how many were);
  median        the same for the median master;
  epochs        the highest epoch any sentinel reached (every election needs
                one epoch at least: N is the least possible);
  tries         `+try-failover` lines, summed over the three logs (N is the
                least possible: one candidate per master);
  elected       `+elected-leader` lines, summed (N if each master was won once);
  not elected   `-failover-abort-not-elected` lines, summed;
  sdown peers   `+sdown sentinel` lines, summed (a sentinel too busy to answer
                its peers; none is expected);
  client max    the slowest SENTINEL MASTERS reply during the failovers, ms.

    python3 bench/massfail.py [--masters 10,50] [--trials 3] [--down-after 5000]

Needs redis-server and redis-sentinel on PATH and target/release/rsentinel
(cargo build --release). Every process is stopped by PID at the end of its
trial, also on an error or ^C. The directory with the configs and logs is
kept with --keep.
"""
import argparse, os, shutil, signal, statistics, subprocess, sys, tempfile, time

import masters  # noqa: E402  (bench/ is the script's directory)
from fleet import free_port, stop_sentinels
from masters import KINDS, RSENTINEL, Conn, raise_nofile, start_redis, stop
from failover import wait_port

masters.free_port = free_port

POLL = 0.1


class Sentinel:
    def __init__(self, kind, root, index, pairs, a):
        self.kind, self.port = kind, free_port()
        self.dir = os.path.join(root, f"{kind}-{index}")
        os.mkdir(self.dir)
        self.conf = os.path.join(self.dir, "sentinel.conf")
        self.log = os.path.join(self.dir, "sentinel.log")
        with open(self.conf, "w") as f:
            f.write(f"bind 127.0.0.1\nport {self.port}\ndir {self.dir}\n"
                    f"logfile {self.log}\nloglevel {a.loglevel}\n")
            for i, (mport, _) in enumerate(pairs):
                f.write(f"sentinel monitor m{i} 127.0.0.1 {mport} 2\n"
                        f"sentinel down-after-milliseconds m{i} {a.down_after}\n"
                        f"sentinel failover-timeout m{i} {a.failover_timeout}\n"
                        f"sentinel parallel-syncs m{i} 1\n")
        exe = RSENTINEL if kind == "rsentinel" else "redis-sentinel"
        self.proc = subprocess.Popen([exe, self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def table(self):
        """SENTINEL MASTERS as {name: fields} and the ms the reply took; (None, ms) on an error."""
        t = time.monotonic()
        try:
            c = Conn(self.port, timeout=10)
            try:
                raw = c.call("SENTINEL", "MASTERS")
            finally:
                c.close()
            table = {f["name"]: f for f in (dict(zip(m[::2], m[1::2])) for m in raw)}
        except (OSError, RuntimeError):
            table = None
        return table, (time.monotonic() - t) * 1000

    def lines(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.readlines()
        except OSError:
            return []


def start_pairs(n, tmp):
    """n masters, each with one replica attached; [(master port, replica port)] and the processes."""
    pairs = [(free_port(), free_port()) for _ in range(n)]
    procs = []
    try:
        for mport, _ in pairs:
            procs.append(start_redis(mport, tmp))
        for mport, _ in pairs:
            wait_port(mport, 60)
        for mport, rport in pairs:
            procs.append(start_redis(rport, tmp, "--replicaof", "127.0.0.1", str(mport),
                                     "--repl-diskless-sync-delay", "0"))
        for _, rport in pairs:
            wait_port(rport, 60)
            end = time.monotonic() + 30
            while "master_link_status:up" not in "".join(Conn(rport).call("INFO", "replication")):
                if time.monotonic() > end:
                    raise RuntimeError(f"replica {rport} did not sync")
                time.sleep(0.05)
    except BaseException:
        stop(procs)
        raise
    return pairs, procs


def ready(table, n):
    return table is not None and len(table) == n and all(
        m.get("num-other-sentinels") == "2" and m.get("num-slaves") == "1" for m in table.values())


def trial(kind, n, a, root, label):
    tmp = os.path.join(root, label)
    os.mkdir(tmp)
    pairs, procs = start_pairs(n, tmp)
    sentinels = []
    try:
        sentinels = [Sentinel(kind, tmp, i, pairs, a) for i in range(3)]
        end = time.monotonic() + a.ready_timeout
        while not all(ready(s.table()[0], n) for s in sentinels):
            if time.monotonic() > end:
                raise RuntimeError(f"{kind}: the fleet did not discover {n} masters with replicas")
            time.sleep(0.25)
        time.sleep(2.0)
        t0 = time.monotonic()
        for p in procs[:n]:
            p.send_signal(signal.SIGSTOP)
        replica = {f"m{i}": str(r) for i, (_, r) in enumerate(pairs)}
        switched = {}  # master -> seconds when the last sentinel named its replica
        seen = [set() for _ in sentinels]
        worst = 0.0
        while len(switched) < n and time.monotonic() - t0 < a.timeout:
            tick = time.monotonic()
            for k, s in enumerate(sentinels):
                table, ms = s.table()
                worst = max(worst, ms)
                if table is None:
                    continue
                for name, f in table.items():
                    if f.get("port") == replica[name]:
                        seen[k].add(name)
            now = time.monotonic() - t0
            for name in replica:
                if name not in switched and all(name in s for s in seen):
                    switched[name] = now
            time.sleep(max(0.0, tick + POLL - time.monotonic()))
        logs = [s.lines() for s in sentinels]
        count = lambda needle: sum(needle in line for lines in logs for line in lines)
        epochs = [int(line.split("+new-epoch", 1)[1].split()[0])
                  for lines in logs for line in lines if "+new-epoch" in line]
        times = sorted(switched.values())
        return {
            "all": times[-1] if len(times) == n else None,
            "median": statistics.median(times) if len(times) * 2 > n else None,
            "switched": len(times),
            "epochs": max(epochs, default=0),
            "tries": count("+try-failover"),
            "elected": count("+elected-leader"),
            "not elected": count("-failover-abort-not-elected"),
            "sdown peers": count("+sdown sentinel"),
            "client max": worst,
        }
    finally:
        stop_sentinels(sentinels)
        stop(procs)


def fmt(v):
    if v is None:
        return "—"
    return f"{v:.1f}" if isinstance(v, float) else str(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--masters", default="10,50")
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--down-after", type=int, default=5000)
    ap.add_argument("--failover-timeout", type=int, default=60000)
    ap.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for every switch")
    ap.add_argument("--ready-timeout", type=float, default=120.0)
    ap.add_argument("--only", choices=KINDS, help="run one implementation only")
    ap.add_argument("--loglevel", default="notice", help="the sentinels' loglevel")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    raise_nofile()
    root = tempfile.mkdtemp(prefix="massfail-")
    metrics = ["all", "median", "switched", "epochs", "tries", "elected", "not elected",
               "sdown peers", "client max"]
    try:
        for n in [int(x) for x in a.masters.split(",")]:
            results = {k: [] for k in KINDS}
            for t in range(a.trials):
                order = KINDS if t % 2 == 0 else KINDS[::-1]
                for kind in order:
                    if a.only and kind != a.only:
                        continue
                    r = trial(kind, n, a, root, f"{n}-{t}-{kind}")
                    results[kind].append(r)
                    print(f"  {n} masters, trial {t + 1}, {kind}: " +
                          ", ".join(f"{m} {fmt(r[m])}" for m in metrics), file=sys.stderr, flush=True)
            print(f"\n{n} masters fail at once ({a.trials} trials, medians; rsentinel / redis-sentinel)\n")
            print("| metric | rsentinel | redis-sentinel |\n|---|---|---|")
            for m in metrics:
                cells = []
                for kind in KINDS:
                    vals = [r[m] for r in results[kind]]
                    if not vals:
                        cells.append("")
                        continue
                    known = [v for v in vals if v is not None]
                    med = statistics.median(known) if len(known) * 2 > len(vals) else None
                    cells.append(fmt(med) if not (m in ("all", "median") and None in vals)
                                 else fmt(med) + f" ({len(vals) - len(known)} missing)")
                print(f"| {m} | {cells[0]} | {cells[1]} |")
    finally:
        if a.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
