"""A private PostgreSQL server for the prediction-log tests: initdb into a temporary
directory, listening on a free loopback port (password auth, scram-sha-256) and on a socket in
that directory (trust), started as a direct child process so the test can stop it (SIGINT),
pause it (SIGSTOP) and start it again, and so serverctl's leak check sees it.

initdb and postgres refuse to run as root: when the tests run as root (CI), the server runs as
`nobody` (Python's Popen(user=...), no fork in between). Tests skip with exit 77 when
PostgreSQL is not installed (scripts/test.sh installs it)."""
import glob
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import serverctl

USER = "appcore"
PASSWORD = "s3cret-for-tests"
DATABASE = "predictions"


def find_bindir():
    """Directory of initdb/postgres/psql, or None."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(candidate, "initdb"), os.X_OK):
            return candidate
    path = shutil.which("initdb")
    return os.path.dirname(path) if path else None


def skip_unless_installed():
    """Exit 77 (meson's skip) when PostgreSQL is not installed."""
    if find_bindir() is None:
        print("SKIP: PostgreSQL is not installed (apt-get install postgresql)")
        sys.exit(77)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    def __init__(self):
        self.bindir = find_bindir()
        self.root = tempfile.mkdtemp(prefix="appcore-pg-")
        self.data = os.path.join(self.root, "data")
        self.socket_dir = os.path.join(self.root, "run")
        self.password_file = os.path.join(self.root, "password")
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(self.root, "postgres.log")
        self.as_user = {}
        if os.geteuid() == 0:
            import pwd
            entry = pwd.getpwnam("nobody")
            self.as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        os.makedirs(self.socket_dir)
        with open(self.password_file, "w") as f:
            f.write(PASSWORD + "\n")
        if self.as_user:
            for path in (self.root, self.socket_dir, self.password_file):
                os.chown(path, self.as_user["user"], self.as_user["group"])
        subprocess.run([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", USER,
                        "--pwfile", self.password_file, "--auth-local=trust",
                        "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                        "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       **self.as_user)
        self.start()
        self.psql(f"CREATE DATABASE {DATABASE}", database="postgres")

    # --- lifecycle -----------------------------------------------------------------------
    def start(self, timeout=30):
        log = open(self.log_path, "a")
        argv = [os.path.join(self.bindir, "postgres"), "-D", self.data, "-p", str(self.port),
                "-k", self.socket_dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                "-c", "full_page_writes=off", "-c", "synchronous_commit=off"]
        self.proc = serverctl.track(subprocess.Popen(argv, stdout=log, stderr=log,
                                                     stdin=subprocess.DEVNULL, **self.as_user))
        log.close()
        serverctl.poll_until(self.ready, timeout, "PostgreSQL to accept connections")

    def ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("postgres exited:\n" + self.log_tail())
        result = subprocess.run([os.path.join(self.bindir, "pg_isready"), "-q", "-h",
                                 self.socket_dir, "-p", str(self.port)])
        return result.returncode == 0

    def stop(self, timeout=30):
        """Fast shutdown (SIGINT): active connections are closed."""
        if self.proc is not None and self.proc.poll() is None:
            children = self.pids()[1:]
            if self.paused:
                self.resume()
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            finally:
                # a postmaster that died (or was killed) leaves its backends: end them too
                for pid in children:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        self.proc = None

    paused = False

    def pause(self):
        """SIGSTOP the postmaster and every backend: connections hang instead of failing."""
        self._signal_all(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self._signal_all(signal.SIGCONT)
        self.paused = False

    def _signal_all(self, signum):
        for pid in self.pids():
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass  # a backend that just exited

    def pids(self):
        """The postmaster and its children."""
        root = self.proc.pid
        pids = [root]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    if int(fields[1]) == root:
                        pids.append(int(entry))
                except (OSError, IndexError, ValueError):
                    pass
        return pids

    def destroy(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.destroy()

    def log_tail(self, lines=30):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    # --- access ----------------------------------------------------------------------------
    def url(self, password=False):
        """The TCP URL the server uses (the password comes from a file)."""
        auth = f"{USER}:{PASSWORD}@" if password else f"{USER}@"
        return f"postgresql://{auth}127.0.0.1:{self.port}/{DATABASE}?connect_timeout=5"

    def psql(self, sql, database=DATABASE):
        """Run SQL over the socket; rows as lists of strings (tab-separated, unaligned)."""
        result = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-At", "-F", "\t",
                                 "-v", "ON_ERROR_STOP=1", "-h", self.socket_dir, "-p",
                                 str(self.port), "-U", USER, "-d", database, "-c", sql],
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return [line.split("\t") for line in result.stdout.splitlines()]

    def scalar(self, sql):
        rows = self.psql(sql)
        return rows[0][0] if rows else None


def wait_for(predicate, timeout, what):
    return serverctl.poll_until(predicate, timeout, what)


def f32(value):
    """value rounded to float32, as the server and the real[] column hold it."""
    return struct.unpack("f", struct.pack("f", value))[0]


def parse_array(text):
    """A PostgreSQL real[] as psql prints it: {1.5,NULL,2} -> [1.5, None, 2.0]."""
    if text == "":
        return None
    return [None if v == "NULL" else f32(float(v)) for v in text.strip("{}").split(",")]
