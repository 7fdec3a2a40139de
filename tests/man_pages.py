#!/usr/bin/env python3
"""The manual pages are valid (mandoc -Tlint) and document every long option the programs'
--help lists, so a new flag cannot go unmentioned. Exit 77 (skip) without mandoc.

usage: man_pages.py SOURCE_DIR SERVER CLI"""
import pathlib
import re
import shutil
import subprocess
import sys


def options(command):
    text = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
    return set(re.findall(r"(--[a-z][a-z-]*)", text))


def main():
    source_dir, server, cli = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    pages = {"appcore-server": source_dir / "docs/man/appcore-server.1",
             "appcore-cli": source_dir / "docs/man/appcore-cli.1"}
    problems = []
    if shutil.which("mandoc") is None:
        print("skipped: mandoc not installed")
        return 77
    for page in pages.values():
        lint = subprocess.run(["mandoc", "-Tlint", "-W", "warning", str(page)],
                              capture_output=True, text=True)
        if lint.returncode != 0 or lint.stdout or lint.stderr:
            problems.append(f"{page.name}: {lint.stdout}{lint.stderr}")
    # the text as a reader sees it: mandoc renders \- as -, and bold as overstrike (x BS x),
    # which dropping every "character, backspace" pair undoes
    rendered = {name: re.sub(r".\x08", "", subprocess.run(["mandoc", "-Tascii", str(page)],
                                                          capture_output=True, text=True).stdout)
                for name, page in pages.items()}
    wanted = {"appcore-server": options([server, "--help"])}
    cli_options = set()
    for command in ("predict", "inspect", "config", "health", "version"):
        cli_options |= options([cli, command, "--help"])
    wanted["appcore-cli"] = cli_options - {"--help"}
    for name, flags in wanted.items():
        for flag in sorted(flags):
            if flag not in rendered[name]:
                problems.append(f"{name}(1) does not document {flag}")
    for problem in problems:
        print("FAIL " + problem)
    print(f"{len(pages)} pages, {sum(len(f) for f in wanted.values())} options: "
          f"{'ok' if not problems else 'problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
