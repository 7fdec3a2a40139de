#!/usr/bin/env python3
"""A small, exact HTTP load generator for the rehearsals (rolling restart, deploy.sh): steady
POST /predict traffic on keep-alive connections, every answer counted.

    loadgen.py URL --rate R --connections C --stop-file FILE [--max-seconds S] [--body JSON]

Sends about R requests/s in total over C keep-alive connections until FILE exists (or S seconds
passed), then prints one JSON line: requests sent, answers by status, failures by kind, latency
percentiles and the first non-2xx answers and failures with their time. A "failure" is a request
without an HTTP answer: a refused or reset connection, a timeout. No request is retried, so every
failure counts.

Keep-alive connections are handled the way mainstream HTTP clients handle them, because nginx
closes idle client connections on every graceful reload (a deploy switch, a change of replicas):
- it does not send on a pooled connection the server has already closed while it sat idle: it
  checks the socket first, like urllib3's is_connection_dropped, and opens a new one
  (counted as "idle_closed");
- when the close crosses the request on the wire (the request went out on a reused connection
  and the connection broke before a single byte of answer came back), it sends the request once
  more on a fresh connection, as curl does ("Connection died, retrying a fresh connect"); nothing
  was answered, so nothing was processed twice (counted as "retried_fresh"). A request that fails
  on a fresh connection, or fails again, is a failure.
- a 503 with Retry-After whose error code is not_ready says the request was refused unread (the
  server closed the connection while it arrived, e.g. an idle upstream connection being shed):
  it is sent once more on a fresh connection, as a client honouring Retry-After would, and
  counted as "retried_refused" so the report shows it. A second refusal is a failure.
Exit status 0 when every request got a 2xx, 1 otherwise, 2 on usage errors.
"""
import argparse
import http.client
import json
import os
import select
import sys
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--max-seconds", type=float, default=600.0)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--body", default='{"instances":[[5.1,3.5,1.4,0.2]]}')
    args = ap.parse_args()
    url = urllib.parse.urlsplit(args.url)
    if url.scheme != "http" or not url.hostname:
        print("loadgen: only http://HOST:PORT/PATH URLs", file=sys.stderr)
        return 2
    body = args.body.encode()
    interval = args.connections / args.rate  # per connection
    lock = threading.Lock()
    statuses = {}
    failures = {}
    failure_samples = []
    latencies = []
    sent = [0]
    idle_closed = [0]
    retried = [0]
    retried_refused = [0]
    stop = threading.Event()
    started = time.monotonic()

    def record_failure(kind, detail):
        with lock:
            failures[kind] = failures.get(kind, 0) + 1
            if len(failure_samples) < 20:
                failure_samples.append(f"{time.monotonic() - started:.2f}s {kind}: {detail}")

    def worker(index):
        conn = None
        next_at = time.monotonic() + interval * index / args.connections
        while not stop.is_set():
            now = time.monotonic()
            if next_at > now:
                time.sleep(next_at - now)
            next_at += interval
            if conn is not None and conn.sock is not None and select.select([conn.sock], [], [], 0)[0]:
                # readable while idle: the server closed it (EOF) -- never send on it
                conn.close()
                conn = None
                with lock:
                    idle_closed[0] += 1
            t0 = time.monotonic()
            with lock:
                sent[0] += 1
            for attempt in (1, 2):
                reused = conn is not None
                got_head = False
                if conn is None:
                    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=args.timeout)
                try:
                    conn.request("POST", url.path or "/", body=body,
                                 headers={"Content-Type": "application/json"})
                    response = conn.getresponse()
                    got_head = True
                    data = response.read()
                except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected) as exc:
                    conn.close()
                    conn = None
                    if reused and attempt == 1 and not got_head:
                        with lock:
                            retried[0] += 1
                        continue
                    record_failure(type(exc).__name__, str(exc))
                    break
                except (OSError, http.client.HTTPException) as exc:
                    record_failure(type(exc).__name__, str(exc))
                    conn.close()
                    conn = None
                    break
                if (response.status == 503 and response.getheader("retry-after") and
                        b'"code":"not_ready"' in data and attempt == 1):
                    conn.close()
                    conn = None
                    with lock:
                        retried_refused[0] += 1
                    continue
                elapsed = time.monotonic() - t0
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    latencies.append(elapsed)
                    if not 200 <= response.status < 300 and len(failure_samples) < 20:
                        failure_samples.append(f"{t0 - started:.2f}s HTTP {response.status}: "
                                               f"{data[:200]!r}")
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
                break
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.connections)]
    for t in threads:
        t.start()
    while not os.path.exists(args.stop_file) and time.monotonic() - started < args.max_seconds:
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(timeout=args.timeout + 5)
    duration = time.monotonic() - started
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else None

    answered = sum(statuses.values())
    non_2xx = sum(n for s, n in statuses.items() if not 200 <= s < 300)
    summary = {
        "sent": sent[0], "answered": answered, "non_2xx": non_2xx,
        "failed": sum(failures.values()), "idle_closed": idle_closed[0], "retried_fresh": retried[0], "retried_refused": retried_refused[0], "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "failures": failures, "seconds": round(duration, 1),
        "rate": round(answered / duration, 1) if duration else 0,
        "latency_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": pct(1.0)},
        "samples": failure_samples,
    }
    print(json.dumps(summary))
    return 0 if non_2xx == 0 and not failures and answered == sent[0] and answered > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
