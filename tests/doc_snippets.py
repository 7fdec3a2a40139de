#!/usr/bin/env python3
"""Documentation that cannot rot:
- every ```c block in README.md and docs/*.md is a complete program (or translation unit) that
  compiles against the built library as strict C11 with -Werror, and one with main() runs and
  exits 0 (from the source root, so examples/models/iris.json resolves);
- the error table in docs/http-api.md lists every code of APPCORE_ERROR_LIST in
  include/appcore/error.h with the status that list gives it.

usage: doc_snippets.py SOURCE_DIR BUILD_DIR CC [EXTRA_FLAGS]"""
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile


def snippets(source_dir):
    files = [source_dir / "README.md"] + sorted((source_dir / "docs").glob("*.md"))
    for path in files:
        text = path.read_text()
        for match in re.finditer(r"^```c\n(.*?)^```", text, flags=re.S | re.M):
            line = text.count("\n", 0, match.start()) + 2
            yield path.relative_to(source_dir), line, match.group(1)


def check_snippets(source_dir, build_dir, cc, extra):
    failures = 0
    count = 0
    lib_dir = build_dir / "libappcore"
    with tempfile.TemporaryDirectory() as work:
        for path, line, code in snippets(source_dir):
            count += 1
            name = f"{path}:{line}"
            src = pathlib.Path(work) / f"snippet{count}.c"
            exe = pathlib.Path(work) / f"snippet{count}"
            src.write_text(code)
            has_main = re.search(r"\bint\s+main\s*\(", code) is not None
            command = [*cc, "-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror",
                       "-D_POSIX_C_SOURCE=200809L", *extra,
                       f"-I{source_dir / 'include'}", f"-I{build_dir / 'include'}", str(src)]
            if has_main:
                command += ["-o", str(exe), f"-L{lib_dir}", f"-Wl,-rpath,{lib_dir}",
                            "-lappcore", "-pthread", "-lm"]
            else:
                command += ["-c", "-o", str(exe) + ".o"]
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                print(f"FAIL {name}: does not compile\n{result.stderr}")
                failures += 1
                continue
            if has_main:
                run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60,
                                     cwd=source_dir)
                if run.returncode != 0:
                    print(f"FAIL {name}: exit {run.returncode}\n{run.stdout}{run.stderr}")
                    failures += 1
                    continue
            print(f"ok   {name}" + (" (ran)" if has_main else " (compiled)"))
    return count, failures


def check_error_table(source_dir):
    header = (source_dir / "include" / "appcore" / "error.h").read_text()
    listed = {machine: int(status) for machine, status in
              re.findall(r'X\(\w+, -?\d+, "(\w+)", (\d+),', header)}
    doc = (source_dir / "docs" / "http-api.md").read_text()
    documented = {}
    for status, codes in re.findall(r"^\| (\d{3}) \| ([^|]+) \|", doc, flags=re.M):
        for code in re.findall(r"`(\w+)`", codes):
            documented[code] = int(status)
    problems = []
    for code, status in sorted(listed.items()):
        if code == "ok":
            continue
        if code not in documented:
            problems.append(f"docs/http-api.md: error code {code} ({status}) is not in the table")
        elif documented[code] != status:
            problems.append(f"docs/http-api.md: {code} is documented as {documented[code]}, "
                            f"the library answers {status}")
    for code in sorted(set(documented) - set(listed)):
        problems.append(f"docs/http-api.md: {code} is not an error code of the library")
    for problem in problems:
        print("FAIL " + problem)
    return len(problems)


def main():
    source_dir = pathlib.Path(sys.argv[1]).resolve()
    build_dir = pathlib.Path(sys.argv[2]).resolve()
    cc = shlex.split(sys.argv[3])
    extra = shlex.split(sys.argv[4]) if len(sys.argv) > 4 else []
    count, failures = check_snippets(source_dir, build_dir, cc, extra)
    failures += check_error_table(source_dir)
    print(f"{count} C snippets checked, {failures} problems")
    if count == 0:
        print("FAIL no C snippet found: the test would check nothing")
        return 1
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
