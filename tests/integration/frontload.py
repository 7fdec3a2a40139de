"""Load and hostile clients for appcore-server's HTTP front, on asyncio.

Used by the integration tests (tests/integration/test_server_front.py, short runs) and by the
benchmark (bench/front.sh, long runs), so both measure the same thing:

  probe      new-connection GETs/POSTs at a steady pace, latency and status of each
  hold       keep-alive clients that send a request, then sit idle on the connection
  busy       keep-alive clients that send requests back to back
  slowloris  clients that send a request's headers a line at a time, forever
  slowbody   clients that send headers, then the body a byte at a time
  drain      keep-alive clients that count every request they finished writing and never
             got an answer to (run against a server that is being stopped)

Every client reconnects when the server closes its connection (as real clients and attack
tools do), except `hold`, which reconnects only for its next request.

    python3 frontload.py PORT probe --path /health --count 50 --every 0.1
    python3 frontload.py PORT slowloris --clients 500 --seconds 20
"""
import argparse
import asyncio
import json
import sys
import time

PREDICT_BODY = b'{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, null, 4.8, 1.8]]}'


def request_bytes(method, path, body=b"", headers=None):
    headers = dict(headers or {})
    headers.setdefault("Host", "127.0.0.1")
    if body:
        headers.setdefault("Content-Type", "application/json")
        headers.setdefault("Content-Length", str(len(body)))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + body


async def read_response(reader):
    """(status, headers) after reading the whole body; raises on EOF or reset."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


async def close(writer):
    writer.close()
    try:
        await writer.wait_closed()
    except (OSError, asyncio.CancelledError):
        pass


async def probe(port, path="/health", method="GET", count=50, every=0.1, timeout=5.0):
    """One request per new connection every `every` seconds (like a kubelet probe)."""
    results = []
    body = PREDICT_BODY if method == "POST" else b""
    data = request_bytes(method, path, body, {"Connection": "close"})
    for _ in range(count):
        started = time.monotonic()
        status = None
        try:
            async def one():
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                try:
                    writer.write(data)
                    await writer.drain()
                    return (await read_response(reader))[0]
                finally:
                    await close(writer)
            status = await asyncio.wait_for(one(), timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
            status = type(exc).__name__
        results.append((time.monotonic() - started, status))
        await asyncio.sleep(max(0.0, every - (time.monotonic() - started)))
    return results


async def _sleep_or_stop(stop, seconds):
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass


async def hold(port, stop, stats, every=2.0):
    """Connect, one request, then idle on the connection; the next request (on the same
    connection if the server kept it, else a new one) after `every` seconds."""
    writer = None
    reader = None
    while not stop.is_set():
        try:
            if writer is None or reader.at_eof():
                if writer is not None:
                    await close(writer)
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request_bytes("GET", "/health"))
            await writer.drain()
            status, headers = await read_response(reader)
            stats["answered"] = stats.get("answered", 0) + 1
            if headers.get("connection") == "close":
                await close(writer)
                writer = None
        except (OSError, asyncio.IncompleteReadError):
            stats["closed"] = stats.get("closed", 0) + 1
            if writer is not None:
                await close(writer)
            writer = None
        await _sleep_or_stop(stop, every)
    if writer is not None:
        await close(writer)


async def busy(port, stop, stats, path="/predict"):
    data = request_bytes("POST", path, PREDICT_BODY)
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            stats["refused"] = stats.get("refused", 0) + 1
            await asyncio.sleep(0.01)
            continue
        try:
            while not stop.is_set():
                started = time.monotonic()
                writer.write(data)
                await writer.drain()
                status, headers = await read_response(reader)
                stats.setdefault("latency", []).append(time.monotonic() - started)
                stats[str(status)] = stats.get(str(status), 0) + 1
                if headers.get("connection") == "close":
                    break
        except (OSError, asyncio.IncompleteReadError):
            stats["errors"] = stats.get("errors", 0) + 1
        finally:
            await close(writer)


async def slowloris(port, stop, stats, interval=1.0):
    """Headers never complete: a first line, then one more header line every interval."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        stats["connections"] = stats.get("connections", 0) + 1
        try:
            writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            await writer.drain()
            n = 0
            while not stop.is_set():
                read = asyncio.ensure_future(reader.read(4096))
                done, _ = await asyncio.wait({read}, timeout=interval)
                if done:
                    data = read.result()
                    if data.startswith(b"HTTP/1.1 "):
                        key = data[9:12].decode()
                        stats[key] = stats.get(key, 0) + 1
                    break  # answered or closed
                read.cancel()
                n += 1
                writer.write(b"X-Slow-%d: y\r\n" % n)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            await close(writer)


