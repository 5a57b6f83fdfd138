#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tshark judges the frames dataplane/core writes: with IP and UDP checksum validation on,
# every IPv4 header checksum and every UDP checksum present must be good, and none bad.
#
# usage: tshark_check.sh CORE_PCAP_BINARY
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

frames=$("$1" "$work/core.pcap")
((frames > 0)) || { echo "no frames written" >&2; exit 1; }

tshark -r "$work/core.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-T fields -E separator=, -e frame.number -e ip.checksum.status -e udp.checksum \
	-e udp.checksum.status >"$work/status.csv"
echo "$(wc -l <"$work/status.csv") frames decoded, $frames written"
[[ $(wc -l <"$work/status.csv") -eq $frames ]] || { echo "tshark read a different count" >&2; exit 1; }

# Status values (Wireshark's proto_checksum_enum_e): 0 bad, 1 good, 2 unverified, 3 absent.
bad=0
while IFS=, read -r n ipst csum udpst; do
	if [[ -n $ipst && $ipst != 1 ]]; then
		echo "frame $n: IPv4 header checksum status $ipst" >&2
		bad=1
	fi
	if [[ $csum == 0x0000 ]]; then
		[[ -n $ipst ]] || { echo "frame $n: IPv6 UDP without checksum" >&2; bad=1; }
		continue
	fi
	if [[ $udpst != 1 ]]; then
		echo "frame $n: UDP checksum $csum status $udpst" >&2
		bad=1
	fi
done <"$work/status.csv"
((bad == 0)) || exit 1
echo "tshark: every checksum in the core's output is good"

# Data indications: tshark's STUN dissector finds XOR-PEER-ADDRESS (XORed with the cookie and,
# for IPv6, the transaction ID) to be a peer of the vectors, or this relay's public address for
# a hairpin, and the message well formed.
tshark -r "$work/core.pcap" -Y "stun.type == 0x0017" -T fields -E separator=, -e frame.number \
	-e stun.att.ipv4 -e stun.att.ipv6 -e stun.att.port -e _ws.malformed >"$work/data.csv"
n=$(wc -l <"$work/data.csv")
((n >= 10)) || { echo "only $n Data indications decoded" >&2; exit 1; }
while IFS=, read -r f v4 v6 port malformed; do
	case "$v4$v6:$port" in
	198.51.100.200:40000 | 2001:db8:f::200:40000 | 203.0.113.1:5???? | 2001:db8::1:5????) ;;
	*)
		echo "frame $f: XOR-PEER-ADDRESS decodes to $v4$v6:$port" >&2
		bad=1
		;;
	esac
	[[ -z $malformed ]] || { echo "frame $f: malformed STUN" >&2; bad=1; }
done <"$work/data.csv"
((bad == 0)) || exit 1
echo "tshark: $n Data indications, each from its peer's address"
