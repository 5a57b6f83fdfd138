#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A build with -Ddpdk=disabled -Dxdp=disabled is socket mode alone: turnpike links neither
# DPDK nor libbpf, nothing in the build is compiled against their headers, and --version
# names socket alone. (What such a build registers of the tests is the rest of its suite.)
#
# usage: socket_only.sh TURNPIKE BUILD_DIR
set -euo pipefail
turnpike=$1 build=$2
libs=$(ldd "$turnpike")
if grep -E 'librte_|libbpf' <<<"$libs"; then
	echo "FAIL: turnpike links DPDK or libbpf" >&2
	exit 1
fi
if grep -E -- '-I[^ "]*(dpdk|libbpf)|include/bpf|rte_' "$build/compile_commands.json"; then
	echo "FAIL: something is compiled against DPDK's or libbpf's headers" >&2
	exit 1
fi
version=$("$turnpike" --version)
[[ $version == *"(dataplanes: socket)" ]] || { echo "FAIL: $version" >&2; exit 1; }
echo "ok: $version, linking neither DPDK nor libbpf"