async def slowbody(port, stop, stats, interval=1.0, length=100000):
    """Complete headers, then the body a byte every interval."""
    head = (b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % length)
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        stats["connections"] = stats.get("connections", 0) + 1
        try:
            writer.write(head)
            await writer.drain()
            while not stop.is_set():
                read = asyncio.ensure_future(reader.read(4096))
                done, _ = await asyncio.wait({read}, timeout=interval)
                if done:
                    data = read.result()
                    if data.startswith(b"HTTP/1.1 "):
                        key = data[9:12].decode()
                        stats[key] = stats.get(key, 0) + 1
                    break
                read.cancel()
                writer.write(b" ")
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            await close(writer)


async def drain_client(port, stats, body=PREDICT_BODY):
    """Requests back to back until the server refuses new connections. Counts requests
    written completely without an answer ("unanswered"); `unanswered_at` lists when each
    finished writing (time.monotonic(), CLOCK_MONOTONIC like the server's "listener closed"
    log line), so they can be told from requests sent after the listener closed."""
    data = request_bytes("POST", "/predict", body)
    while True:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            stats["refused"] += 1
            return
        try:
            while True:
                try:
                    writer.write(data)
                    await writer.drain()
                    written = time.monotonic()
                except OSError:
                    stats["write_failed"] += 1  # not completely written: not a loss
                    break
                try:
                    status, headers = await read_response(reader)
                except (OSError, asyncio.IncompleteReadError):
                    stats["unanswered"] += 1
                    stats.setdefault("unanswered_at", []).append(written)
                    break
                stats["answered"] += 1
                if status != 200:
                    stats["not_200"] += 1
                if headers.get("connection") == "close":
                    break
        finally:
            await close(writer)


def summary(latencies):
    return {"count": len(latencies),
            "p50_ms": round(1000 * percentile(latencies, 50), 2) if latencies else None,
            "p99_ms": round(1000 * percentile(latencies, 99), 2) if latencies else None,
            "max_ms": round(1000 * max(latencies), 2) if latencies else None}


async def run_clients(kind, port, clients, seconds, **kwargs):
    stop = asyncio.Event()
    stats = {}
    target = {"hold": hold, "busy": busy, "slowloris": slowloris, "slowbody": slowbody}[kind]
    tasks = [asyncio.ensure_future(target(port, stop, stats, **kwargs)) for _ in range(clients)]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait(tasks, timeout=5)
    for task in tasks:
        task.cancel()
    if "latency" in stats:
        stats["latency"] = summary(stats.pop("latency"))
    return stats


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("port", type=int)
    parser.add_argument("kind", choices=["probe", "hold", "busy", "slowloris", "slowbody", "drain"])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--path", default="/health")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--every", type=float, default=0.1)
    args = parser.parse_args()
    if args.kind == "probe":
        results = asyncio.run(probe(args.port, args.path, args.method, args.count, args.every))
        latencies = [t for t, _ in results]
        statuses = {}
        for _, status in results:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        out = {"probe": args.path, "statuses": statuses, **summary(latencies)}
    elif args.kind == "drain":
        stats = {"answered": 0, "unanswered": 0, "refused": 0, "write_failed": 0, "not_200": 0}

        async def go():
            await asyncio.gather(*(drain_client(args.port, stats) for _ in range(args.clients)))
        asyncio.run(go())
        out = stats
    else:
        extra = {"interval": args.interval} if args.kind in ("slowloris", "slowbody") else {}
        out = asyncio.run(run_clients(args.kind, args.port, args.clients, args.seconds, **extra))
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
