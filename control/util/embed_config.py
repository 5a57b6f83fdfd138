#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Build step: turn conf/turnpike.conf into a C string, so that the binary carries its own
# defaults and the documented file and the defaults can never drift apart.
import sys

src, dst = sys.argv[1], sys.argv[2]
with open(src, "rb") as f:
    data = f.read()
with open(dst, "w") as out:
    out.write("/* Generated from conf/turnpike.conf by control/util/embed_config.py. */\n")
    out.write("const char tp_default_config[] =\n")
    for line in data.splitlines(keepends=True):
        esc = "".join(c if 32 <= ord(c) < 127 and c not in '"\\?' else "\\%03o" % ord(c)
                      for c in line.decode("utf-8").encode("utf-8").decode("latin-1"))
        out.write('\t"%s"\n' % esc)
    out.write("\t;\n")
