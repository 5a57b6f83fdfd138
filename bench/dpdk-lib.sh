# shellcheck shell=bash disable=SC2154,SC2034
# SPDX-License-Identifier: BSD-3-Clause
#
# Sourced by dpdk-bench.sh, scaling.sh and side-by-side.sh: what running tp_pktgen against a
# device under test takes, written once. By default over memif: tp_pktgen is the memif server,
# the device under test (dpdk-testpmd io-forward, or turnpike in dpdk mode) a memif client on
# the same socket. side-by-side.sh sets gen_port and dut_port to net_af_xdp (or net_af_packet)
# on a veth pair instead, gen_wrap and dut_wrap to the namespaces each end runs in, and
# dut_main to put the device's main lcore beside the generator.
# Hugepages (2 MB) are reserved here and given back on exit; HUGE=0 runs every process with
# --no-huge instead (4 kB pages: every table access risks a TLB miss).
#
# Before sourcing: build (absolute), and optionally GEN_LCORES, DUT_LCORES, GEN_MEM and
# DUT_MEM (MB per process, 1024 each by default). Set before calling gen: seconds, bindings,
# size, and the arrays case_arg and gen_extra (more tp_pktgen options); before writing the
# relay's configuration: max_bindings and dut_lcores.
# Every process runs under `timeout`; the EXIT trap stops what is left and cleans up.

# shellcheck source=scripts/lib/wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/wait.sh"
turnpike=$build/turnpike pktgen=$build/bench/tp_pktgen
dut_lcores=${DUT_LCORES:-0,1}
if [ -z "${GEN_LCORES:-}" ]; then
	if [ "$(nproc)" -ge 4 ]; then GEN_LCORES=2,3; else GEN_LCORES=0; fi
fi
gen_mem=${GEN_MEM:-1024} dut_mem=${DUT_MEM:-1024}
gen_mac=02:70:67:00:00:01 dut_mac=02:70:67:00:00:02
sock=/run/tp-bench-$$.sock secret=bench-secret
gen_port="net_memif0,role=server,socket=$sock,mac=$gen_mac"
dut_port="net_memif0,role=client,socket=$sock,mac=$dut_mac"
gen_wrap=() dut_wrap=() # commands each end runs under (ip netns exec NS)
dut_main=()             # EAL arguments that place the device's main lcore (--main-lcore N)
work=$(mktemp -d)
pids=()
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
old_pages=$(cat "$nr") mounted='' reserved=0
case_arg=() gen_extra=()
max_bindings=262144
cleanup() {
	# A background job killed before its exec is a copy of this shell: not its work.
	[ "$BASHPID" = "$$" ] || return 0
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work" /var/run/dpdk/tpb-*-$$
	[ "$reserved" = 0 ] || echo "$old_pages" >"$nr"
	[ -z "$mounted" ] || umount /dev/hugepages
}
trap cleanup EXIT
# In the background, without this shell's EXIT trap even before the exec.
spawn() { (trap - EXIT && exec "$@") & }

# huge_reserve PAGES: ask the kernel for PAGES more 2 MB pages and mount hugetlbfs; sets
# got_pages to how many more it gave (it may give fewer: memory short or fragmented) and
# fails when that is fewer. Not in a subshell: the EXIT trap must know to give them back.
huge_reserve() {
	reserved=1
	echo $((old_pages + $1)) >"$nr" || true
	if ! grep -q '^[^ ]* /dev/hugepages hugetlbfs' /proc/mounts; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages
		mounted=1
	fi
	got_pages=$(($(cat "$nr") - old_pages))
	[ "$got_pages" -ge "$1" ]
}
# EAL memory arguments for a process of MB megabytes.
mem_args() {
	if [ "${HUGE:-1}" = 0 ]; then echo "--no-huge -m $1"; else echo "-m $1 --huge-unlink"; fi
}

# Each process's budget: the set-up of many bindings takes a while on a small VM.
budget() { # NCASES
	echo $((120 + $1 * (${seconds%.*} + 2) * 2 + bindings / 2000))
}

