#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The committed golden vectors are what make_vectors.py produces: regenerate them and compare
# (so a change to the generator cannot be forgotten, nor the files edited by hand).
#
# usage: vectors_fresh.sh VECTOR_DIR
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Debian's python3-scapy lives with Debian's python3.
/usr/bin/python3 "$1/make_vectors.py" "$work" >/dev/null
for f in vectors.json input.pcap expected.pcap; do
	cmp "$work/$f" "$1/$f" || { echo "$f differs from make_vectors.py's output" >&2; exit 1; }
done
echo "vectors.json, input.pcap and expected.pcap match make_vectors.py"
