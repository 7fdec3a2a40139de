"""The example programs (examples/), built and run: their answers are the CLI's."""
import os
import signal
import socket
import subprocess
import unittest

import serverctl

CLI = os.environ["APPCORE_CLI"]
PREDICT = os.environ["APPCORE_EXAMPLE_PREDICT"]
EMBED = os.environ["APPCORE_EXAMPLE_EMBED_SERVER"]
MODEL = os.path.join(os.environ["APPCORE_SOURCE_DIR"], "examples", "models", "iris.json")


def cli_json(body):
    """stdout of `appcore-cli predict` for a JSON request body (answers and errors alike)."""
    result = subprocess.run([CLI, "predict", "--model", MODEL], input=body, capture_output=True,
                            timeout=30)
    return result.stdout


class PredictExample(unittest.TestCase):
    def test_rows_from_the_command_line(self):
        result = subprocess.run([PREDICT, MODEL, "5.1,3.5,1.4,0.2", "6.2,,4.8,1.8"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        csv = subprocess.run([CLI, "predict", "--model", MODEL, "--input-format", "csv"],
                             input="5.1,3.5,1.4,0.2\n6.2,,4.8,1.8\n", capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(result.stdout, csv.stdout)
        self.assertEqual(result.stdout.splitlines()[0], "0.991851151,0.00543696666,0.00271187117")

    def test_bad_row_and_usage(self):
        result = subprocess.run([PREDICT, MODEL, "5.1,3.5"], capture_output=True, text=True,
                                timeout=30)
        self.assertEqual((result.returncode, result.stderr),
                         (1, "row 1: expected 4 comma-separated numbers\n"))
        self.assertEqual(subprocess.run([PREDICT], capture_output=True, timeout=30).returncode, 2)


class EmbedServerExample(unittest.TestCase):
    def setUp(self):
        self.proc = serverctl.track(subprocess.Popen([EMBED, MODEL], stdout=subprocess.PIPE,
                                                     text=True))
        self.addCleanup(self.proc.kill)
        line = self.proc.stdout.readline()
        self.assertTrue(line.startswith("listening on "), line)
        self.port = int(line.split()[-1])

    def exchange(self, sock_file, line):
        sock_file.write(line + b"\n")
        sock_file.flush()
        return sock_file.readline()

    def test_answers_are_the_servers_bodies(self):
        requests = [b'{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, null, 4.8, 1.8]]}',
                    b'{"instances": [{"petal_length": 4.8}], "output": "margin"}',
                    b'{"instances": [[1, 2]]}',
                    b'{"instances": [[1, 2, 3, 4]] oops']
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as a, \
                socket.create_connection(("127.0.0.1", self.port), timeout=10) as b:
            fa, fb = a.makefile("rwb"), b.makefile("rwb")
            for i, request in enumerate(requests):
                got = self.exchange(fa if i % 2 == 0 else fb, request)
                self.assertEqual(got, cli_json(request), request)
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=10), 0)


if __name__ == "__main__":
    serverctl.main()
