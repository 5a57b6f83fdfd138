#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# One run, one topology, one load generator, every relay in turn, and the port's ceiling:
#
#   dpdk-testpmd io-forward  on r0 through net_af_xdp (PMD=af_packet: net_af_packet): hands
#                            every frame back untouched, the most a DPDK forwarder can return
#                            on this veth (the ceiling)
#   turnpike dpdk            on r0 through the same PMD, one worker lcore
#   turnpike xdp             the XDP program on r0, the control thread behind a socket
#   turnpike socket          everything in user space, behind a socket
#   coturn                   Debian's turnserver, started here with the equivalent
#                            configuration: same addresses, port range, time-limited
#                            credentials (use-auth-secret), peers allowed the same
#
#   ns relay: r0 192.0.2.1, 2001:db8::1         the relay under test
#   ns hosts: h0 (no address)                   tp_pktgen through the same PMD: every client
#                                               and every peer (198.18/15, 2001:db8:1::/64,
#                                               2001:db8:2::/64)
#
# The generator is tp_pktgen, the same DPDK generator dpdk-bench.sh runs over memif, here
# on the hosts' end of the veth: it sets up its bindings through the relay's real control
# plane (401 challenge, Allocate, ChannelBind: one allocation per binding here, 256 in flight),
# then sends each case flat out and counts what comes back relayed. The kernel relays reach
# the generator's addresses through a router, 192.0.2.254 and 2001:db8::fe, whose neighbour
# entries name h0; turnpike dpdk through nexthop-mac. The dpdk rows take r0's kernel
# addresses away, since DPDK answers ARP and ND itself there.
#
# Reported: a summary, one row a case with every relay's relayed pps and the ratios issue 6
# states its targets in (dpdk and xdp against coturn, dpdk against testpmd); then per relay
# and case relayed pps, loss and latency; then per relay the allocations completed per
# second (the three set-up phases, end to end). Ratios within one run are what count: this
# machine is shared and noisy. With ROUNDS above 1 the whole sequence runs that many times,
# one relay after another in each round, and every figure is the median of its rounds (an
# allocation rate is taken per round, then the median).
#
# usage: bench/side-by-side.sh BUILD_DIR [SECONDS] [SIZE] [ALLOCATIONS] [CASES]
#   CASES: comma-separated tp_pktgen case names (default cd4-to-udp4,udp4-to-cd4), or all
#   PMD=af_xdp (default) or af_packet: the DPDK ends' PMD on the veth
#   ROUNDS (1): rounds of the whole sequence, medians reported
#   HUGE (1): the DPDK ends' memory in 2 MB hugepages, reserved here and given back (as a
#     DPDK appliance runs); HUGE=0: --no-huge
#   RELAYS (xdp,socket,coturn,dpdk,testpmd): which of them run, in that order whatever the
#     list's; ratios to one that did not run read n/a
#   (root; bounded: every process runs under `timeout`)
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=${2:-5} size=${3:-100} bindings=${4:-4000} cases=${5:-cd4-to-udp4,udp4-to-cd4}
rounds=${ROUNDS:-1} relays=,${RELAYS:-xdp,socket,coturn,dpdk,testpmd},
case $rounds in
'' | *[!0-9]* | 0) echo "side-by-side: ROUNDS=$rounds: a count, 1 or more" >&2; exit 2 ;;
esac
for r in ${relays//,/ }; do
	case $r in
	xdp | socket | coturn | dpdk | testpmd) ;;
	*) echo "side-by-side: RELAYS: $r is none of xdp, socket, coturn, dpdk, testpmd" >&2; exit 2 ;;
	esac
done
wants() { [[ $relays == *",$1,"* ]]; }
HUGE=${HUGE:-1} GEN_MEM=${GEN_MEM:-1024} DUT_MEM=${DUT_MEM:-1024}
# shellcheck source=bench/dpdk-lib.sh
. "$(dirname "$0")/dpdk-lib.sh"
if [ "$HUGE" != 0 ] && ! huge_reserve $(((GEN_MEM + DUT_MEM) / 2 + 64)); then
	echo "side-by-side: cannot reserve $(((GEN_MEM + DUT_MEM) / 2 + 64)) hugepages of 2 MB" \
		"(HUGE=0 runs without)" >&2
	exit 1
