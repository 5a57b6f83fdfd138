#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The XDP micro-bench: ns per packet per rewrite case, timed by the kernel through
# BPF_PROG_TEST_RUN, beside a program that only drops (the per-run cost). Root.
#
# usage: bench/xdp-microbench.sh XDP_BENCH_BINARY XDP_DROP_OBJECT [RUNS]
set -euo pipefail
exec "$1" "$2" "${3:-20000}"
