"""Batch-job throughput, all in one run: appcore-cli predict on a file (the single-process
reference) against the same file as a job scored by 1 and by 2 appcore-cli worker processes,
with a real redis-server and appcore-server (tests/jobs/jobsctl.py starts them). Each job runs
twice: uploaded (POST text/csv), and named by input_path in the jobs directory (no upload
competing with the workers for the two cores).

A job's rate is rows / (finished_at - started_at): from the first chunk taken to the last one
recorded, so it covers the queue, reading the chunks, scoring, writing and recording the
results, but not the upload. Rounds interleave the measurements so that the machine's
load drifts over all of them alike; the table gives the median and the best round.

Run by bench/jobs.sh (which sets APPCORE_SERVER, APPCORE_CLI and APPCORE_SOURCE_DIR).
"""
import argparse
import calendar
import json
import resource
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["APPCORE_SOURCE_DIR"], "tests", "jobs"))
import jobsctl  # noqa: E402
from jobsctl import Stack  # noqa: E402

MODEL = "multi_softprob"


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def children_cpu():
    """CPU seconds of the reaped child processes (the CLI, stopped workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid):
    """CPU seconds of a running process (redis-server, appcore-server), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cli_rate(stack, path, rows):
    started, cpu = time.monotonic(), children_cpu()
    # to a file on the same file system, as the workers write their results
    with open(path + ".predictions", "wb") as out:
        subprocess.run([jobsctl.CLI, "predict", "--model", jobsctl.fixture(MODEL),
                        "--input-format", "csv", path], stdout=out, check=True,
                       env=stack.env)
    return rows / (time.monotonic() - started), rows / (children_cpu() - cpu)


def cli_pair_rate(stack, halves, rows):
    """Two CLI processes at once, each on half of the file: what two processes get from this
    machine right now, the reference for two workers."""
    started = time.monotonic()
    procs = []
    for half in halves:
        out = open(half + ".predictions", "wb")
        procs.append((subprocess.Popen([jobsctl.CLI, "predict", "--model", jobsctl.fixture(MODEL),
                                        "--input-format", "csv", half], stdout=out,
                                       env=stack.env), out))
    for proc, out in procs:
        assert proc.wait() == 0
        out.close()
    return rows / (time.monotonic() - started)


def ms(text):
    """Unix ms of a job timestamp, "2026-11-24T08:24:38.891Z"."""
    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(text[20:23])


