#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The relay is never its own peer, in each dataplane, whatever peers.allow says (here: the
# relay's own prefixes): self_peer.py's requests toward the relay's addresses outside the
# allocation range get 403, and its two Send indications toward them are dropped and counted
# (turnpike_engine_drop_relay_port_total).
#
#   ns relay: r0 192.0.2.1 2001:db8::1 (the kernel's in socket and xdp mode; DPDK's own)
#   ns hosts: h0 192.0.2.10 (the client)
#
# usage: self_peer.sh TURNPIKE MODE XDP_PASS_OBJECT      (MODE: socket | xdp | dpdk)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_need_root "the relay as its own peer, over veth"
turnpike=$1 mode=$2 pass_obj=${3:-}
tp_veth_begin sp
case $mode in
socket | xdp)
	R ip addr add 192.0.2.1/24 dev r0
	R ip addr add 2001:db8::1/64 dev r0 nodad
	;;
dpdk) R sysctl -qw net.ipv6.conf.r0.disable_ipv6=1 ;;
*) tp_fail "unknown mode $mode" ;;
esac
R ip link set r0 up
H ip link set h0 up
case $mode in
xdp)
	ip -n "$hosts" link set dev h0 xdpdrv obj "$pass_obj" sec xdp
	mac=$(H cat /sys/class/net/h0/address)
	plane="xdp: { interface = \"r0\"; nexthop = \"static\"; nexthop-mac = \"$mac\"; };"
	;;
dpdk)
	plane="dpdk: { lcores = \"0-1\"; file-prefix = \"$prefix\"; stats-interval = 0;
		eal-args = [ \"--no-huge\", \"-m\", \"1024\" ]; max-bindings = 4096;
		ports = [ \"net_af_packet0,iface=r0\" ]; };"
	;;
*) plane="" ;;
esac
cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "$mode"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { bind = "2001:db8::1"; }; };
auth: { realm = "turnpike.test"; users = ( { name = "alice"; password = "alice-pw"; } ); };
peers: { allow = [ "192.0.2.0/24", "2001:db8::/64", "::ffff:0:0/96" ]; };
$(tp_observe_conf)
$plane
CONF
tp_relay_start "$relay" "$turnpike"
port_min=$(awk -F= '/port-min/ { gsub(/[ ;]/, "", $2); print $2; exit }' "$TP_HERE/../../conf/turnpike.conf")
H timeout 25 /usr/bin/python3 "$here/self_peer.py" 192.0.2.1 3478 192.0.2.10 2001:db8::1 \
	"$port_min" || tp_fail "self_peer.py"
tp_wait_metric 2 turnpike_engine_drop_relay_port_total
tp_stop_turnpike
echo "PASS: the relay is not its own peer ($mode)"
