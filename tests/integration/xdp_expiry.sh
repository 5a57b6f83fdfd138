#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The XDP program's real tables follow the bindings' lifetimes: entries appear with a
# ChannelBind and leave when the relay's timers take the binding down, with no Refresh 0 to
# help. Native XDP on veth, short lifetimes (the minimum permission lifetime, 30 s: a channel
# stays in the fast path only while its permission lives).
#
#   ns relay: r0 192.0.2.1      turnpike (xdp mode on r0, static next hop)
#   ns hosts: h0 192.0.2.10 (clients), 192.0.2.20 (the peer), XDP_PASS on h0
#
# Two clients bind a channel each (xdp_bind.py; data crosses both ways through the program),
# each binding in both tables by the time its answer arrives, and tp_chans and tp_peers hold
# one entry per channel. The channel entry of the second is
# then deleted behind turnpike's back: when the bindings expire, both entries of the first
# and the peer entry of the second must leave the tables, and both bindings' counter slots
# must come back (the second's found through its peer entry), so that two new bindings get
# slots 1 and 2 again, their counters from zero. Then a hairpin (xdp_hairpin.py): two more
# clients bind channels to each other's relayed addresses, and each channel entry must keep
# the other's peer entry as its far end, until that client leaves. Once turnpike is gone, no
# XDP program is left on r0.
#
# usage: xdp_expiry.sh TURNPIKE XDP_PASS_OBJECT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/xdp_tables.sh"

tp_need_root "the XDP tables' expiry over veth"
turnpike=$1 pass_obj=$2
tp_veth_begin xx
R ip addr add 192.0.2.1/24 dev r0
R ip link set r0 up
H ip link set h0 up
ip -n "$hosts" link set dev h0 xdpdrv obj "$pass_obj" sec xdp
mac=$(H cat /sys/class/net/h0/address)

cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "xdp"; };
log: { level = "debug"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { enabled = false; }; };
auth: { realm = "turnpike.test"; users = ( { name = "alice"; password = "alice-pw"; } ); };
lifetimes: { permission = 30; channel = 60; allocation-default = 600; };
xdp: { interface = "r0"; attach = "native"; nexthop = "static"; nexthop-mac = "$mac"; };
$(tp_observe_conf)
CONF
tp_relay_start "$relay" "$turnpike"
prog=$(xdp_prog_id "$relay" r0)
[[ -n $prog ]] || tp_fail "no XDP program on r0"
echo "program $prog on r0: tp_chans is map $(xdp_map_id "$prog" tp_chans)," \
	"tp_peers map $(xdp_map_id "$prog" tp_peers)"

# Each binding in both tables by the time its ChannelBind's answer arrives (TP_XDP_MAPS).
maps="$(xdp_map_id "$prog" tp_chans) $(xdp_map_id "$prog" tp_peers)"
bind_channels() {
	H env TP_XDP_MAPS="$maps" timeout 30 python3 "$here/xdp_bind.py" 192.0.2.1 3478 \
		192.0.2.10 192.0.2.20 3480 "$@" || tp_fail "xdp_bind.py failed for channels $*"
}
# counters TABLE: the counter slots the table's entries name, sorted, on one line (the core's
# value in the program's: chan beside a hairpin's far end, peer beside a flow label).
counters() {
	xdp_table_dump "$prog" "$1" |
		jq -r '[.[].formatted.value | (.chan // .peer) | .slot] | sort | join(" ")'
}
tables() {
	echo "$1: tp_chans $(xdp_table_len "$prog" tp_chans) entries (slots $(counters tp_chans))," \
		"tp_peers $(xdp_table_len "$prog" tp_peers) (slots $(counters tp_peers))"
}

bind_channels 0x4001 0x4002
bound=$SECONDS
tables "after two ChannelBinds"
[[ $(counters tp_chans) == "1 2" && $(counters tp_peers) == "1 2" ]] ||
	tp_fail "the tables do not hold the two bindings with slots 1 and 2"

# The second binding's channel entry goes behind turnpike's back (an operator's bpftool).
key=$(xdp_table_dump "$prog" tp_chans |
	jq -r '.[] | select(.formatted.value.chan.slot == 2) | .key | map(ltrimstr("0x")) | join(" ")')
# shellcheck disable=SC2086
bpftool map delete id "$(xdp_map_id "$prog" tp_chans)" key hex $key
tables "after deleting the channel entry of slot 2"

# The permissions expire 30 s after the ChannelBinds; the timers run about once a second.
while (($(xdp_table_len "$prog" tp_chans) + $(xdp_table_len "$prog" tp_peers) > 0)); do
	((SECONDS - bound < 45)) || { tables "45 s after binding"; tp_fail "entries outlived their binding"; }
	((SECONDS - bound >= 25)) || [[ $(counters tp_peers) == "1 2" ]] ||
		tp_fail "entries left before the permission expired ($((SECONDS - bound)) s)"
	sleep 1
done
echo "tp_chans and tp_peers empty $((SECONDS - bound)) s after the ChannelBinds"
((SECONDS - bound >= 28)) || tp_fail "the entries left before the permission's 30 s"
kill -0 "$TP_PID" || tp_fail "turnpike is gone"

# Both slots came back: two new bindings take them again (lowest first, never slot 3).
bind_channels 0x4003 0x4004
tables "after two more ChannelBinds"
[[ $(counters tp_chans) == "1 2" ]] || tp_fail "the counter slots did not come back"
# ... and start from zero: each holds this round's one datagram each way, not the last's too
# (packets to the peer and to the client, summed over CPUs).
slot_packets() { # (the kernel keeps 15 bytes of a map's name; a key of 4 bytes, host order)
	bpftool -j map lookup id "$(xdp_map_id "$prog" tp_binding_stat)" key "$1" 0 0 0 |
		jq -r '[.formatted.values[].value.packets] | transpose | map(add) | join(" ")'
}
for slot in 1 2; do
	got=$(slot_packets $slot) || got="unreadable"
	echo "slot $slot: packets to the peer, to the client: $got"
	[[ $got == "1 1" ]] || tp_fail "slot $slot did not start from zero when reused ($got)"
done

# A hairpin's far end, kept beside each of its channels while it lives.
H env TP_XDP_MAPS="$maps" timeout 30 python3 "$here/xdp_hairpin.py" 192.0.2.1 3478 192.0.2.10 \
	0x4005 0x4006 || tp_fail "xdp_hairpin.py failed"

tp_stop_turnpike
R ip link show r0 | grep -q xdp && tp_fail "an XDP program is left on r0 after SIGTERM"
# Each binding's flow record counts its datagram each way, the program's counters read as it
# left the tables: the second's too, whose channel entry had gone (found by its peer entry).
for ch in 0x4001 0x4002 0x4003 0x4004; do
	got="$(tp_flows to_peer_packets channel=$((ch))) $(tp_flows to_client_packets channel=$((ch)))" ||
		tp_fail "no flow record for channel $ch"
	echo "channel $ch flow record: packets to the peer, to the client: $got"
	[[ $got == "1 1" ]] || tp_fail "channel $ch's flow record counts $got, not 1 1"
done
echo "PASS: xdp table expiry"
