#!/usr/bin/env python3
"""Embed a text file in the server as a C byte array: embed_text.py INPUT OUTPUT SYMBOL VERSION.

@VERSION@ in the text becomes VERSION. A byte array rather than a string literal: ISO C only
promises string literals of 4095 characters, and -pedantic says so."""
import sys

source, output, symbol, version = sys.argv[1:5]
with open(source, "rb") as f:
    data = f.read().replace(b"@VERSION@", version.encode())
lines = [", ".join(str(b) for b in data[i:i + 24]) for i in range(0, len(data), 24)]
with open(output, "w") as f:
    f.write("/* generated from %s by embed_text.py: do not edit */\n" % source.split("/")[-1])
    f.write("#include <stddef.h>\n\n")
    f.write("extern const char %s[];\nextern const size_t %s_len;\n\n" % (symbol, symbol))
    f.write("const char %s[] = {\n\t" % symbol)
    f.write(",\n\t".join(lines))
    f.write(", 0\n};\nconst size_t %s_len = %d;\n" % (symbol, len(data)))
