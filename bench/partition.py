#!/usr/bin/env python3
"""A Jepsen-2013-style partition, rsentinel beside redis-sentinel.

Three hosts, each a Linux network namespace with a redis-server and a
sentinel, joined by a bridge that lives in a namespace of its own (nothing
leaves the namespaces). Host 1 holds the master. A writer on host 1 does
`RPUSH list i` at 200/s through redis-py's `Sentinel` client (0.5 s
timeouts, no retries); a probe on every host writes a key and asks ROLE
every 50 ms. After `--before` seconds the bridge stops forwarding host 1's
frames (its port is disabled: packets are dropped silently, never refused;
neighbour entries are static, so no ARP failure turns the drop into an
error) for `--partition` seconds, then forwards them again. `--after`
seconds after the heal the writer stops; once the three servers and the
three sentinels agree (or `--settle` seconds passed) the list on the final
master is compared with the acknowledged writes.

Printed per sentinel: acknowledged writes lost (and how many of them were
acknowledged after the heal), seconds during which two servers accepted
writes, seconds from the heal to the old master's `role:slave`, and whether
everything converged. Needs root (ip netns), iproute2 with bridge support,
redis-server, redis-sentinel, python3-redis and target/release/rsentinel.

    sudo python3 bench/partition.py [--sentinel both|rsentinel|redis-sentinel]
        [--fence rsentinel-fencing-args] [--min-replicas] [--json]

`--fence MS` adds `sentinel fence <master> MS` to rsentinel's config;
`--min-replicas` sets min-replicas-to-write 1 / min-replicas-max-lag 1 on
every server (Redis' own fencing, for comparison; works for both).
"""
import argparse, json, os, shutil, signal, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RSENTINEL = os.path.join(ROOT, "target", "release", "rsentinel")
HOSTS = (1, 2, 3)
REDIS_PORT, SENTINEL_PORT = 7400, 27400
NAME = "mymaster"


def ip_of(h):
    return f"10.99.0.{h}"


def sh(*args, check=True):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


class Net:
    """The namespaces: `<prefix>-br` with the bridge, `<prefix>-h<N>` hosts."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.br = f"{prefix}-br"
        self.made = []

    def host(self, h):
        return f"{self.prefix}-h{h}"

    def add_ns(self, ns):
        sh("ip", "netns", "add", ns)
        self.made.append(ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")

    def up(self):
        self.add_ns(self.br)
        sh("ip", "-n", self.br, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.br, "link", "set", "br0", "up")
        for h in HOSTS:
            ns = self.host(h)
            self.add_ns(ns)
            sh("ip", "link", "add", "eth0", "netns", ns, "address", f"02:00:00:00:00:0{h}",
               "type", "veth", "peer", "name", f"p{h}", "netns", self.br)
            sh("ip", "-n", ns, "addr", "add", f"{ip_of(h)}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", self.br, "link", "set", f"p{h}", "master", "br0")
            sh("ip", "-n", self.br, "link", "set", f"p{h}", "up")
            for o in HOSTS:
                if o != h:
                    sh("ip", "-n", ns, "neigh", "add", ip_of(o), "lladdr", f"02:00:00:00:00:0{o}",
                       "dev", "eth0", "nud", "permanent")

    def cut(self, h, cut):
        """Disabled (0) or forwarding (3): a disabled port drops silently."""
        sh("bridge", "-n", self.br, "link", "set", "dev", f"p{h}", "state", "0" if cut else "3")

    def down(self):
        """Kills what runs in the namespaces (all started by us), removes them."""
        for ns in self.made:
            for pid in sh("ip", "netns", "pids", ns, check=False).split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.2)
        for ns in reversed(self.made):
            sh("ip", "netns", "del", ns, check=False)
        self.made = []


PROBE = r"""
import json, sys, time, redis
port, sport = int(sys.argv[1]), int(sys.argv[2])
r = redis.Redis("127.0.0.1", port, socket_timeout=0.2, socket_connect_timeout=0.2)
s = redis.Redis("127.0.0.1", sport, socket_timeout=0.2, socket_connect_timeout=0.2, decode_responses=True)
while True:
    t = time.time()
    row = {"t": t}
    try:
        row["role"] = r.execute_command("ROLE")[0].decode()
    except Exception as e:
        row["role"] = "?"
    try:
        r.set("probe", t)
        row["w"] = 1
    except Exception as e:
        row["w"] = 0
    try:
        row["names"] = "%s:%s" % tuple(s.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "@NAME@"))
    except Exception:
        row["names"] = None
    print(json.dumps(row), flush=True)
    time.sleep(max(0, t + 0.05 - time.time()))
