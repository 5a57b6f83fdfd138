#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Honest clients under an unauthenticated flood, in each mode: while tp_flood sends minimal
# Allocates flat out from 32 sockets of one address (192.0.2.10; the generator's rate is
# printed), honest.py on another address (192.0.2.20) makes COUNT allocations with a channel,
# one after the other, each timed from its first request to the ChannelBind's success. The
# relay runs as shipped (limits at their defaults), on the one-armed veth topology the
# integration tests use (tests/integration/lib.sh). Prints, per mode:
#   mode M flood-pps R flood-out/in X honest ok N of COUNT p50-ms P p99-ms P max-ms M
# flood-out/in: the bytes the relay sent the flooding address over the bytes it sent.
#
# usage: sudo bench/flood-bench.sh BUILD_DIR [COUNT [MODES]]     (MODES: "socket xdp dpdk")
set -euo pipefail
build=$(cd "$1" && pwd) count=${2:-100} modes=${3:-socket xdp dpdk}
here=$(cd "$(dirname "$0")" && pwd)
if [[ $modes == *" "* ]]; then # one process a mode: each cleans up its own namespaces
	for mode in $modes; do "$0" "$1" "$count" "$mode"; done
	exit 0
fi
. "$here/../tests/integration/lib.sh"
tp_need_root "a flood over veth"
flood_s=$((count / 10 + 20)) # longer than the honest rounds take
mode=$modes
tp_veth_begin fb
tp_veth_relay "$mode" "$build/tests/xdp/xdp_pass.bpf.o"
tp_veth_conf "$mode" 'peers: { allow = [ "192.0.2.0/24" ]; };'
tp_relay_start "$relay" "$build/turnpike"
H "$build/tests/integration/tp_flood" 192.0.2.1 3478 192.0.2.10 "$flood_s" 32 \
	>"$TP_WORK/flood.out" &
flood=$!
TP_PIDS+=("$flood")
sleep 2 # the flood at full rate first
result=$(H /usr/bin/python3 "$here/honest.py" 192.0.2.1 3478 192.0.2.20 192.0.2.20 9 "$count")
wait "$flood"
# tp_flood: "flood sent N bytes B received N bytes B seconds S rate R"
read -r pps ratio < <(awk '{ printf "%s %.3f\n", $13, $5 ? $9 / $5 : 0 }' "$TP_WORK/flood.out")
echo "mode $mode flood-pps $pps flood-out/in $ratio $result"
tp_stop_turnpike
