#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TURN over TLS, turnpike against coturn: one topology, the same generators, one relay after
# the other in each round.
#
#   handshakes   openssl s_time -new: full TLS handshakes a second (one client, new sessions,
#                each connection closed after its handshake), for SECONDS
#   relayed      coturn's turnutils_uclient over TLS (-t -S): CLIENTS clients, each with a
#                channel to an echoing turnutils_peer, each sending MESSAGES ChannelData of
#                100 bytes flat out (-z 0); the figure is the messages that came back (every
#                one crossed the relay twice) over the run's wall time, set-up included
#
#   ns (its own): lo 127.0.0.1   turnpike socket mode | Debian's turnserver, TLS on 5349,
#                                the same certificate, time-limited credentials on both
#
# Both relays hold their default worker counts (turnpike: one control thread; coturn: a
# relay thread per CPU). Every figure is the median of ROUNDS rounds; the ratios are what
# count (this machine is shared and noisy).
#
# usage: bench/tls-bench.sh BUILD_DIR [SECONDS] [ROUNDS] [CLIENTS] [MESSAGES]   (root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/lib/wait.sh"
build=$(cd "$1" && pwd)
seconds=${2:-5} rounds=${3:-3} clients=${4:-50} messages=${5:-1000}
[[ $(id -u) == 0 ]] || { echo "tls-bench.sh: needs root (a network namespace)" >&2; exit 1; }
if [[ -z ${TP_BENCH_NS:-} ]]; then
	TP_BENCH_NS=1 exec unshare --net bash "$0" "$@"
fi
ip link set lo up
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=bench -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat >"$work/turnpike.conf" <<CONF
log: { level = "warning"; };
relay: { ipv4: { bind = "127.0.0.1"; }; ipv6: { enabled = false; };
	tls: { enabled = true; certificate = "$work/cert.pem"; private-key = "$work/key.pem"; }; };
auth: { realm = "bench"; secrets = [ "bench-secret" ]; };
peers: { allow = [ "127.0.0.0/8" ]; allow-relay-ports = true; };
limits: { max-connections-per-source = 100000; max-allocations-per-user = 0; };
admin: { socket = "$work/admin.sock"; };
CONF

timeout 3600 turnutils_peer -p 3480 -L 127.0.0.1 >"$work/peer.log" 2>&1 &
pids+=($!)

tls_bound() { ss -Hntl "sport = :5349" | grep -q LISTEN; }

start() {
	case $1 in
	turnpike)
		timeout 3600 "$build/turnpike" -c "$work/turnpike.conf" >"$work/relay.log" 2>&1 &
		;;
	coturn)
		timeout 3600 turnserver -n --log-file=stdout --no-cli --no-dtls --no-udp \
			--listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port=3478 \
			--tls-listening-port=5349 --cert="$work/cert.pem" --pkey="$work/key.pem" \
			--min-port=49152 --max-port=65535 --use-auth-secret \
			--static-auth-secret=bench-secret --realm=bench --allow-loopback-peers \
			--allowed-peer-ip=127.0.0.1 --no-software-attribute >"$work/relay.log" 2>&1 &
		;;
	esac
	relay_pid=$!
	pids+=("$relay_pid")
	tp_wait_for "$1's TLS listener" "$work/relay.log" "$relay_pid" tls_bound || exit 1
}

stop() {
	kill "$relay_pid" 2>/dev/null || true
	wait "$relay_pid" 2>/dev/null || true
	tp_wait_for "port 5349 free" "" "" eval '! tls_bound' || exit 1
}

# One relay, one round: "RELAY handshakes/s round-trips/s"
measure() {
	local hs t0 t1 recv
	hs=$(timeout $((seconds + 30)) openssl s_time -connect 127.0.0.1:5349 -new \
		-time "$seconds" 2>&1 | sed -nE 's/^([0-9]+) connections in ([0-9.]+)s;.*/\1 \2/p' |
		head -n 1 | awk '{ printf "%.0f", $1 / $2 }')
	t0=${EPOCHREALTIME/./}
	timeout 300 turnutils_uclient -t -S -c -W bench-secret -p 5349 -r 3480 -n "$messages" \
		-m "$clients" -l 100 -z 0 -e 127.0.0.1 127.0.0.1 >"$work/uclient.log" 2>&1 || {
		tail -n 5 "$work/uclient.log" >&2
		echo "tls-bench.sh: turnutils_uclient against $1 failed" >&2
		exit 1
	}
	t1=${EPOCHREALTIME/./}
	recv=$(grep -oE 'tot_recv_msgs=[0-9]+' "$work/uclient.log" | tail -n 1 | cut -d= -f2)
	echo "$1 ${hs:-0} $((recv * 1000000 / (t1 - t0))) $(grep -oE 'Total lost packets [0-9]+' \
		"$work/uclient.log" | tail -n 1 | awk '{ print $4 }')"
}

for ((round = 1; round <= rounds; round++)); do
	for relay in turnpike coturn; do
		start "$relay"
		measure "$relay" | tee -a "$work/all"
		stop
	done
done

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
echo
echo "TURN over TLS, medians of $rounds rounds ($seconds s of handshakes; $clients clients x" \
	"$messages messages of 100 bytes)"
printf '%-10s %14s %16s %10s\n' relay handshakes/s round-trips/s lost
for relay in turnpike coturn; do
	h=$(awk -v r=$relay '$1 == r { print $2 }' "$work/all" | median)
	m=$(awk -v r=$relay '$1 == r { print $3 }' "$work/all" | median)
	l=$(awk -v r=$relay '$1 == r { print $4 }' "$work/all" | median)
	printf '%-10s %14s %16s %10s\n' "$relay" "$h" "$m" "$l"
	eval "${relay}_h=$h ${relay}_m=$m"
done
awk -v a="$turnpike_h" -v b="$coturn_h" -v c="$turnpike_m" -v d="$coturn_m" 'BEGIN {
	printf "turnpike / coturn: handshakes %.2f, round-trips %.2f\n", a / b, c / d }'