memif_listening() { ss -Hxl | grep -qF "@$sock "; }
gen() { # DUT-KIND OUTPUT: tp_pktgen in the background; its progress lines go to stderr
	local ncases=12 list
	if [ "${#case_arg[@]}" != 0 ]; then
		list=${case_arg[1]//[^,]/}
		ncases=$((${#list} + 1))
	fi
	# shellcheck disable=SC2046
	spawn "${gen_wrap[@]}" timeout "$(budget $ncases)" "$pktgen" -l "$GEN_LCORES" \
		$(mem_args "$gen_mem") --no-pci --file-prefix "tpb-gen-$$" --log-level='*:warning' \
		--vdev "$gen_port" -- \
		--dut "$1" --dut-mac "$dut_mac" --secret "$secret" --bindings "$bindings" \
		--size "$size" --seconds "$seconds" --linger 30 "${case_arg[@]}" "${gen_extra[@]}" \
		>"$2"
	gen_pid=$!
	pids+=("$gen_pid")
	# A memif server must be listening before its client starts; over a veth the device
	# under test is already running, and tp_pktgen waits for the link itself. (Its own
	# messages are on stderr already.) DPDK's memif socket is abstract: no file.
	if [[ $gen_port == net_memif*role=server* ]]; then
		tp_wait_for "tp_pktgen's memif socket @$sock listening" "" "$gen_pid" memif_listening ||
			exit 1
	fi
}
# The device under test stops first, when tp_pktgen says "done" (it keeps the memif server
# until its client has gone: a client whose server closes first can fault).
finish() { # PID-OF-DUT OUTPUT
	local st=0 i
	for ((i = 0; i < $(budget 12) * 10; i++)); do
		grep -q '^done' "$2" && break
		kill -0 "$gen_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -INT "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	wait "$gen_pid" || st=$?
	if [ "$st" -ne 0 ]; then
		echo "tp_pktgen against $(basename "${2%.*}") failed ($st):" >&2
		cat "$2" >&2
		exit 1
	fi
}

# dpdk-testpmd io-forward in the background (pid in pmd): every frame back out untouched.
start_testpmd() {
	local testpmd
	testpmd=$(command -v dpdk-testpmd) ||
		{ echo "dpdk-testpmd not found (Debian: dpdk)" >&2; exit 1; }
	# shellcheck disable=SC2046
	# Line-buffered: its start-up lines are the readiness sign side-by-side.sh waits for.
	spawn "${dut_wrap[@]}" timeout "$(budget 12)" stdbuf -oL "$testpmd" -l "$dut_lcores" \
		$(mem_args "$dut_mem") "${dut_main[@]}" --no-pci --file-prefix "tpb-pmd-$$" \
		--log-level='*:warning' \
		--vdev "$dut_port" -- \
		--forward-mode=io --port-topology=loop --nb-cores=1 --rxd=1024 --txd=1024 \
		--burst=32 --total-num-mbufs=16384 --auto-start --stats-period=3600 --record-burst-stats \
		--disable-link-check >"$work/testpmd.log" 2>&1
	pmd=$!
	pids+=("$pmd")
}
run_testpmd() { # OUTPUT
	gen mirror "$1"
	start_testpmd
	finish "$pmd" "$1"
}

# turnpike in dpdk mode, one worker per lcore of dut_lcores after the first; as many memif
# queues as workers (tp_pktgen's --queues must match).
write_turnpike_conf() {
	local mem_conf
	# shellcheck disable=SC2046
	mem_conf=$(printf '"%s", ' $(mem_args "$dut_mem") "${dut_main[@]}")
	cat >"$work/turnpike.conf" <<CONF
dataplane: { mode = "dpdk"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { bind = "2001:db8::1"; }; };
auth: { realm = "bench"; secrets = [ "$secret" ]; };
lifetimes: { permission = 3600; channel = 3600; allocation-default = 3600; };
limits: {
	max-allocations-per-user = 0;
	max-permissions-per-allocation = 65536;
	max-channels-per-allocation = 16384;
	# The generator's IPv6 clients share one /64, which the relay counts as one source of
	# unauthenticated requests: thousands of 401s at once would come out of one budget.
	unauthenticated-burst = 16777215;
	unauthenticated-rate = 16777215;
};
peers: { allow = [ "198.19.0.0/16", "2001:db8:2::/64" ]; };
dpdk: {
	lcores = "$dut_lcores";
	file-prefix = "tpb-tp-$$";
	eal-args = [ ${mem_conf%, } ];
	ports = [ "$dut_port" ];
	nexthop-mac = "$gen_mac";
	max-bindings = $max_bindings;
	stats-interval = 0;
};
admin: { socket = "$work/admin.sock"; };
CONF
}
# turnpike with the configuration written, in the background (pid in tp).
start_turnpike() {
	spawn "${dut_wrap[@]}" timeout "$(budget 12)" "$turnpike" -c "$work/turnpike.conf" \
		>"$work/turnpike.log" 2>&1
	tp=$!
	pids+=("$tp")
}
run_turnpike() { # OUTPUT
	write_turnpike_conf
	gen turnpike "$1"
	start_turnpike
	finish "$tp" "$1"
	grep -q "mode ready" "$work/turnpike.log" || { cat "$work/turnpike.log" >&2; exit 1; }
}

# shellcheck disable=SC2016
# awk functions the reports share: kv() fills v[] from a "case NAME key value key value ..."
# line; median(s) is the median of the space-separated numbers in s.
awk_lib='function kv(   i) { split("", v); for (i = 3; i < NF; i += 2) v[$i] = $(i + 1) }
	function median(s,   a, n, i, j, t) {
		n = split(s, a, " ")
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
'