fi
pass=$build/tests/xdp/xdp_pass.bpf.o
relay=tp-sbs-r-$$ hosts=tp-sbs-h-$$
# The DPDK ends' PMD on the veth: af_xdp (an XDP program hands every frame to a socket,
# around the kernel's stack) or af_packet.
pmd_kind=${PMD:-af_xdp}
case $pmd_kind in
af_xdp | af_packet) ;;
*) echo "side-by-side: PMD=$pmd_kind: af_xdp or af_packet" >&2; exit 2 ;;
esac
gen_port="net_${pmd_kind}0,iface=h0" dut_port="net_${pmd_kind}0,iface=r0"
# libxdp finds no bpffs under ip netns exec; it loads its program without the dispatcher.
export LIBXDP_SKIP_DISPATCHER=1
gen_wrap=(ip netns exec "$hosts") dut_wrap=(ip netns exec "$relay")
# The relay's worker (or testpmd's forwarding lcore) on CPU 0, its main lcore on 1 beside the
# generator; with 4 CPUs or more, the generator's TX and RX lcores on CPUs of their own.
if [ "$(nproc)" -ge 4 ]; then GEN_LCORES=2,3; else GEN_LCORES=1; fi
dut_lcores=0,1 dut_main=(--main-lcore 1)
[ "$cases" = all ] && cases=cd4-to-udp4,cd4-to-udp6,cd6-to-udp4,cd6-to-udp6,udp4-to-cd4,udp4-to-cd6,udp6-to-cd4,udp6-to-cd6,cd4-to-cd4,cd4-to-cd6,cd6-to-cd4,cd6-to-cd6
cleanup_topology() {
	[ "$BASHPID" = "$$" ] || return 0
	cleanup
	ip netns del "$relay" 2>/dev/null || true
	ip netns del "$hosts" 2>/dev/null || true
}
trap cleanup_topology EXIT

ip netns add "$relay"
ip netns add "$hosts"
ip link add r0 netns "$relay" address "$dut_mac" type veth peer name h0 netns "$hosts" \
	address "$gen_mac"
for ns in "$relay" "$hosts"; do
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
# Checksums in software on both ends, as on a real wire.
ip netns exec "$relay" ethtool -K r0 tx off >/dev/null
ip netns exec "$hosts" ethtool -K h0 tx off >/dev/null
ip -n "$relay" link set r0 up
ip -n "$hosts" link set h0 up
# XDP_TX from r0 arrives at h0 only where h0 runs XDP itself (af_xdp brings its own).
[ "$pmd_kind" = af_xdp ] || ip -n "$hosts" link set dev h0 xdpdrv obj "$pass" sec xdp

kernel_addresses() {
	ip -n "$relay" addr add 192.0.2.1/24 dev r0
	ip -n "$relay" addr add 2001:db8::1/64 dev r0 nodad
	ip -n "$relay" neigh replace 192.0.2.254 lladdr "$gen_mac" nud permanent dev r0
	ip -n "$relay" neigh replace 2001:db8::fe lladdr "$gen_mac" nud permanent dev r0
	ip -n "$relay" route replace 198.18.0.0/15 via 192.0.2.254
	ip -n "$relay" -6 route replace 2001:db8:1::/64 via 2001:db8::fe
	ip -n "$relay" -6 route replace 2001:db8:2::/64 via 2001:db8::fe
	# The XDP program's route lookups (bpf_fib_lookup) need forwarding on.
	ip netns exec "$relay" sysctl -qw net.ipv4.conf.r0.forwarding=1 net.ipv6.conf.r0.forwarding=1
}

# What a relay needs beyond the defaults: the generator's peers are in 198.19/16 and
# 2001:db8:2::/64, which turnpike denies unless told; lifetimes that outlast the run; its
# IPv6 clients share one /64, which turnpike counts as one source of unauthenticated requests
# (thousands of 401s at once would come out of one budget).
write_kernel_conf() { # MODE
	cat >"$work/turnpike.conf" <<CONF
dataplane: { mode = "$1"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { bind = "2001:db8::1"; }; };
auth: { realm = "bench"; secrets = [ "$secret" ]; };
lifetimes: { permission = 3600; channel = 3600; allocation-default = 3600; };
limits: {
	max-allocations-per-user = 0;
	unauthenticated-burst = 16777215;
	unauthenticated-rate = 16777215;
};
peers: { allow = [ "198.19.0.0/16", "2001:db8:2::/64" ]; };
xdp: { interface = "r0"; nexthop = "fib"; };
admin: { socket = "$work/admin.sock"; };
CONF
}