"""

WRITER = r"""
import json, sys, time
from redis.sentinel import Sentinel
from redis.retry import Retry
from redis.backoff import NoBackoff
addrs, duration, out = json.loads(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
kw = dict(socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
sentinel = Sentinel([tuple(a) for a in addrs], sentinel_kwargs=dict(kw), **kw)
master = sentinel.master_for("@NAME@", **kw)
start = time.time()
acked, tried, i, due = [], 0, 0, start
while time.time() < start + duration:
    i += 1
    try:
        master.rpush("list", i)
        acked.append([i, time.time()])
    except Exception:
        pass
    due = max(due + 0.005, time.time() - 0.005)
    time.sleep(max(0, due - time.time()))
json.dump({"start": start, "tried": i, "acked": acked}, open(out, "w"))
"""

FINAL = r"""
import json, sys, redis
port, sport = int(sys.argv[1]), int(sys.argv[2])
r = redis.Redis("127.0.0.1", port, socket_timeout=1, decode_responses=True)
s = redis.Redis("127.0.0.1", sport, socket_timeout=1, decode_responses=True)
out = {}
try:
    info = r.info("replication")
    out["role"] = info["role"]
    out["follows"] = "%s:%s" % (info.get("master_host"), info.get("master_port"))
    out["link"] = info.get("master_link_status")
    if info["role"] == "master" and len(sys.argv) > 3:
        out["list"] = [int(x) for x in r.lrange("list", 0, -1)]
except Exception as e:
    out["error"] = str(e)
try:
    out["names"] = "%s:%s" % tuple(s.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "@NAME@"))
except Exception as e:
    out["names"] = None
print(json.dumps(out))
"""


def in_ns(ns, args, **kw):
    return subprocess.Popen(["ip", "netns", "exec", ns, *args], **kw)


def sentinel_conf(h, args, kind):
    lines = [f"port {SENTINEL_PORT}", "bind 0.0.0.0", "protected-mode no",
             f"sentinel monitor {NAME} {ip_of(1)} {REDIS_PORT} {args.quorum}",
             f"sentinel down-after-milliseconds {NAME} {args.down_after}",
             f"sentinel failover-timeout {NAME} {args.failover_timeout}"]
    if kind == "rsentinel" and args.fence:
        lines.append(f"sentinel fence {NAME} {args.fence}")
    return "\n".join(lines) + "\n"


def start_host(net, h, args, kind, work):
    ns, d = net.host(h), os.path.join(work, f"h{h}")
    os.makedirs(d)
    extra = [] if h == 1 else ["--replicaof", ip_of(1), str(REDIS_PORT)]
    if args.min_replicas:
        extra += ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "1"]
    logs = open(os.path.join(d, "redis.log"), "w")
    in_ns(ns, ["redis-server", "--port", str(REDIS_PORT), "--bind", "0.0.0.0", "--protected-mode", "no",
               "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0", "--dir", d, *extra],
          stdout=logs, stderr=subprocess.STDOUT, cwd=d)
    conf = os.path.join(d, "sentinel.conf")
    with open(conf, "w") as f:
        f.write(sentinel_conf(h, args, kind))
    binary = args.rsentinel if kind == "rsentinel" else "redis-sentinel"
    in_ns(ns, [binary, conf], stdout=open(os.path.join(d, "sentinel.log"), "w"), stderr=subprocess.STDOUT, cwd=d)


def final_state(net, read_list=False):
    states = {}
    for h in HOSTS:
        args = ["python3", "-c", FINAL.replace("@NAME@", NAME), str(REDIS_PORT), str(SENTINEL_PORT)] + (["list"] if read_list else [])
        out = subprocess.run(["ip", "netns", "exec", net.host(h), *args], stdout=subprocess.PIPE, text=True)
        try:
            states[h] = json.loads(out.stdout)
        except ValueError:
            states[h] = {"error": out.stdout}
    return states


def converged(states):
    names = {s.get("names") for s in states.values()}
    if len(names) != 1 or None in names:
        return None
    master = names.pop()
    for h, s in states.items():
        if f"{ip_of(h)}:{REDIS_PORT}" == master:
            if s.get("role") != "master":
                return None
        elif s.get("role") != "slave" or s.get("follows") != master or s.get("link") != "up":
            return None
    return master


def wait_until(secs, cond, what):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return
        time.sleep(0.25)
    raise RuntimeError(f"timed out waiting for {what}")


def read_probe(path):
    rows = []
    with open(path) as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except ValueError:
                pass
    return rows


def two_masters(probes, t0, t1):
    """Seconds in [t0, t1] during which ≥ 2 hosts' last probe write succeeded."""
    step, n, t = 0.01, 0, t0
    idx = {h: 0 for h in probes}
    while t < t1:
        writable = 0
        for h, rows in probes.items():
            i = idx[h]
            while i + 1 < len(rows) and rows[i + 1]["t"] <= t:
                i += 1
            idx[h] = i
            if rows and rows[i]["t"] <= t and rows[i]["w"] and rows[i]["role"] == "master":
                writable += 1
        n += writable >= 2
        t += step
    return n * step


def run(kind, args):
    net = Net(f"{args.prefix}{'rs' if kind == 'rsentinel' else 'rd'}")
    work = tempfile.mkdtemp(prefix=f"partition-{kind}-")
    try:
        net.up()
        for h in HOSTS:
            start_host(net, h, args, kind, work)
        wait_until(30, lambda: converged(final_state(net)) is not None, "replication")
        wait_until(30, lambda: sentinels_agree(net), "sentinel discovery")
        probes = {h: os.path.join(work, f"probe{h}.jsonl") for h in HOSTS}
        for h in HOSTS:
            in_ns(net.host(h), ["python3", "-c", PROBE.replace("@NAME@", NAME), str(REDIS_PORT), str(SENTINEL_PORT)],
                  stdout=open(probes[h], "w"), stderr=subprocess.DEVNULL)
        duration = args.before + args.partition + args.after
        written = os.path.join(work, "writer.json")
        addrs = json.dumps([[ip_of(h), SENTINEL_PORT] for h in HOSTS])
        writer = in_ns(net.host(1), ["python3", "-c", WRITER.replace("@NAME@", NAME), addrs, str(duration), written])
        time.sleep(args.before)
        net.cut(1, True)
        t_cut = time.time()
        time.sleep(args.partition)
        net.cut(1, False)
        t_heal = time.time()
        writer.wait(timeout=duration + 30)
        t_end = time.time()
        states, end = final_state(net), time.time() + args.settle
        while converged(states) is None and time.time() < end:
            time.sleep(0.5)
            states = final_state(net)
        master = converged(states)
        states = final_state(net, read_list=True)
        w = json.load(open(written))
        rows = {h: read_probe(probes[h]) for h in HOSTS}
        return figures(w, states, rows, master, t_cut, t_heal, t_end)
    finally:
        net.down()
        if args.keep:
            print(f"logs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def sentinels_agree(net):
    """Every sentinel knows the two others and both replicas."""
    code = ("import redis,sys; s=redis.Redis('127.0.0.1',%d,socket_timeout=1);"
            "d=s.sentinel_master('%s');"
            "sys.exit(0 if int(d['num-other-sentinels'])==2 and int(d['num-slaves'])==2 else 1)") % (SENTINEL_PORT, NAME)
    return all(subprocess.run(["ip", "netns", "exec", net.host(h), "python3", "-c", code],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0 for h in HOSTS)


def figures(w, states, rows, master, t_cut, t_heal, t_end):
    final = next((s for s in states.values() if "list" in s), None)
    kept = set(final["list"]) if final else set()
    acked = w["acked"]
    lost = [i for i, _ in acked if i not in kept]
    lost_after_heal = [i for i, t in acked if i not in kept and t >= t_heal]
    old = rows[1]
    demoted = next((r["t"] for r in old if r["t"] >= t_heal and r["role"] == "slave"), None)
    others = [r["t"] for h in (2, 3) for r in rows[h] if r["t"] >= t_cut and r["w"] and r["role"] == "master"]
    return {
        "tried": w["tried"],
        "acked": len(acked),
        "lost": len(lost),
        "lost_pct": round(100.0 * len(lost) / max(1, len(acked)), 1),
        "lost_after_heal": len(lost_after_heal),
        "two_masters_s": round(two_masters(rows, t_cut, t_end), 2),
        "failover_s": round(min(others) - t_cut, 2) if others else None,
        "demoted_after_heal_s": round(demoted - t_heal, 2) if demoted else None,
        "converged": master is not None,
        "final_master": master,
    }


ROWS = [("acknowledged writes", "acked"), ("acknowledged writes lost", "lost"), ("  lost, %", "lost_pct"),
        ("  of them acknowledged after the heal", "lost_after_heal"),
        ("time with two masters accepting writes, s", "two_masters_s"),
        ("partition to a new master accepting writes, s", "failover_s"),
        ("heal to old master demoted, s", "demoted_after_heal_s"), ("converged after heal", "converged")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentinel", default="both", choices=["both", "rsentinel", "redis-sentinel"])
    ap.add_argument("--rsentinel", default=RSENTINEL, help="the rsentinel binary")
    ap.add_argument("--quorum", type=int, default=2)
    ap.add_argument("--down-after", type=int, default=2000)
    ap.add_argument("--failover-timeout", type=int, default=10000)
    ap.add_argument("--before", type=float, default=3)
    ap.add_argument("--partition", type=float, default=15)
    ap.add_argument("--after", type=float, default=12, help="seconds the writer runs after the heal")
    ap.add_argument("--settle", type=float, default=30, help="seconds to wait for convergence afterwards")
    ap.add_argument("--fence", type=int, default=0, help="rsentinel only: `sentinel fence` milliseconds")
    ap.add_argument("--min-replicas", action="store_true", help="min-replicas-to-write 1, max-lag 1")
    ap.add_argument("--prefix", default=f"rsp{os.getpid()}", help="namespace name prefix")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ap.add_argument("--keep", action="store_true", help="keep the logs")
    args = ap.parse_args()
    kinds = ["redis-sentinel", "rsentinel"] if args.sentinel == "both" else [args.sentinel]
    results = {}
    for kind in kinds:
        results[kind] = run(kind, args)
    if args.json:
        print(json.dumps(results))
        return
    print(f"partition {args.partition:g} s, quorum {args.quorum}, down-after {args.down_after} ms, "
          f"failover-timeout {args.failover_timeout} ms, fence {args.fence or 'off'}, "
          f"min-replicas {'1/1 s' if args.min_replicas else 'off'}")
    print(f"{'':48}" + "".join(f"{k:>16}" for k in kinds))
    for label, key in ROWS:
        print(f"{label:48}" + "".join(f"{str(results[k][key]):>16}" for k in kinds))


if __name__ == "__main__":
    main()
