#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The kernel's verifier accepts dataplane/core inside the minimal XDP program, with its
# configuration unknown at load time so that every path is checked. Needs root (CI is root);
# elsewhere it reports itself skipped, with the reason.
#
# usage: xdp_load.sh XDP_MIN_OBJECT
set -euo pipefail
if [[ $EUID -ne 0 ]]; then
	echo "loading BPF programs needs root: skipped"
	exit 77
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
pin=/sys/fs/bpf/tp_core_check_$$
log=$(mktemp)
trap 'rm -f "$pin" "$log"' EXIT
if ! bpftool prog load "$1" "$pin" type xdp 2>"$log"; then
	tail -n 30 "$log" >&2
	echo "FAIL: the verifier refused the core" >&2
	exit 1
fi
bpftool prog show pinned "$pin"
echo "the verifier accepts dataplane/core"
