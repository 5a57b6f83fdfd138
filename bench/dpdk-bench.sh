#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The dpdk dataplane against the ceiling of its port, in one run: tp_pktgen (a memif server)
# sends each rewrite case's frames, cycling over every binding of the case, first to
# dpdk-testpmd in io-forward (returns every frame untouched: the most any forwarder on this
# port can do), then to turnpike in dpdk mode with one worker lcore, holding BINDINGS
# channel bindings set up through its real control plane. Both are memif clients on the
# same socket with the same lcores, descriptors and burst size. Prints one table: per case,
# the frames per second each returned and turnpike's share of testpmd's.
#
# No NIC, no namespaces: memif between processes on this machine. Hugepages, as a relay
# appliance runs (2 MB pages, reserved here and given back at the end); HUGE=0 runs all three
# processes with --no-huge instead (4 kB pages: every table access risks a TLB miss).
#
# usage: bench/dpdk-bench.sh BUILD_DIR [SECONDS] [BINDINGS] [SIZE] [CASE]
#   SECONDS per case (3), BINDINGS in the relay groups (100000), SIZE payload bytes (64),
#   CASE one case's name (all twelve otherwise). ROUNDS (3): each DUT runs that many times,
#   alternating; the table shows medians.
#   DUT_LCORES (default 0,1: the control thread or testpmd's main, then one worker) and
#   GEN_LCORES (default: 2,3 where there are 4 CPUs or more, else 0; with two, one sends
#   and the other receives) place the processes.
#   (root; bounded: every process runs under `timeout`)
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=${2:-3} bindings=${3:-100000} size=${4:-64} only=${5:-} rounds=${ROUNDS:-3}
turnpike=$build/turnpike pktgen=$build/bench/tp_pktgen
testpmd=$(command -v dpdk-testpmd) || { echo "dpdk-testpmd not found (Debian: dpdk)" >&2; exit 1; }
dut_lcores=${DUT_LCORES:-0,1}
if [ -z "${GEN_LCORES:-}" ]; then
	if [ "$(nproc)" -ge 4 ]; then GEN_LCORES=2,3; else GEN_LCORES=0; fi
fi
gen_mac=02:70:67:00:00:01 dut_mac=02:70:67:00:00:02
sock=/run/tp-bench-$$.sock secret=bench-secret
work=$(mktemp -d)
pids=()
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
old_pages=$(cat "$nr") mounted=
cleanup() {
	# A background job killed before its exec is a copy of this shell: not its work.
	[ "$BASHPID" = "$$" ] || return 0
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work" /var/run/dpdk/tpb-*-$$
	[ "${HUGE:-1}" = 0 ] || echo "$old_pages" >"$nr"
	[ -z "$mounted" ] || umount /dev/hugepages
}
trap cleanup EXIT
# In the background, without this shell's EXIT trap even before the exec.
spawn() { (trap - EXIT && exec "$@") & }

# Each process 1 GiB: the relay's tables and mbufs, the generator's frames.
mem=(--no-huge -m 1024)
if [ "${HUGE:-1}" != 0 ]; then
	echo $((old_pages + 1600)) >"$nr"
	if ! grep -q '^[^ ]* /dev/hugepages hugetlbfs' /proc/mounts; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages
		mounted=1
	fi
	[ "$(cat "$nr")" -ge $((old_pages + 1600)) ] ||
		{ echo "cannot reserve 1600 hugepages of 2 MB (HUGE=0 runs without)" >&2; exit 1; }
	mem=(-m 1024 --huge-unlink)
fi
mem_conf=$(printf '"%s", ' "${mem[@]}")

# Budget for each process: set-up of 100k bindings takes tens of seconds on a small VM.
ncases=12
[ -n "$only" ] && ncases=1
budget=$((120 + ncases * (${seconds%.*} + 2) * 2))
case_arg=()
[ -n "$only" ] && case_arg=(--case "$only")

gen() { # DUT-KIND OUTPUT
	spawn timeout "$budget" "$pktgen" -l "$GEN_LCORES" "${mem[@]}" --no-pci \
		--file-prefix "tpb-gen-$$" --log-level='*:warning' \
		--vdev "net_memif0,role=server,socket=$sock,mac=$gen_mac" -- \
		--dut "$1" --dut-mac "$dut_mac" --secret "$secret" --bindings "$bindings" \
		--size "$size" --seconds "$seconds" "${case_arg[@]}" >"$2" 2>&1
	gen_pid=$!
	pids+=("$gen_pid")
	sleep 1
}
finish() { # PID-OF-DUT NAME
	local st=0
	wait "$gen_pid" || st=$?
	kill -INT "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	if [ "$st" -ne 0 ]; then
		echo "tp_pktgen against ${2%.*} failed ($st):" >&2
		cat "$work/$2.out" >&2
		exit 1
	fi
}