def job_rate(stack, path, workers, threads, by_path=False):
    """(rows/s of the job, rows per CPU second of its workers, upload seconds, CPU seconds of
    Redis and of the server during the job). by_path: the job names the file in the jobs
    directory instead of uploading it, so no upload competes with the workers for the cores."""
    cpu = children_cpu()
    redis_cpu, server_cpu = process_cpu(stack.redis.proc.pid), process_cpu(stack.server.proc.pid)
    for _ in range(workers):
        stack.add_worker({"APPCORE_JOBS_WORKER_THREADS": str(threads)})
    try:
        if by_path:
            body = json.dumps({"model": stack.model, "format": "csv",
                               "input_path": os.path.relpath(path, stack.jobs_dir)}).encode()
            submitted = time.monotonic()
            job = stack.submit_ok(body, content_type="application/json", query="")
        else:
            with open(path, "rb") as f:
                body = f.read()
            submitted = time.monotonic()
            job = stack.submit_ok(body)
        upload = time.monotonic() - submitted
        done = stack.wait_finished(job["id"], timeout=600)
        assert done["state"] == "succeeded", done
        seconds = (ms(done["finished_at"]) - ms(done["started_at"])) / 1000.0
        redis_cpu = process_cpu(stack.redis.proc.pid) - redis_cpu
        server_cpu = process_cpu(stack.server.proc.pid) - server_cpu
    finally:
        for worker in stack.workers:
            worker.stop()
        stack.workers.clear()
    return (done["rows_total"] / seconds, done["rows_total"] / (children_cpu() - cpu), upload,
            redis_cpu, server_cpu)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunk-rows", type=int, default=50000)
    parser.add_argument("--json", help="write the measurements here")
    args = parser.parse_args()
    jobsctl.skip_without_redis()

    names = ("cli", "2 cli", "1 worker", "2 workers", "1 worker, path", "2 workers, path")
    results = {name: [] for name in names}
    cpu = {name: [] for name in names}
    results.update({"uploads": [], "redis_cpu": [], "server_cpu": [], "load": [load()]})
    with Stack(model=MODEL, workers=0,
               settings={"APPCORE_JOBS_CHUNK_ROWS": str(args.chunk_rows),
                         "APPCORE_JOBS_VISIBILITY_TIMEOUT_MS": "60000"}) as stack:
        path = os.path.join(stack.jobs_dir, "bench.csv")
        sys.path.insert(0, os.path.dirname(os.path.abspath(jobsctl.__file__)))
        from test_jobs_scale import write_rows  # the tests' file: fixture rows, 13 features
        write_rows(path, args.rows, seed=1)
        size = os.path.getsize(path)
        with open(path) as f:
            lines = f.readlines()
        halves = [path + ".1", path + ".2"]
        for half, part in zip(halves, (lines[:len(lines) // 2], lines[len(lines) // 2:])):
            with open(half, "w") as f:
                f.writelines(part)
        del lines
        for r in range(args.rounds):
            rate, per_cpu = cli_rate(stack, path, args.rows)
            results["cli"].append(rate)
            cpu["cli"].append(per_cpu)
            cpu_before = children_cpu()
            results["2 cli"].append(cli_pair_rate(stack, halves, args.rows))
            cpu["2 cli"].append(args.rows / (children_cpu() - cpu_before))
            for name, workers, by_path in (("1 worker", 1, False), ("2 workers", 2, False),
                                           ("1 worker, path", 1, True),
                                           ("2 workers, path", 2, True)):
                rate, per_cpu, upload, redis_cpu, server_cpu = job_rate(stack, path, workers, 1,
                                                                        by_path)
                results[name].append(rate)
                cpu[name].append(per_cpu)
                if not by_path:
                    results["uploads"].append(upload)
                results["redis_cpu"].append(redis_cpu)
                results["server_cpu"].append(server_cpu)
            results["load"].append(load())
            print(f"round {r + 1}: cli {results['cli'][-1]:,.0f} rows/s, "
                  f"2 cli {results['2 cli'][-1]:,.0f}, "
                  f"1 worker {results['1 worker'][-1]:,.0f}, "
                  f"2 workers {results['2 workers'][-1]:,.0f}, by path 1 worker "
                  f"{results['1 worker, path'][-1]:,.0f}, 2 workers "
                  f"{results['2 workers, path'][-1]:,.0f} (load {results['load'][-1]})",
                  file=sys.stderr)
    results["cpu"] = cpu

    def med(name):
        return statistics.median(results[name])

    def best(name):
        return max(results[name])

    def cmed(name):
        return statistics.median(cpu[name])

    print(f"\n{args.rows:,} rows, {size / 1e6:.1f} MB CSV, model {MODEL} (13 features, 30 trees, "
          f"3 classes), chunks of {args.chunk_rows:,} rows, {args.rounds} rounds, "
          f"load average {', '.join(results['load'])}\n")
    print("| | median rows/s | best rows/s | median ratio | best ratio | rows per CPU second "
          "(median) | CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| appcore-cli predict (reference) | {med('cli'):,.0f} | {best('cli'):,.0f} | 1.00 | "
          f"1.00 | {cmed('cli'):,.0f} | 1.00 |")
    for name, label in (("2 cli", "2 x appcore-cli predict, half the file each"),
                        ("1 worker", "job (upload), 1 worker"),
                        ("2 workers", "job (upload), 2 workers"),
                        ("1 worker, path", "job (input_path), 1 worker"),
                        ("2 workers, path", "job (input_path), 2 workers")):
        print(f"| {label} | {med(name):,.0f} | {best(name):,.0f} | "
              f"{med(name) / med('cli'):.2f} | {best(name) / best('cli'):.2f} | "
              f"{cmed(name):,.0f} | {cmed(name) / cmed('cli'):.2f} |")
    pairs = [w2 / w1 for w2, w1 in zip(results["2 workers"], results["1 worker"])]
    path_pairs = [w2 / w1 for w2, w1 in zip(results["2 workers, path"],
                                             results["1 worker, path"])]
    machine = [c2 / c1 for c2, c1 in zip(results["2 cli"], results["cli"])]
    print(f"\nPer round, 2 workers / 1 worker: {', '.join(f'{x:.2f}' for x in pairs)} "
          f"(upload), {', '.join(f'{x:.2f}' for x in path_pairs)} (input_path); "
          f"2 CLIs / 1 CLI (what the machine gave two processes): "
          f"{', '.join(f'{x:.2f}' for x in machine)}")
    print(f"\n2 workers / 1 worker: {med('2 workers') / med('1 worker'):.2f} (median), "
          f"{best('2 workers') / best('1 worker'):.2f} (best) uploaded; "
          f"{med('2 workers, path') / med('1 worker, path'):.2f} (median), "
          f"{best('2 workers, path') / best('1 worker, path'):.2f} (best) by input_path. "
          f"One worker / CLI: "
          f"{med('1 worker') / med('cli'):.2f} (median), {best('1 worker') / best('cli'):.2f} "
          f"(best); per CPU second {cmed('1 worker') / cmed('cli'):.2f}. Upload and split: "
          f"{size / 1e6 / statistics.median(results['uploads']):.0f} MB/s (median). CPU per "
          f"job: redis-server {statistics.median(results['redis_cpu']):.2f} s, appcore-server "
          f"{statistics.median(results['server_cpu']):.2f} s (median)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
