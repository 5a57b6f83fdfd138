#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Overload never wedges a port: dpdk mode on PMD (af_packet or af_xdp, on a veth) takes
# SECONDS of unauthenticated Allocates flat out from 32 sockets (tp_flood), and then must
# answer a ping and an honest client's Allocate within 2 s each. The port must still be
# receiving: its own count of frames received grows by the pings sent after the flood. Then
# the port is restarted as a stall would have it (telemetry's /turnpike/restart_port), and
# must serve again the same way.
#
#   ns relay: r0 (DPDK's, 192.0.2.1)
#   ns hosts: h0 192.0.2.10 (the flood), 192.0.2.20 (the honest client)
#
# usage: flood.sh TURNPIKE TP_FLOOD PMD [SECONDS]   (PMD: af_packet | af_xdp; SECONDS: 30, or
#        $TP_FLOOD_SECONDS)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_need_root "a flood over veth"
turnpike=$1 flood=$2 pmd=$3 seconds=${4:-${TP_FLOOD_SECONDS:-30}}
tp_veth_begin fl
tp_veth_relay dpdk ""
case $pmd in
af_packet) ;;
af_xdp) TP_PLANE=${TP_PLANE/net_af_packet0,iface=r0/net_af_xdp0,iface=r0} ;;
*) tp_fail "unknown PMD $pmd" ;;
esac
tp_veth_conf dpdk
tp_relay_start "$relay" "$turnpike"
H ping -q -c 1 -W 5 192.0.2.1 >/dev/null || tp_fail "no answer to ping before the flood"

H timeout $((seconds + 30)) "$flood" 192.0.2.1 3478 192.0.2.10 "$seconds" 32 ||
	tp_fail "tp_flood"

# Within 2 s of the flood's end: a ping answered, then an Allocate.
start=$(date +%s%N)
H ping -q -c 1 -W 2 192.0.2.1 >/dev/null ||
	tp_fail "no answer to ping within 2 s of the flood ($pmd)"
echo "ok   ping answered $((($(date +%s%N) - start) / 1000000)) ms after the flood"
H timeout 10 /usr/bin/python3 "$here/after_flood.py" 192.0.2.1 3478 192.0.2.20 2 ||
	tp_fail "no Allocate within 2 s of the flood ($pmd)"
sleep 1.1 # a publication of the metrics since the flood's last frame
rx=$(tp_metric turnpike_dpdk_port_rx_packets_total)
H ping -q -c 3 -i 0.2 -W 2 192.0.2.1 >/dev/null || tp_fail "no answer to ping"
tp_wait_metric $((rx + 3)) turnpike_dpdk_port_rx_packets_total
for m in port_rx_missed rx_stalls; do
	echo "metric turnpike_dpdk_${m}_total: $(tp_metric turnpike_dpdk_${m}_total)"
done

# The recovery a stall takes (the port closed, probed again, a fresh pool, the workers
# relaunched), asked for through telemetry: counted, and the relay serves again at once.
restart=$(echo /turnpike/restart_port | timeout 10 dpdk-telemetry.py -f "$prefix" 2>&1 | tr -d '\n ')
[[ $restart == *'"restart":"asked"'* ]] || tp_fail "telemetry's /turnpike/restart_port: $restart"
tp_wait_metric 1 turnpike_dpdk_port_restarts_total
H ping -q -c 1 -W 2 192.0.2.1 >/dev/null || tp_fail "no answer to ping after the restart ($pmd)"
H timeout 10 /usr/bin/python3 "$here/after_flood.py" 192.0.2.1 3478 192.0.2.20 2 ||
	tp_fail "no Allocate within 2 s of the restart ($pmd)"
tp_stop_turnpike
echo "PASS: the port serves after a ${seconds} s flood, and after a restart ($pmd)"
