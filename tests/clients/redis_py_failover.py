"""A redis-py Sentinel client writing through a failover.

Usage: redis_py_failover.py SENTINEL_PORT...
Writes INCR every 20 ms through the master found by redis.sentinel.Sentinel;
prints `master <addr>` at each change. Exits 0 once a write succeeded on a
second master (the failover happened and the client followed it), 1 after 40 s.
"""
import sys, time
from redis.sentinel import Sentinel
from redis.exceptions import ConnectionError, ReadOnlyError, TimeoutError

sentinel = Sentinel([("127.0.0.1", int(p)) for p in sys.argv[1:]], socket_timeout=0.5)
master = sentinel.master_for("mymaster", socket_timeout=0.5)
seen = []
deadline = time.time() + 40
while time.time() < deadline:
    try:
        addr = "%s:%s" % sentinel.discover_master("mymaster")
        if not seen or seen[-1] != addr:
            print("master", addr, flush=True)
            seen.append(addr)
        master.incr("rsentinel:counter")
        if len(seen) >= 2:
            print("wrote through the failover, counter =", master.get("rsentinel:counter"), flush=True)
            sys.exit(0)
    except (ConnectionError, ReadOnlyError, TimeoutError) as e:
        print("error", type(e).__name__, e, flush=True)
    except Exception as e:  # MasterNotFoundError while sentinels switch
        print("error", type(e).__name__, e, flush=True)
    time.sleep(0.02)
sys.exit(1)
