"""Start the real appcore-server binary on a free loopback port and talk HTTP to it.

The server is started with --port 0; the kernel picks a free port and the
server reports it in its "listening" log line, which we read from stderr.
No fixed sleeps: we wait on that line, then poll /health with a deadline.

Every process a test starts is registered here; run tests with serverctl.main() instead of
unittest.main() and the run fails if any of them is still alive at the end (then it is
killed), so a test can never leave a server behind on a developer machine or in CI.
"""
import atexit
import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

PORT_RE = re.compile(r'"port":\s*(\d+)')
OPS_PORT_RE = re.compile(r'"ops_port":\s*(\d+)')

_started = []  # every subprocess.Popen started through this module


def track(proc):
    """Register a process a test started (servers, workers, databases) for the leak check."""
    _started.append(proc)
    return proc


def leftover_processes():
    """Processes started by this run that are still alive; each is killed."""
    alive = []
    for proc in _started:
        if proc.poll() is None:
            alive.append(proc.args)
            proc.kill()
            proc.wait()
    return alive


@atexit.register
def _kill_leftovers():
    leftover_processes()


def poll_until(predicate, timeout, what):
    """Call predicate() until it returns a true value, which is returned; back off from
    5 ms to 200 ms between calls. Fails with `what` when the deadline passes, so a test can
    never fall through a wait with its precondition unmet."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, 0.2)


def main():
    """unittest.main(), then fail the run if a test left a process running."""
    program = unittest.main(verbosity=2, exit=False)
    alive = leftover_processes()
    for args in alive:
        print(f"LEAK: process still running after the tests: {args}", file=sys.stderr)
    sys.exit(0 if program.result.wasSuccessful() and not alive else 1)


class ServerProcess:
    def __init__(self, binary, args=(), env=None, start_timeout=15.0):
        self.binary = binary
        self.args = list(args)
        self.env = dict(os.environ if env is None else env)
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.ops_port = None     # the operations listener's port (server.ops_port), 0 if none
        self.lines = []          # every stderr line, for assertions and debugging
        self._line_queue = queue.Queue()

    def start(self, wait_ready=True):
        argv = [self.binary, "--host", "127.0.0.1", "--port", "0"] + self.args
        self.proc = track(subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.PIPE, env=self.env, text=True))
        threading.Thread(target=self._pump_stderr, daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        while self.port is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise RuntimeError("server did not report its port:\n" + "".join(self.lines))
            try:
                line = self._line_queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError("server exited before listening (code %s):\n%s"
                                   % (self.proc.wait(), "".join(self.lines)))
            match = PORT_RE.search(line)
            if match and '"listening"' in line:
                self.port = int(match.group(1))
                ops = OPS_PORT_RE.search(line)
                self.ops_port = int(ops.group(1)) if ops else 0
        if wait_ready:
            self.wait_for("/health", deadline)
        return self

    def _pump_stderr(self):
        for line in self.proc.stderr:
            self.lines.append(line)
            self._line_queue.put(line)
        self._line_queue.put(None)

    def wait_for(self, path, deadline, status=200):
        last_error = []

        def answered():
            if self.proc.poll() is not None:
                raise RuntimeError("server exited:\n" + "".join(self.lines))
            try:
                return self.request("GET", path)[0] == status
            except OSError as exc:
                last_error[:] = [exc]
                return False

        poll_until(answered, max(0.0, deadline - time.monotonic()),
                   f"{path} to answer {status} (last error: {last_error})")

    def connection(self, timeout=10.0, port=None):
        return http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=10.0, port=None):
        """One request on a fresh connection: (status, headers dict lower-cased, body bytes).
        port: another listener of the server (ops_port); default the main one."""
        conn = self.connection(timeout, port)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None):
        status, response_headers, data = self.request(method, path, body, headers)
        return status, response_headers, json.loads(data) if data else None

    def send_signal(self, signum):
        self.proc.send_signal(signum)

    def stop(self, signum=signal.SIGTERM, timeout=15.0):
        """Send signum and return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        return self.proc.wait(timeout=timeout)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        # ServerProcess(...).start() returns the started server: entering it must not start
        # a second process (and leak the first)
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc):
        self.kill()


class RawConnection:
    """A plain socket to the server, for what http.client hides: exact bytes on
    the wire, 100 Continue, partial bodies, connection reuse."""

    def __init__(self, port, timeout=10.0):
        import socket
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    def read_head(self):
        """Read up to the blank line: (status, headers dict lower-cased)."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def read_response(self, head_only=False):
        """(status, headers, body) of one response with a Content-Length."""
        status, headers = self.read_head()
        length = 0 if head_only else int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def wait_closed(self):
        """Block until the server closes its side: True on EOF or reset,
        False if it sends more data; socket.timeout if it does neither."""
        try:
            return self.buffer == b"" and self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def http_request_bytes(method, path, body=b"", headers=None):
    """Serialise one HTTP/1.1 request with Content-Length (unless headers say otherwise)."""
    headers = dict(headers or {})
    headers.setdefault("Host", "127.0.0.1")
    if body and "Transfer-Encoding" not in headers:
        headers.setdefault("Content-Length", str(len(body)))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + body
