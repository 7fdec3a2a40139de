#!/usr/bin/env python3
"""Check that libappcore.so exports exactly the symbols listed in appcore.sym,
and that every listed symbol is declared APPCORE_API in a public header."""
import pathlib
import re
import subprocess
import sys


def main() -> int:
    if len(sys.argv) < 4:
        print("usage: symbols.py LIBAPPCORE_SO APPCORE_SYM INCLUDE_DIR...", file=sys.stderr)
        return 2
    library, symbols_file, *include_dirs = sys.argv[1:]
    nm = subprocess.run(["nm", "-D", "--defined-only", library],
                        check=True, capture_output=True, text=True).stdout
    exported = set()
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBRVWiu":
            exported.add(parts[2].split("@")[0])
    listed = {line.strip() for line in pathlib.Path(symbols_file).read_text().splitlines()
              if line.strip() and not line.startswith("#")}

    declared = set()
    for include_dir in include_dirs:
        for header in pathlib.Path(include_dir).rglob("*.h"):
            text = header.read_text()
            declared.update(re.findall(r"APPCORE_API\s+[^;(]*?\b(appcore_\w+)\s*\(", text))

    ok = True
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
    print(f"{len(exported)} exported symbols, {len(listed)} listed: {'ok' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
