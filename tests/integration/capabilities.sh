#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The capabilities conf/turnpike.service documents for xdp and dpdk mode, tried without
# systemd: the sets are read from the unit's comments, and turnpike runs under setpriv with
# exactly them (xdp: an unprivileged user, as DynamicUser=yes runs it, with the set as its
# ambient and bounding sets; dpdk: root, as the drop-in's User=root, bounded by the set). It
# must relay coturn's client with 0% loss through its fast path. Then, with one capability of
# the set taken away (CAP_BPF for xdp, CAP_NET_RAW for dpdk), it must refuse to start, saying
# why: the sets are what the modes need, not more than they use.
#
# usage: capabilities.sh TURNPIKE MODE XDP_PASS_OBJECT SOURCE_ROOT   (MODE: xdp | dpdk)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_need_root "capability sets"
turnpike=$(realpath "$1") mode=$2 pass_obj=$3 root=$4
tp_veth_begin cap
tp_veth_relay "$mode" "$pass_obj"
tp_veth_conf "$mode"
# The unprivileged user writes its flow log and admin socket here.
chmod 777 "$TP_WORK"

# "#   xdp:   AmbientCapabilities=CAP_A CAP_B" -> "+a,+b"
set_of() {
	sed -nE "s/^#   $1: +AmbientCapabilities=(.*)$/\1/p" "$root/conf/turnpike.service" |
		tr ' ' '\n' | sed -E 's/^CAP_(.*)$/+\L\1/' | paste -sd, -
}
caps=$(set_of "$mode")
[[ -n $caps ]] || tp_fail "no AmbientCapabilities= for $mode in conf/turnpike.service"
echo "the unit's $mode set: $caps"

start() { # CAPS: turnpike under them, in the relay's namespace
	local wrap=(setpriv --bounding-set="-all,$1")
	[[ $mode != xdp ]] || wrap=(setpriv --reuid=65534 --regid=65534 --clear-groups
		--inh-caps="-all,$1" --ambient-caps="-all,$1" --bounding-set="-all,$1")
	ip netns exec "$relay" timeout -k 10 60 "${wrap[@]}" "$turnpike" -c "$TP_WORK/turnpike.conf" \
		>"$TP_WORK/turnpike.log" 2>&1 &
	TP_PID=$!
	TP_PIDS+=("$TP_PID")
}

start "$caps"
tp_wait_ready "$TP_WORK/turnpike.log" "$TP_PID"
[[ $mode != xdp ]] || [[ $(stat -c %u "$TP_WORK/admin.sock") == 65534 ]] ||
	tp_fail "turnpike does not run as the unprivileged user"
tp_start_peer "$hosts" 3480 192.0.2.20
H timeout 60 turnutils_uclient -u alice -w alice-pw -e 192.0.2.20 -r 3480 -n 50 -m 1 -c \
	-L 192.0.2.10 192.0.2.1 >"$TP_WORK/client.log" 2>&1 || true
tp_uclient_verdict "$TP_WORK/client.log" "coturn's client under the $mode set"
# The first datagrams may reach the peer through the control thread, while it resolves the
# peer's MAC (dpdk: ARP).
tp_wait_metric 45 turnpike_relayed_packets_total path="$mode" direction=to_peer
tp_stop_turnpike

needed=$([[ $mode == xdp ]] && echo bpf || echo net_raw)
less=$(tr ',' '\n' <<<"$caps" | grep -vx "+$needed" | paste -sd, -)
start "$less"
tp_expect_exit 1 30 "error: (the kernel refused the XDP program|dpdk.ports)" \
	"starting without CAP_${needed^^}"
echo "ok   one capability fewer ($less): turnpike refuses to start, and says why"
echo "PASS: capabilities $mode"