# wait_for PID LOG PATTERN WHAT: until the log says the relay is ready, or fail.
wait_for() {
	tp_wait_for "$4's \"$3\" line" "$2" "$1" grep -q "$3" "$2" || exit 1
}

start_coturn() {
	spawn "${dut_wrap[@]}" timeout "$(budget 12)" turnserver -n --log-file=stdout --no-tls \
		--no-dtls --no-cli --listening-ip=192.0.2.1 --listening-ip=2001:db8::1 \
		--relay-ip=192.0.2.1 --relay-ip=2001:db8::1 --listening-port=3478 \
		--min-port=49152 --max-port=65535 --use-auth-secret --static-auth-secret="$secret" \
		--realm=bench --no-software-attribute --allowed-peer-ip=198.19.0.0-198.19.255.255 \
		--allowed-peer-ip=2001:db8:2::-2001:db8:2::ffff:ffff:ffff:ffff \
		>"$work/coturn.log" 2>&1
	co=$!
	pids+=("$co")
	wait_for "$co" "$work/coturn.log" "Total General servers" coturn
	# Its listeners are threads of their own: ready when both addresses' sockets are bound.
	tp_wait_for "coturn's two sockets on port 3478" "$work/coturn.log" "$co" \
		tp_udp_bound "$relay" 3478 2 || exit 1
}

