#!/usr/bin/env python3
"""The read path over TLS, rsentinel beside redis-sentinel, in one run.

A CA and a certificate are made with the openssl CLI in a temp dir (EC
P-256, X.509 v3, the certificate used both as the sentinels' and as
redis-benchmark's client certificate). One redis-server (plain) is the
master m0. For each trial, one sentinel of each implementation in turn (the
order alternates from trial to trial) is started with `port`, `tls-port`,
the certificate and the CA (`tls-auth-clients yes`, the default) and
`sentinel monitor m0`, and once it answers get-master-addr-by-name it is
measured with

  redis-benchmark --tls --cacert --cert --key -c 50 -n N -q [-P 16]

for SENTINEL get-master-addr-by-name m0 and PING on the TLS port, and, as a
reference in the same run, on the plain port. Each connection's TLS
handshake is part of the figure (redis-benchmark opens its 50 connections
first). The table holds medians of the alternating trials, in thousands of
requests per second (higher is better).

    python3 bench/tls.py [--trials 5] [--requests 100000]

Needs redis-server, redis-sentinel, redis-benchmark and openssl on PATH and
target/release/rsentinel (cargo build --release).
"""
import argparse, os, statistics, subprocess, sys, tempfile, time

from failover import wait_port  # noqa: E402  (bench/ is the script's directory)
import masters  # noqa: E402
from masters import KINDS, free_port, start_redis, start_sentinel, stop, Conn  # noqa: E402

QUERIES = [("get-master-addr", ["SENTINEL", "get-master-addr-by-name", "m0"]), ("PING", ["PING"])]
ROWS = [(q, tls, p) for tls in (True, False) for q, _ in QUERIES for p in (0, 16)]


def make_certs(tmp):
    """ca.crt, and s.crt/s.key signed by it (v3: basicConstraints, subjectAltName)."""
    with open(os.path.join(tmp, "ext.cnf"), "w") as f:
        f.write("[req]\ndistinguished_name = dn\n[dn]\n"
                "[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign\n"
                "[leaf]\nbasicConstraints = CA:FALSE\nsubjectAltName = IP:127.0.0.1\n"
                "extendedKeyUsage = serverAuth, clientAuth\n")
    ec = "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out"
    for args in [f"{ec} ca.key",
                 "req -x509 -new -key ca.key -subj /CN=bench-ca -days 2 -config ext.cnf -extensions ca -out ca.crt",
                 f"{ec} s.key",
                 "req -new -key s.key -subj /CN=bench -config ext.cnf -out s.csr",
                 "x509 -req -in s.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
                 "-extfile ext.cnf -extensions leaf -out s.crt"]:
        subprocess.run(["openssl", *args.split()], cwd=tmp, check=True, capture_output=True)
    return {name: os.path.join(tmp, name) for name in ("ca.crt", "s.crt", "s.key")}


def bench(port, certs, args, pipeline, requests):
    """Thousands of requests per second, or None when redis-benchmark gave none in 120 s."""
    tls = ["--tls", "--cacert", certs["ca.crt"], "--cert", certs["s.crt"], "--key", certs["s.key"]] if certs else []
    rate = masters.bench(port, args, pipeline, requests, tls)
    return None if rate is None else rate / 1000


def wait_answer(port, master_port, secs=10):
    """Until get-master-addr-by-name m0 names the master."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            c = Conn(port)
            try:
                if c.call("SENTINEL", "get-master-addr-by-name", "m0") == ["127.0.0.1", str(master_port)]:
                    return
            finally:
                c.close()
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"the sentinel on {port} never named m0")


def trial(kind, master_port, certs, tmp, requests):
    port, tls_port = free_port(), free_port()
    extra = (f"tls-port {tls_port}\ntls-cert-file {certs['s.crt']}\ntls-key-file {certs['s.key']}\n"
             f"tls-ca-cert-file {certs['ca.crt']}\n")
    proc = start_sentinel(kind, port, [("m0", master_port)], tmp, extra)
    try:
        wait_port(port)
        wait_port(tls_port)
        wait_answer(port, master_port)
        out = {}
        for name, tls, pipeline in ROWS:
            args = dict(QUERIES)[name]
            out[(name, tls, pipeline)] = bench(tls_port if tls else port, certs if tls else None, args,
                                               pipeline, requests)
        return out
    finally:
        stop([proc])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--requests", type=int, default=100000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        certs = make_certs(tmp)
        master_port = free_port()
        master = start_redis(master_port, tmp)
        results = {k: [] for k in KINDS}
        try:
            wait_port(master_port)
            for t in range(a.trials):
                order = KINDS if t % 2 == 0 else KINDS[::-1]
                for kind in order:
                    results[kind].append(trial(kind, master_port, certs, tmp, a.requests))
                    print(f"trial {t + 1} {kind}: " + ", ".join(
                        f"{n}{' tls' if tls else ''}{' -P ' + str(p) if p else ''} {v:.1f}"
                        for (n, tls, p), v in results[kind][-1].items() if v is not None),
                        file=sys.stderr, flush=True)
        finally:
            stop([master])
    print(f"\nmedians of {a.trials} alternating trials, k requests/s (redis-benchmark -c 50 -n {a.requests})\n")
    print("| rsentinel / redis-sentinel | k req/s |")
    print("|---|---|")
    for key in ROWS:
        name, tls, pipeline = key
        label = f"{name}{' -P ' + str(pipeline) if pipeline else ''}, {'TLS' if tls else 'plain'}"
        cells = []
        for kind in KINDS:
            vals = [r[key] for r in results[kind] if r[key] is not None]
            cells.append(f"{statistics.median(vals):.0f}" if vals else "—")
        print(f"| {label} | {' / '.join(cells)} |")


if __name__ == "__main__":
    main()
