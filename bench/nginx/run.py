#!/usr/bin/env python3
"""The shipped nginx (deploy/nginx, started by its entrypoint.sh as the containers start it) in
front of appcore-server, against the same nginx in front of trivial upstreams, in one run on this
machine (bench/nginx.sh runs this):

  nginx -> appcore-server            POST /predict (iris, 2 rows), access log on as deployed
                                     (deploy/appcore/config.yaml), and off
  nginx -> bare CivetWeb             a fixed body of the same size (bench/http/bare_civetweb.c)
  nginx -> nginx                     a fixed body, one nginx worker returning it
  appcore-server direct              no proxy, access log on, for scale

wrk keep-alive at CONNECTIONS (default 256) clients. The only changes to the shipped files are
the listen line (a free loopback port) and, through entrypoint.sh's environment, per-address
limits high enough for one benchmarking address.
    run.py BUILD_DIR
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build-release")
SERVER = os.path.join(BUILD, "appcore-server", "appcore-server")
BARE = os.path.join(BUILD, "bench", "bare_civetweb")
CONFIG = os.path.join(ROOT, "configs", "config.yaml")
NGINX_DIR = os.path.join(ROOT, "deploy", "nginx")
LUA = os.path.join(ROOT, "bench", "front", "predict.lua")
SECONDS = int(os.environ.get("DURATION", "10"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "256"))
THREADS = os.environ.get("APPCORE_THREADS")  # default: the shipped deploy config's
OUT = os.path.join(ROOT, "bench", "out")
# what appcore answers for the wrk body, so the trivial upstreams send as many bytes
FIXED_BODY = '{"predictions":[[0.9922,0.0047,0.0031],[0.0042,0.0167,0.9791]],"model":{"name":"iris","version":"1"}}'


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


def deploy_threads():
    """The api's threads in the shipped compose stack (its default for APPCORE_SERVER_THREADS,
    which the api and nginx's keep-alive pool both follow)."""
    text = open(os.path.join(ROOT, "docker-compose.yml")).read()
    match = re.search(r"APPCORE_SERVER_THREADS:-(\d+)", text)
    assert match, "docker-compose.yml: no APPCORE_SERVER_THREADS default"
    return match.group(1)


def start_appcore(port, access_log="true"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPCORE_")}
    env.update(APPCORE_LOGGING_ACCESS_LOG=access_log,
               APPCORE_SERVER_THREADS=THREADS or deploy_threads())
    proc = subprocess.Popen([SERVER, "--config", CONFIG, "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wait_port(port, proc, "appcore-server")
    return proc


def start_bare(port):
    proc = subprocess.Popen([BARE, str(port), THREADS or deploy_threads()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc, "bare_civetweb")
    return proc


class Nginx:
    def __init__(self, upstream):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="appcore-nginx-bench-")
        os.chmod(self.dir, 0o755)
        conf = os.path.join(self.dir, "conf")
        os.mkdir(conf)
        for name in ("nginx.conf", "appcore.conf", "errors.conf"):
            text = open(os.path.join(NGINX_DIR, name)).read()
            if name == "appcore.conf":
                text, n = re.subn(r"(?m)^\tlisten 8080 default_server;$",
                                  f"\tlisten 127.0.0.1:{self.port} default_server;", text)
                assert n == 1, "appcore.conf: the listen line changed"
            open(os.path.join(conf, name), "w").write(text)
        env = dict(os.environ, APPCORE_NGINX_CONF_DIR=conf,
                   APPCORE_NGINX_RUN_DIR=os.path.join(self.dir, "run"),
                   APPCORE_NGINX_UPSTREAM=upstream, APPCORE_NGINX_RATE_PER_IP="10000000",
                   APPCORE_NGINX_BURST_PER_IP="10000000", APPCORE_NGINX_CONN_PER_IP="60000",
                   APPCORE_NGINX_API_THREADS=THREADS or deploy_threads())
        self.proc = subprocess.Popen(["sh", os.path.join(NGINX_DIR, "entrypoint.sh")], env=env,
                                     stdout=open(os.path.join(self.dir, "access.log"), "w"),
                                     stderr=open(os.path.join(self.dir, "error.log"), "w"))
        wait_port(self.port, self.proc, "nginx")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=15)
        shutil.rmtree(self.dir, ignore_errors=True)


def start_fixed_nginx(port):
    """nginx answering the fixed body (as many workers as cores): the cheapest upstream there is."""
    directory = tempfile.mkdtemp(prefix="appcore-nginx-fixed-")
    os.chmod(directory, 0o755)
    conf = os.path.join(directory, "nginx.conf")
    open(conf, "w").write(f"""worker_processes auto;
pid {directory}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
	access_log off;
	client_body_temp_path {directory}/body;
	server {{
		listen 127.0.0.1:{port};
		keepalive_requests 100000;
		location / {{
			default_type application/json;
			return 200 '{FIXED_BODY}';
		}}
	}}
}}
""")
    proc = subprocess.Popen(["nginx", "-p", directory, "-c", conf, "-g", "daemon off;", "-e", "stderr"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc, "fixed-body nginx")
    proc.directory = directory
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if hasattr(proc, "directory"):
        shutil.rmtree(proc.directory, ignore_errors=True)


def wrk(port, connections=CONNECTIONS, seconds=SECONDS):
    subprocess.run(["wrk", "-t2", "-c16", "-d2s", "-s", LUA, f"http://127.0.0.1:{port}/predict"],
                   capture_output=True, check=True)  # warm-up
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", LUA,
                          f"http://127.0.0.1:{port}/predict"], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(re.search(r"^RESULT (.*)$", out, re.M).group(1))


def measure(name, start_upstream, proxied=True):
    port = free_port()
    upstream = start_upstream(port)
    nginx = None
    try:
        if proxied:
            nginx = Nginx(f"127.0.0.1:{port}")
            result = wrk(nginx.port)
        else:
            result = wrk(port)
    finally:
        if nginx:
            nginx.stop()
        stop(upstream)
    result["name"] = name
    print(f"{name}: {json.dumps(result)}", file=sys.stderr)
    return result


def main():
    rows = [
        measure("nginx -> appcore-server", start_appcore),
        measure("nginx -> appcore-server, access log off",
                lambda port: start_appcore(port, access_log="false")),
        measure("nginx -> bare CivetWeb (fixed body)", start_bare),
        measure("nginx -> nginx (fixed body)", start_fixed_nginx),
        measure("appcore-server direct", start_appcore, proxied=False),
    ]
    os.makedirs(OUT, exist_ok=True)
    json.dump(rows, open(os.path.join(OUT, "nginx.json"), "w"), indent=1)
    appcore = rows[0]
    print(f"wrk keep-alive, {CONNECTIONS} connections, {SECONDS} s each, appcore threads "
          f"{THREADS or deploy_threads()}, same run:\n")
    print("| path | requests/s | p50 | p99 | errors (non-2xx, read) | appcore-server vs this |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['name']} | {row['rps']:.0f} | {row['p50_us'] / 1000:.2f} ms | "
              f"{row['p99_us'] / 1000:.2f} ms | {row['errors']} ({row['non_2xx']}, {row['read_errors']}) | "
              f"{appcore['rps'] / row['rps']:.2f}x |")


if __name__ == "__main__":
    main()
