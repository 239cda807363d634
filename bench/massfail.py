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
master gets SIGSTOP in one go. Then, every 100 ms, each sentinel is sent a
PING (timed) and asked SENTINEL MASTERS, until every sentinel names every
master's replica, or --timeout. Figures:

  all switched  seconds from the SIGSTOPs until the last master is switched on
                every sentinel (— if not within --timeout; then `switched`
                says how many were);
  median        the same for the median master;
  epochs        the highest epoch any sentinel reached (every election needs
                one epoch at least: N is the least possible);
  tries         `+try-failover` lines, summed over the three logs (N is the
                least possible: one candidate per master);
  elected       `+elected-leader` lines, summed (N if each master was won once);
  all led       seconds from the SIGSTOPs until the last master's first
                `+elected-leader` (from the log lines' times);
  two leaders   masters for which more than one sentinel logged `+elected-leader`
                (each would promote a replica; 0 is the only good figure);
  not elected   `-failover-abort-not-elected` lines, summed;
  sdown peers   `+sdown sentinel` lines, summed (a sentinel too busy to answer
                its peers; none is expected);
  ping max      the slowest reply to a client's PING (one per sentinel every
                100 ms) during the failovers, ms.

    python3 bench/massfail.py [--masters 10,50] [--trials 3] [--down-after 5000]
    python3 bench/massfail.py --masters 1000 --replicas 0 --timeout 45

With --replicas 0 (masters alone, so no failover can complete) the trial runs
for --timeout seconds and shows how the fleet copes with the elections alone
(all switched is then —).

Needs redis-server and redis-sentinel on PATH and target/release/rsentinel
(cargo build --release). Every process is stopped by PID at the end of its
trial, also on an error or ^C. The directory with the configs and logs is
kept with --keep.
"""
import argparse, datetime, os, shutil, signal, statistics, sys, tempfile, time

import masters  # noqa: E402  (bench/ is the script's directory)
import fleet
from fleet import free_port, stop_sentinels
from masters import KINDS, Conn, raise_nofile, start_redis, stop
from failover import wait_port

masters.free_port = free_port

POLL = 0.1


class Sentinel(fleet.Sentinel):
    def __init__(self, kind, root, index, pairs, a):
        per_master = (f"sentinel down-after-milliseconds {{name}} {a.down_after}\n"
                      f"sentinel failover-timeout {{name}} {a.failover_timeout}\n"
                      "sentinel parallel-syncs {name} 1\n")
        super().__init__(kind, root, index, [m for m, _ in pairs], per_master, a.loglevel)
        self.start()

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

    def ping_ms(self):
        """ms a PING took on a new connection (the timeout, 10 s, if it got no reply)."""
        t = time.monotonic()
        try:
            c = Conn(self.port, timeout=10)
            try:
                c.call("PING")
            finally:
                c.close()
        except (OSError, RuntimeError):
            return 10000.0
        return (time.monotonic() - t) * 1000

    def lines(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.readlines()
        except OSError:
            return []


def start_pairs(n, tmp, replicas=1):
    """n masters, each with one replica attached (or none); [(master port, replica port or None)]
    and the processes, masters first."""
    pairs = [(free_port(), free_port() if replicas else None) for _ in range(n)]
    procs = []
    try:
        for mport, _ in pairs:
            procs.append(start_redis(mport, tmp))
        for mport, _ in pairs:
            wait_port(mport, 60)
        for mport, rport in pairs:
            if rport:
                procs.append(start_redis(rport, tmp, "--replicaof", "127.0.0.1", str(mport),
                                         "--repl-diskless-sync-delay", "0"))
        for _, rport in pairs:
            if not rport:
                continue
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


def ready(table, n, replicas):
    return table is not None and len(table) == n and all(
        m.get("num-other-sentinels") == "2" and m.get("num-slaves") == str(replicas)
        for m in table.values())


def log_time(line):
    """The wall-clock time of a log line `pid:X 30 Nov 2026 21:32:53.401 # ...`."""
    stamp = " ".join(line.split()[1:5])
    return datetime.datetime.strptime(stamp, "%d %b %Y %H:%M:%S.%f").timestamp()


def leaders(logs, wall0):
    """{master: (seconds from wall0 to its first +elected-leader, {sentinels that logged one})}."""
    led = {}
    for k, lines in enumerate(logs):
        for line in lines:
            if "+elected-leader master " in line:
                name = line.split("+elected-leader master ", 1)[1].split()[0]
                at, who = led.get(name, (float("inf"), set()))
                who.add(k)
                led[name] = (min(at, log_time(line) - wall0), who)
    return led


def trial(kind, n, a, root, label):
    tmp = os.path.join(root, label)
    os.mkdir(tmp)
    pairs, procs = start_pairs(n, tmp, a.replicas)
    sentinels = []
    try:
        sentinels = [Sentinel(kind, tmp, i, pairs, a) for i in range(3)]
        end = time.monotonic() + a.ready_timeout
        while not all(ready(s.table()[0], n, a.replicas) for s in sentinels):
            if time.monotonic() > end:
                raise RuntimeError(f"{kind}: the fleet did not discover {n} masters with replicas")
            time.sleep(0.25)
        time.sleep(2.0)
        t0, wall0 = time.monotonic(), time.time()
        for p in procs[:n]:
            p.send_signal(signal.SIGSTOP)
        replica = {f"m{i}": str(r) for i, (_, r) in enumerate(pairs)}
        switched = {}  # master -> seconds when the last sentinel named its replica
        seen = [set() for _ in sentinels]
        worst = 0.0
        while (len(switched) < n or not a.replicas) and time.monotonic() - t0 < a.timeout:
            tick = time.monotonic()
            for k, s in enumerate(sentinels):
                worst = max(worst, s.ping_ms())
                if not a.replicas:
                    continue
                table, _ = s.table()
                if table is None:
                    continue
                for name, f in table.items():
                    if replica[name] != "None" and f.get("port") == replica[name]:
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
        led = leaders(logs, wall0)
        return {
            "all": times[-1] if len(times) == n else None,
            "median": statistics.median(times) if len(times) * 2 > n else None,
            "switched": len(times),
            "epochs": max(epochs, default=0),
            "tries": count("+try-failover"),
            "elected": count("+elected-leader"),
            "all led": max(at for at, _ in led.values()) if len(led) == n else None,
            "two leaders": sum(len(who) > 1 for _, who in led.values()),
            "not elected": count("-failover-abort-not-elected"),
            "sdown peers": count("+sdown sentinel"),
            "ping max": worst,
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
    ap.add_argument("--replicas", type=int, choices=(0, 1), default=1, help="replicas per master")
    ap.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for every switch")
    ap.add_argument("--ready-timeout", type=float, default=120.0)
    ap.add_argument("--only", choices=KINDS, help="run one implementation only")
    ap.add_argument("--loglevel", default="notice", help="the sentinels' loglevel")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    raise_nofile()
    root = tempfile.mkdtemp(prefix="massfail-")
    metrics = ["all", "median", "switched", "epochs", "tries", "elected", "not elected",
               "all led", "two leaders", "sdown peers", "ping max"]
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
                    # A time not reached within --timeout counts as infinite.
                    med = statistics.median(float("inf") if v is None else v for v in vals)
                    missed = sum(v is None for v in vals)
                    cell = "—" if med == float("inf") else fmt(med)
                    cells.append(cell + (f" ({missed} of {len(vals)} not within {a.timeout:g} s)"
                                         if missed else ""))
                print(f"| {m} | {cells[0]} | {cells[1]} |")
    finally:
        if a.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
