# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Sourced by the xdp tests: the real BPF tables of the turnpike whose program is attached to
# an interface, found through that program's map ids (by name alone, the tables of another
# relay running beside this one would answer too). Needs bpftool, ip and jq.

# xdp_prog_id NETNS IFACE: the id of the XDP program on IFACE in NETNS (empty if none).
xdp_prog_id() {
	ip -n "$1" -j link show "$2" | jq -r '.[0].xdp.prog.id // empty'
}

# xdp_map_id PROG_ID NAME: the id of the program's map NAME (tp_chans, tp_peers, ...).
xdp_map_id() {
	local m
	for m in $(bpftool -j prog show id "$1" | jq -r '.map_ids[]'); do
		bpftool -j map show id "$m" | jq -r --arg n "$2" 'select(.name == $n) | .id'
	done
}

# xdp_table_dump PROG_ID NAME: the table's entries, as bpftool's JSON.
xdp_table_dump() {
	local id
	id=$(xdp_map_id "$1" "$2")
	[[ -n $id ]] || return 1
	bpftool -j map dump id "$id"
}

# xdp_table_len PROG_ID NAME: how many entries the table holds.
xdp_table_len() {
	xdp_table_dump "$1" "$2" | jq length
}
