#!/usr/bin/env python3
"""Check libappcore's ABI against libappcore/appcore.sym, the linker version script:
- the shared library exports exactly the names the script lists, each tagged with its node;
- the node is APPCORE_<major>.<minor> of VERSION while the version is 0.x (APPCORE_<major>.x
  after), and the library's soname follows the same policy (libappcore.so.0.<minor>);
- every listed name is declared APPCORE_API in a public header."""
import pathlib
import re
import subprocess
import sys


def script_names(text):
    """Node name and global names of a one-node version script."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    node = re.match(r"\s*(\w+(?:\.\w+)*)\s*\{", text)
    globals_part = re.search(r"global:(.*?)local:", text, flags=re.S)
    if not node or not globals_part:
        raise SystemExit("appcore.sym: expected `NODE { global: ...; local: *; };`")
    names = re.findall(r"(\w+)\s*;", globals_part.group(1))
    return node.group(1), set(names)


def main() -> int:
    if len(sys.argv) < 5:
        print("usage: symbols.py LIBAPPCORE_SO APPCORE_SYM VERSION_FILE INCLUDE_DIR...",
              file=sys.stderr)
        return 2
    library, symbols_file, version_file, *include_dirs = sys.argv[1:]
    major, minor, _patch = pathlib.Path(version_file).read_text().strip().split(".")
    node, listed = script_names(pathlib.Path(symbols_file).read_text())
    ok = True

    expected_node = f"APPCORE_{major}.{minor}" if major == "0" else None
    if expected_node and node != expected_node:
        print(f"version node is {node}, expected {expected_node} for version {major}.{minor}")
        ok = False
    expected_soname = f"libappcore.so.{major}.{minor}" if major == "0" else f"libappcore.so.{major}"
    dynamic = subprocess.run(["readelf", "-d", library], check=True, capture_output=True,
                             text=True).stdout
    soname = re.search(r"\(SONAME\).*\[(.*)\]", dynamic)
    if not soname or soname.group(1) != expected_soname:
        print(f"soname is {soname.group(1) if soname else None}, expected {expected_soname}")
        ok = False

    nm = subprocess.run(["nm", "-D", "--defined-only", library],
                        check=True, capture_output=True, text=True).stdout
    exported = set()
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBRVWiu":
            name, _, version = parts[2].partition("@")
            if name == node and parts[1] == "A":
                continue
            exported.add(name)
            if version.lstrip("@") != node:
                print(f"{name} is tagged {version or 'without a version'}, expected {node}")
                ok = False

    declared = set()
    for include_dir in include_dirs:
        for header in pathlib.Path(include_dir).rglob("*.h"):
            text = header.read_text()
            declared.update(re.findall(r"APPCORE_API\s+[^;(]*?\b(appcore_\w+)\s*\(", text))

    for name in sorted(exported - listed):
        print(f"exported but not in {symbols_file}: {name}")
        ok = False
    for name in sorted(listed - exported):
        print(f"listed in {symbols_file} but not exported: {name}")
        ok = False
    for name in sorted(listed - declared):
        print(f"listed but not declared APPCORE_API in a public header: {name}")
        ok = False
    for name in sorted(exported):
        if not name.startswith("appcore_"):
            print(f"exported symbol without the appcore_ prefix: {name}")
            ok = False
    print(f"{len(exported)} exported symbols, {len(listed)} listed, node {node}, "
          f"soname {soname.group(1) if soname else None}: {'ok' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
