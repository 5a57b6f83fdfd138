#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# One run, one topology, one load generator, several relays: turnpike in xdp mode, turnpike
# in socket mode, coturn (Debian's turnserver, started here with the equivalent
# configuration: same addresses, port range, time-limited credentials), and turnpike in dpdk
# mode on the same veth (net_af_packet, no hugepages; r0 loses its kernel address for it,
# since DPDK answers ARP itself). Reports the
# packets per second each relays from clients to a peer, and the allocations per second
# each completes (401 challenge, Allocate, ChannelBind). Ratios within one run are what
# count: this machine is shared and noisy.
#
#   ns relay: r0 192.0.2.1          the relay under test
#   ns hosts: h0 192.0.2.10 .20     tp_loadgen (clients) and its sink (the peer); XDP_PASS
#
# usage: bench/side-by-side.sh BUILD_DIR [SECONDS] [SIZE] [CLIENTS] [ALLOC_CLIENTS]
#   (root; bounded: every process runs under `timeout`)
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=${2:-5} size=${3:-100} clients=${4:-4} alloc_clients=${5:-200}
turnpike=$build/turnpike loadgen=$build/bench/tp_loadgen pass=$build/tests/xdp/xdp_pass.bpf.o
relay=tp-sbs-r-$$ hosts=tp-sbs-h-$$
work=$(mktemp -d)
pids=()
cleanup() {
	# A background job killed before it has exec'd is a copy of this shell: not its work.
	[ "$BASHPID" = "$$" ] || return 0
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip netns del "$relay" 2>/dev/null || true
	ip netns del "$hosts" 2>/dev/null || true
	rm -rf "$work" "/var/run/dpdk/tp-sbs-$$"
}
trap cleanup EXIT

ip netns add "$relay"
ip netns add "$hosts"
ip link add r0 netns "$relay" type veth peer name h0 netns "$hosts"
ip -n "$relay" link set lo up
ip -n "$hosts" link set lo up
ip -n "$relay" addr add 192.0.2.1/24 dev r0
ip -n "$hosts" addr add 192.0.2.10/24 dev h0
ip -n "$hosts" addr add 192.0.2.20/24 dev h0
ip netns exec "$relay" ethtool -K r0 tx off >/dev/null
ip netns exec "$hosts" ethtool -K h0 tx off >/dev/null
ip -n "$relay" link set r0 up
ip -n "$hosts" link set h0 up
ip -n "$hosts" link set dev h0 xdpdrv obj "$pass" sec xdp
ip netns exec "$relay" sysctl -qw net.ipv4.conf.r0.forwarding=1

secret=bench-secret
start_turnpike() {
	cat >"$work/tp.conf" <<CONF
dataplane: { mode = "$1"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { enabled = false; }; };
auth: { realm = "bench"; secrets = [ "$secret" ]; };
limits: { max-allocations-per-user = 0; };
xdp: { interface = "r0"; nexthop = "fib"; };
dpdk: { lcores = "0-1"; file-prefix = "tp-sbs-$$"; stats-interval = 0; max-bindings = 65536;
	eal-args = [ "--no-huge", "-m", "1024" ]; ports = [ "net_af_packet0,iface=r0" ]; };
CONF
	ip netns exec "$relay" timeout 300 "$turnpike" -c "$work/tp.conf" >"$work/server.log" 2>&1 &
	server=$!
	pids+=("$server")
	for _ in $(seq 100); do
		grep -q " mode ready" "$work/server.log" && return
		sleep 0.05
	done
	echo "turnpike $1 did not start" >&2
	cat "$work/server.log" >&2
	exit 1
}
start_coturn() {
	ip netns exec "$relay" timeout 300 turnserver -n --log-file=stdout --no-tls --no-dtls \
		--no-cli --listening-ip=192.0.2.1 --relay-ip=192.0.2.1 --listening-port=3478 \
		--min-port=49152 --max-port=65535 --use-auth-secret --static-auth-secret="$secret" \
		--realm=bench --no-software-attribute >"$work/server.log" 2>&1 &
	server=$!
	pids+=("$server")
	sleep 1.5
}
stop_server() {
	kill -TERM "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
}