run_testpmd() { # ROUND
	gen mirror "$work/testpmd.$1.out"
	spawn timeout "$budget" "$testpmd" -l "$dut_lcores" "${mem[@]}" --no-pci \
		--file-prefix "tpb-pmd-$$" --log-level='*:warning' \
		--vdev "net_memif0,role=client,socket=$sock,mac=$dut_mac" -- \
		--forward-mode=io --port-topology=loop --nb-cores=1 --rxd=1024 --txd=1024 \
		--burst=32 --total-num-mbufs=16384 --auto-start --stats-period=3600 --record-burst-stats \
		>"$work/testpmd.log" 2>&1
	local pmd=$!
	pids+=("$pmd")
	finish "$pmd" "testpmd.$1"
}

cat >"$work/turnpike.conf" <<CONF
dataplane: { mode = "dpdk"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { bind = "2001:db8::1"; }; };
auth: { realm = "bench"; secrets = [ "$secret" ]; };
lifetimes: { permission = 3600; channel = 3600; allocation-default = 3600; };
limits: {
	max-allocations-per-user = 0;
	max-permissions-per-allocation = 65536;
	max-channels-per-allocation = 16384;
};
peers: { allow = [ "198.19.0.0/16", "2001:db8:2::/64" ]; };
dpdk: {
	lcores = "$dut_lcores";
	file-prefix = "tpb-tp-$$";
	eal-args = [ ${mem_conf%, } ];
	ports = [ "net_memif0,role=client,socket=$sock,mac=$dut_mac" ];
	nexthop-mac = "$gen_mac";
	max-bindings = 262144;
	stats-interval = 0;
};
CONF
run_turnpike() { # ROUND
	gen turnpike "$work/turnpike.$1.out"
	spawn timeout "$budget" "$turnpike" -c "$work/turnpike.conf" >"$work/turnpike.log" 2>&1
	local tp=$!
	pids+=("$tp")
	finish "$tp" "turnpike.$1"
	grep -q "mode ready" "$work/turnpike.log" || { cat "$work/turnpike.log" >&2; exit 1; }
}

# Rounds alternate the two, so that the machine's slow and fast spells fall on both; each
# case's figure is its median over the rounds.
for r in $(seq "$rounds"); do
	run_testpmd "$r"
	run_turnpike "$r"
done

grep -h "^setup\|^case" "$work"/testpmd.*.out "$work"/turnpike.*.out
echo
echo "turnpike's counters, last round:"
grep "stats: dpdk" "$work/turnpike.log" | sed 's/^.*stats: dpdk /  /'
echo
echo "Median of $rounds rounds, $seconds s each, $size-byte payloads; frames per second returned."
echo
echo "| case | bindings | testpmd io-forward | turnpike, 1 worker | turnpike / testpmd | checksums checked (bad) |"
echo "|---|---:|---:|---:|---:|---:|"
for f in "$work"/testpmd.*.out; do sed 's/^case /pmd /' "$f"; done >"$work/all"
cat "$work"/turnpike.*.out >>"$work/all"
awk '
	function median(s,   a, n, i, j, t) {
		n = split(s, a, " ")
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$1 == "pmd" { pmd[$2] = pmd[$2] " " $10; next }
	$1 == "case" {
		if (!($2 in tp)) order[n++] = $2
		tp[$2] = tp[$2] " " $10; bind[$2] = $4; chk[$2] += $12; bad[$2] += $14
	}
	END {
		for (i = 0; i < n; i++) {
			c = order[i]; p = median(pmd[c]); t = median(tp[c])
			r = p > 0 ? t / p : 0
			printf "| %s | %d | %.0f | %.0f | %.2f | %d (%d) |\n", c, bind[c], p, t, r,
				chk[c], bad[c]
			if (r < 0.5) low++
			if (t == 0 || bad[c]) broken = broken " " c
		}
		if (low) printf "\n%d case(s) below half of testpmd\n", low
		# Speed is reported, never judged; what is wrong is: nothing relayed, a bad checksum.
		if (broken) { printf "\nnot relayed, or bad checksums:%s\n", broken; exit 1 }
	}
' "$work/all"