# run NAME KIND: the generator against the relay running, every case, one set-up; its lines
# go to the report as "NAME ROUND ..."
run() {
	local out="$work/${1// /_}.out"
	case_arg=(--case "$cases")
	gen "$2" "$out"
	local st=0
	wait "$gen_pid" || st=$?
	if [ "$st" -ne 0 ]; then
		echo "tp_pktgen against $1 failed ($st):" >&2
		cat "$out" >&2
		exit 1
	fi
	sed "s/^/${1// /_} $round /" "$out" >>"$work/all"
}
stop() { kill -INT "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# One allocation per binding: the set-up times the allocation rate. The generator's port is
# free of the device's, so it lingers not.
gen_extra=(--channels 1 --pairs 256 --linger 0 --link-wait "$tp_ready_seconds")

echo "side-by-side: $(nproc) CPUs, $(uname -r),$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" >&2
echo "side-by-side: payload $size bytes, $seconds s a case, $bindings bindings + 2048 hairpin," \
	"$rounds round(s)" >&2

for round in $(seq "$rounds"); do
	kernel_addresses
	for mode in xdp socket; do
		wants "$mode" || continue
		echo "side-by-side: round $round of $rounds: turnpike $mode" >&2
		write_kernel_conf "$mode"
		start_turnpike
		wait_for "$tp" "$work/turnpike.log" " mode ready" "turnpike $mode"
		run "turnpike $mode" turnpike
		stop "$tp"
		grep -oE "stats: xdp relayed:[a-z-]+ [0-9]+ packets" "$work/turnpike.log" |
			sed 's/^/  /' >&2 || true
	done
	if wants coturn; then
		echo "side-by-side: round $round of $rounds: coturn" >&2
		start_coturn
		run coturn turnpike
		stop "$co"
	fi

	ip -n "$relay" addr flush dev r0
	if wants dpdk; then
		echo "side-by-side: round $round of $rounds: turnpike dpdk" >&2
		max_bindings=65536
		write_turnpike_conf
		start_turnpike
		wait_for "$tp" "$work/turnpike.log" "mode ready" "turnpike dpdk"
		run "turnpike dpdk" turnpike
		stop "$tp"
	fi
	if wants testpmd; then
		echo "side-by-side: round $round of $rounds: dpdk-testpmd io-forward" >&2
		start_testpmd
		wait_for "$pmd" "$work/testpmd.log" "packet forwarding - ports=" testpmd
		run "testpmd io-forward" mirror
		stop "$pmd"
	fi
done

# The report: per relay and case, then the ratios; each figure the median of its rounds.
awk -v rounds="$rounds" "$awk_lib"'
	{
		name = $1; gsub("_", " ", name); rd = $2
		$0 = substr($0, length($1) + length($2) + 3)
	}
	# "setup PHASE: N in S s, R per second", one for each of the three phases
	$1 == "setup" && match($0, /: [0-9]+ in [0-9.]+ s/) {
		split(substr($0, RSTART + 2, RLENGTH - 2), f, " ")
		ph = substr($0, 7, RSTART - 7)
		if (!(ph in pseen)) { pseen[ph] = 1; porder[np++] = ph }
		n[name] = f[1]; t[name, rd] += f[3]
		l_pt[name, ph] = l_pt[name, ph] " " f[3]
		next
	}
	$1 != "case" { next }
	{
		kv()
		if (!(name in seen)) { seen[name] = 1; order[nr++] = name }
		if (!($2 in cseen)) { cseen[$2] = 1; corder[nc++] = $2 }
		l_pps[name, $2] = l_pps[name, $2] " " v["relayed"]
		l_loss[name, $2] = l_loss[name, $2] " " (v["loss"] + 0)
		l_p50[name, $2] = l_p50[name, $2] " " v["p50-us"]
		l_p99[name, $2] = l_p99[name, $2] " " v["p99-us"]
		bad[name] += v["bad-checksums"]
	}
	END {
		for (k in l_pps) {
			pps[k] = median(l_pps[k]); loss[k] = median(l_loss[k])
			p50[k] = median(l_p50[k]); p99[k] = median(l_p99[k])
		}
		# Allocations a second: the rate of each round, then the median of those.
		for (k in t) {
			split(k, kr, SUBSEP)
			l_rate[kr[1]] = l_rate[kr[1]] " " (t[k] > 0 ? n[kr[1]] / t[k] : 0)
		}
		for (r in l_rate) arate[r] = median(l_rate[r])
		if (rounds > 1) printf "Medians of %d rounds.\n\n", rounds
		# First the summary: one row a case, relayed pps of each relay, and the ratios
		# the targets are stated in.
		printf "| case |"
		for (i = 0; i < nr; i++) printf " %s |", order[i]
		print " dpdk / coturn | xdp / coturn | dpdk / testpmd |"
		printf "|---|"
		for (i = 0; i < nr; i++) printf "---:|"
		print "---:|---:|---:|"
		for (j = 0; j < nc; j++) {
			c = corder[j]; co = pps["coturn", c]; pm = pps["testpmd io-forward", c]
			printf "| %s |", c
			for (i = 0; i < nr; i++) printf " %.0f |", pps[order[i], c]
			printf " %s | %s | %s |\n",
				(co > 0 ? sprintf("%.1fx", pps["turnpike dpdk", c] / co) : "n/a"),
				(co > 0 ? sprintf("%.1fx", pps["turnpike xdp", c] / co) : "n/a"),
				(pm > 0 ? sprintf("%.2f", pps["turnpike dpdk", c] / pm) : "n/a")
		}
		print ""
		print "| relay | case | relayed pps | loss | p50 / p99 µs | vs coturn | vs testpmd |"
		print "|---|---|---:|---:|---:|---:|---:|"
		for (i = 0; i < nr; i++)
			for (j = 0; j < nc; j++) {
				r = order[i]; c = corder[j]; co = pps["coturn", c]
				pm = pps["testpmd io-forward", c]
				printf "| %s | %s | %.0f | %.2f%% | %.0f / %.0f | %s | %s |\n", r, c,
					pps[r, c], loss[r, c], p50[r, c], p99[r, c],
					(co > 0 ? sprintf("%.1fx", pps[r, c] / co) : "n/a"),
					(pm > 0 ? sprintf("%.2f", pps[r, c] / pm) : "n/a")
				if (pps[r, c] == 0) broken = broken " " r "/" c
			}
		print ""
		# Then each phase on its own, a second per request: the median of its times.
		printf "| relay | allocations | allocations/s (401, Allocate, ChannelBind) | vs coturn |"
		for (j = 0; j < np; j++) printf " %s /s |", porder[j]
		printf "\n|---|---:|---:|---:|"
		for (j = 0; j < np; j++) printf "---:|"
		print ""
		co = arate["coturn"] + 0
		for (i = 0; i < nr; i++) {
			r = order[i]
			if (!(r in arate)) continue
			a = arate[r]
			printf "| %s | %d | %.0f | %s |", r, n[r], a,
				(co > 0 ? sprintf("%.1fx", a / co) : "n/a")
			for (j = 0; j < np; j++) {
				pt = median(l_pt[r, porder[j]])
				printf " %.0f |", (pt > 0 ? n[r] / pt : 0)
			}
			print ""
			if (a == 0) broken = broken " " r "/set-up"
		}
		for (r in bad) if (bad[r]) broken = broken " " r "/checksums"
		# Speed is reported, never judged; nothing relayed or a bad checksum is a failure.
		if (broken) { printf "\nnothing relayed, or bad checksums:%s\n", broken; exit 1 }
	}
' "$work/all"