# measure NAME: relayed pps (client -> relay -> peer) and allocations per second.
measure() {
	ip netns exec "$hosts" timeout $((seconds + 20)) "$loadgen" sink 192.0.2.20 4000 \
		$((seconds + 4)) >"$work/sink.out" 2>&1 &
	local sink=$!
	pids+=("$sink")
	sleep 0.3
	ip netns exec "$hosts" timeout $((seconds + 30)) "$loadgen" send 192.0.2.1 3478 \
		192.0.2.20 4000 "$secret" "$clients" "$seconds" "$size" >"$work/send.out" 2>&1 ||
		{ cat "$work/send.out" "$work/server.log" >&2; exit 1; }
	wait "$sink" || true
	local sent rx alloc
	sent=$(grep -oE '[0-9]+ pps' "$work/send.out" | awk '{print $1}')
	rx=$(grep -oE 'received [0-9]+ packets: [0-9]+ pps' "$work/sink.out" | awk '{print $4}')
	# Allocation rate: many clients set up, no data.
	ip netns exec "$hosts" timeout 120 "$loadgen" send 192.0.2.1 3478 192.0.2.20 4000 \
		"$secret" "$alloc_clients" 0.01 "$size" >"$work/alloc.out" 2>&1 ||
		{ cat "$work/alloc.out" >&2; exit 1; }
	alloc=$(grep -oE '[0-9]+ allocations/s' "$work/alloc.out" | awk '{print $1}')
	printf "| %-16s | %10s | %10s | %8s |\n" "$1" "${sent:-0}" "${rx:-0}" "${alloc:-0}"
	echo "$1 ${rx:-0} ${alloc:-0}" >>"$work/results"
}

echo "payload $size bytes, $clients clients for ${seconds}s; $alloc_clients allocations timed"
echo "machine: $(nproc) CPUs, $(uname -r); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
printf "| %-16s | %10s | %10s | %8s |\n" relay "sent pps" "relayed pps" "allocs/s"
printf "|%s|%s|%s|%s|\n" ------------------ ------------ ------------ ----------
start_turnpike xdp
measure "turnpike xdp"
stop_server
grep -oE "stats: xdp relayed:to-peer [0-9]+ packets" "$work/server.log" | sed 's/^/  /' || true
start_turnpike socket
measure "turnpike socket"
stop_server
start_coturn
measure "coturn"
stop_server
# dpdk mode: the port is DPDK's; it learns the hosts' MACs from their ARP requests (each
# address its own, the hosts' cache flushed between) so that nothing waits on a next hop.
ip -n "$relay" addr flush dev r0
start_turnpike dpdk
for src in 192.0.2.10 192.0.2.20; do
	ip -n "$hosts" neigh flush dev h0
	ip netns exec "$hosts" ping -c 1 -W 2 -I "$src" 192.0.2.1 >/dev/null ||
		{ echo "dpdk mode does not answer ping from $src" >&2; exit 1; }
done
measure "turnpike dpdk"
stop_server
grep -oE "stats: dpdk relayed:to-peer [0-9]+ packets" "$work/server.log" | sed 's/^/  /' || true

read -r _ _ xdp_rx xdp_alloc < <(grep '^turnpike xdp' "$work/results")
read -r _ _ sock_rx sock_alloc < <(grep '^turnpike socket' "$work/results")
read -r _ co_rx co_alloc < <(grep '^coturn' "$work/results")
read -r _ _ dp_rx dp_alloc < <(grep '^turnpike dpdk' "$work/results")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.1fx" : "n/a"), a / b }'; }
echo
echo "relayed pps vs coturn: xdp $(ratio "$xdp_rx" "$co_rx"), dpdk $(ratio "$dp_rx" "$co_rx")," \
	"socket $(ratio "$sock_rx" "$co_rx")"
echo "allocations/s vs coturn: xdp $(ratio "$xdp_alloc" "$co_alloc"), dpdk $(ratio "$dp_alloc" "$co_alloc")," \
	"socket $(ratio "$sock_alloc" "$co_alloc")"
# A relay that relayed nothing, or completed no allocation, is a failure, not a figure.
awk '$(NF-1) == 0 || $NF == 0 { print "no traffic or no allocation through " $0 > "/dev/stderr"; bad = 1 }
	END { exit bad }' "$work/results"
