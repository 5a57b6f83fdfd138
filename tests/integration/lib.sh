# SPDX-License-Identifier: BSD-3-Clause
#
# Shared by the integration tests: run the test in a network namespace of its own when root
# (its own loopback, so ports never clash and nothing leaks), start turnpike on a generated
# configuration, wait for it, stop it and check that it exits cleanly. Every process started
# here is bounded by `timeout` and killed on exit.

set -euo pipefail
TP_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/wait.sh
. "$TP_HERE/../../scripts/lib/wait.sh"

# Re-run this script inside a fresh network namespace when root; elsewhere use the host's
# loopback with ports picked at random.
tp_enter_netns() {
	if [[ $EUID -eq 0 && -z ${TP_NETNS:-} ]]; then
		local ns="tp-test-$$-$RANDOM"
		ip netns add "$ns"
		trap 'ip netns del '"$ns"' 2>/dev/null || true' EXIT
		ip -n "$ns" link set lo up
		TP_NETNS=$ns ip netns exec "$ns" "$(readlink -f "$0")" "$@"
		exit $?
	fi
}

tp_ports() {
	if [[ -n ${TP_NETNS:-} ]]; then
		TP_LISTEN=3478 TP_PORT_MIN=49152 TP_PORT_MAX=49407 TP_PEER_PORT=3480
		TP_METRICS_PORT=9641
	else
		local base=$((20000 + (RANDOM % 80) * 500))
		TP_LISTEN=$base TP_PORT_MIN=$((base + 100)) TP_PORT_MAX=$((base + 355))
		TP_PEER_PORT=$((base + 10)) TP_METRICS_PORT=$((base + 20))
	fi
}

# tp_begin "$@": the common start of a test script: its own namespace, a work directory that
# goes away with everything started, and the ports to use.
tp_begin() {
	tp_enter_netns "$@"
	TP_WORK=$(mktemp -d)
	trap tp_cleanup EXIT
	tp_ports
}

TP_PIDS=()
tp_cleanup() {
	local pid

	# A background job killed before it has exec'd is a copy of this shell: not its work.
	[ "$BASHPID" = "$$" ] || return 0
	for pid in "${TP_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	[[ -n ${TP_WORK:-} ]] && rm -rf "$TP_WORK"
}

tp_fail() {
	echo "FAIL: $*" >&2
	if [[ -n ${TP_WORK:-} && -f $TP_WORK/turnpike.log ]]; then
		echo "--- turnpike log (last 40 lines)" >&2
		tail -n 40 "$TP_WORK/turnpike.log" >&2
	fi
	exit 1
}

# tp_start_turnpike BINARY [AUTH_KEYS [MORE_GROUPS]]: start turnpike, wait until it serves.
tp_start_turnpike() {
	local bin=$1 auth=${2:-} extra=${3:-}
	cat >"$TP_WORK/turnpike.conf" <<CONF
log: { level = "debug"; };
relay: {
	listen-port = $TP_LISTEN;
	port-min = $TP_PORT_MIN;
	port-max = $TP_PORT_MAX;
	ipv4: { bind = "127.0.0.1"; };
	ipv6: { bind = "::1"; };
};
auth: { realm = "turnpike.test"; secrets = [ "it-secret" ]; $auth };
# The peers are services on the relay's own loopback address: opted in.
peers: { allow = [ "127.0.0.0/8", "::1/128" ]; allow-relay-ports = true; };
$(tp_observe_conf)
$extra
CONF
	timeout -k 10 300 "$bin" -c "$TP_WORK/turnpike.conf" >"$TP_WORK/turnpike.log" 2>&1 &
	TP_PID=$!
	TP_PIDS+=("$TP_PID")
	tp_wait_ready "$TP_WORK/turnpike.log" "$TP_PID"
}

# tp_wait_ready LOG PID: wait for turnpike's "mode ready" line (it serves from then on).
# Sets TP_RELAY to turnpike's own pid where PID is the `timeout` that runs it.
tp_wait_ready() {
	tp_wait_for "turnpike's \"mode ready\" line" "$1" "$2" grep -q " mode ready" "$1" ||
		exit 1
	TP_RELAY=$(pgrep -P "$2" -x turnpike || echo "$2")
}

# tp_start_peer [NETNS] PORT ADDRESS...: turnutils_peer, an echo peer on PORT at each ADDRESS
# (in NETNS), started and bound. Its pid is in TP_PEER.
tp_start_peer() {
	local ns=() port listen=() a
	if [[ $1 != [0-9]* ]]; then
		ns=(ip netns exec "$1")
		shift
	fi
	port=$1
	shift
	for a in "$@"; do listen+=(-L "$a"); done
	"${ns[@]}" timeout 120 turnutils_peer "${listen[@]}" -p "$port" >"$TP_WORK/peer.log" 2>&1 &
	TP_PEER=$!
	TP_PIDS+=("$TP_PEER")
	tp_wait_for "turnutils_peer's $# sockets on port $port" "$TP_WORK/peer.log" "$TP_PEER" \
		tp_udp_bound "${ns[@]:3}" "$port" $# || exit 1
}

# The tests' oracles are what turnpike publishes, as an operator reads it: its metrics (on
# 127.0.0.1:$TP_METRICS_PORT, in the relay's namespace TP_RELAY_NS where it has one of its own)
# and its flow records ($TP_WORK/flows.json).
# tp_observe_conf: the configuration that turns both on, and turnpikectl's socket in
# $TP_WORK (TP_ADMIN): each test's turnpike its own.
tp_observe_conf() {
	echo "metrics: { listen = \"127.0.0.1:$TP_METRICS_PORT\"; };"
	echo "flows: { output = \"$TP_WORK/flows.json\"; };"
	echo "admin: { socket = \"$TP_WORK/admin.sock\"; };"
}

# tp_metric NAME [LABEL=VALUE ...]: the sample's value as turnpike publishes it now.
tp_metric() {
	local ns=()
	[[ -z ${TP_RELAY_NS:-} ]] || ns=(ip netns exec "$TP_RELAY_NS")
	"${ns[@]}" /usr/bin/python3 "$TP_HERE/observe.py" metric \
		"http://127.0.0.1:$TP_METRICS_PORT/metrics" "$@"
}

# tp_metric_reaches MIN NAME [LABEL=VALUE ...]: the sample is MIN or more (TP_METRIC: its value).
tp_metric_reaches() {
	local min=$1
	shift
	TP_METRIC=$(tp_metric "$@") && ((TP_METRIC >= min))
}

# tp_wait_metric MIN NAME [LABEL=VALUE ...]: until the published sample reaches MIN (turnpike
# publishes once a second), or fail; TP_METRIC is its value.
tp_wait_metric() {
	local min=$1
	shift
	TP_METRIC=absent
	tp_wait_for "metric $* to reach $min" "" "" tp_metric_reaches "$min" "$@" ||
		tp_fail "metric $*: ${TP_METRIC:-absent}, want $min or more"
	echo "metric $*: $TP_METRIC"
}

# tp_flows FIELD [KEY=VALUE ...]: FIELD summed over the flow-end records (turnpike stopped:
# the flow log is complete) whose KEY is VALUE.
tp_flows() {
	/usr/bin/python3 "$TP_HERE/observe.py" flows "$TP_WORK/flows.json" "$@"
}

# Tests that need namespaces, XDP or BPF say so, visibly, when not root (CI is root).
tp_need_root() {
	if [[ $EUID -ne 0 ]]; then
		echo "$1 needs root: skipped"
		exit 77
	fi
}

# tp_uclient_verdict LOG LABEL: turnutils_uclient's own report must show every message back
# (coturn prints some lines twice: the last counts). Sets TP_SENT.
tp_uclient_verdict() {
	local lost totals received
	lost=$(grep -oE 'Total lost packets [0-9]+ \([^)]*\)' "$1" | tail -n 1 || true)
	totals=$(grep -E 'tot_send_msgs=[0-9]+, tot_recv_msgs=[0-9]+' "$1" | grep -v msz= |
		tail -n 1 || true)
	TP_SENT=$(sed -E 's/.*tot_send_msgs=([0-9]+).*/\1/' <<<"$totals")
	received=$(sed -E 's/.*tot_recv_msgs=([0-9]+).*/\1/' <<<"$totals")
	echo "$2: $lost; sent $TP_SENT, received $received"
	[[ -n $lost && -n $TP_SENT ]] || tp_fail "no loss report from turnutils_uclient"
	[[ $lost =~ ^Total\ lost\ packets\ 0\ \( ]] || tp_fail "loss reported: $lost"
	((TP_SENT > 0 && received == TP_SENT)) || tp_fail "sent $TP_SENT, received $received"
}

# tp_expect_exit STATUS SECONDS LINE WHAT: turnpike (TP_PID) ends within SECONDS with STATUS,
# its log holding LINE (an extended regular expression); WHAT says after what, for failures.
tp_expect_exit() {
	local want=$1 seconds=$2 line=$3 what=$4 status=0
	timeout "$seconds" tail --pid="$TP_PID" -f /dev/null ||
		tp_fail "still running $seconds s after $what"
	wait "$TP_PID" || status=$?
	((status == want)) || tp_fail "exit $status after $what, want $want"
	grep -qE "$line" "$TP_WORK/turnpike.log" ||
		tp_fail "no \"$line\" in the log after $what: $(tail -n 5 "$TP_WORK/turnpike.log")"
}

# Stop turnpike with SIGTERM; it must exit 0 and print its counters. The signal goes to
# turnpike itself, not through `timeout`: timeout follows a signal it passes on with SIGCONT,
# which cancels the SIGSTOP LeakSanitizer's exit check stops the process with, and the check
# then waits for ever (seen under load).
tp_stop_turnpike() {
	kill -TERM "$TP_RELAY"
	local status=0
	wait "$TP_PID" || status=$?
	[[ $status -eq 0 ]] || tp_fail "turnpike exited with status $status after SIGTERM"
	grep -q "shutting down" "$TP_WORK/turnpike.log" || tp_fail "no shutdown line in the log"
}

# tp_veth_begin TAG: for the tests that drive a real interface, two namespaces joined by a
# veth pair, both gone on exit with everything tp_cleanup stops (and DPDK's run directory for
# $prefix). ns $relay holds r0, bare; ns $hosts holds h0 with 192.0.2.10 and 192.0.2.20,
# 2001:db8::10 and 2001:db8::20 (clients and peers). No checksum offload on either end: a
# veth would otherwise hand on frames whose UDP checksum was never computed
# (CHECKSUM_PARTIAL), which no real wire carries. The caller adds the relay's side and sets
# both links up. R and H run a command in the relay's and the hosts' namespace.
tp_veth_begin() {
	TP_WORK=$(mktemp -d)
	relay=tp-${1}r-$$ hosts=tp-${1}h-$$ prefix=tp${1}$$
	TP_RELAY_NS=$relay TP_METRICS_PORT=9641
	trap tp_veth_cleanup EXIT
	ip netns add "$relay"
	ip netns add "$hosts"
	ip link add r0 netns "$relay" type veth peer name h0 netns "$hosts"
	R ip link set lo up
	H ip link set lo up
	H ip addr add 192.0.2.10/24 dev h0
	H ip addr add 192.0.2.20/24 dev h0
	H ip addr add 2001:db8::10/64 dev h0 nodad
	H ip addr add 2001:db8::20/64 dev h0 nodad
	R ethtool -K r0 tx off >/dev/null
	H ethtool -K h0 tx off >/dev/null
}

tp_veth_cleanup() {
	# A background job killed before it has exec'd is a copy of this shell: not its work.
	[ "$BASHPID" = "$$" ] || return 0
	tp_cleanup
	ip netns del "$relay" 2>/dev/null || true
	ip netns del "$hosts" 2>/dev/null || true
	rm -rf "/var/run/dpdk/$prefix"
}

R() { ip netns exec "$relay" "$@"; }
H() { ip netns exec "$hosts" "$@"; }

# tp_veth_relay MODE XDP_PASS_OBJECT [ipv6]: after tp_veth_begin, the relay's side for MODE:
# r0 holds 192.0.2.1 (and 2001:db8::1 with ipv6) in socket and xdp mode, nothing in dpdk mode
# (DPDK answers for them); both ends up; in xdp mode, an XDP_PASS program on h0 (a veth peer
# takes XDP_TX frames only with a program of its own). TP_PLANE: the dataplane's config group.
tp_veth_relay() {
	local mode=$1 pass_obj=$2 ipv6=${3:-}

	case $mode in
	socket | xdp)
		R ip addr add 192.0.2.1/24 dev r0
		[[ -z $ipv6 ]] || R ip addr add 2001:db8::1/64 dev r0 nodad
		;;
	dpdk) R sysctl -qw net.ipv6.conf.r0.disable_ipv6=1 ;;
	*) tp_fail "unknown mode $mode" ;;
	esac
	R ip link set r0 up
	H ip link set h0 up
	case $mode in
	xdp)
		ip -n "$hosts" link set dev h0 xdpdrv obj "$pass_obj" sec xdp
		TP_PLANE="xdp: { interface = \"r0\"; nexthop = \"static\";
			nexthop-mac = \"$(H cat /sys/class/net/h0/address)\"; };"
		;;
	dpdk)
		# TP_DPDK_WORKERS=N: N workers, on N queue pairs of the port (the kernel's packet
		# fanout spreads flows over them by their hash), sharing this machine's CPUs.
		local n=${TP_DPDK_WORKERS:-1} lcores=0-1 qpairs=""
		if ((n > 1)); then
			lcores="(0-$n)@(0-$(($(nproc) - 1)))" qpairs=",qpairs=$n"
		fi
		TP_PLANE="dpdk: { lcores = \"$lcores\"; file-prefix = \"$prefix\"; stats-interval = 0;
			eal-args = [ \"--no-huge\", \"-m\", \"1024\" ]; max-bindings = 4096;
			ports = [ \"net_af_packet0,iface=r0$qpairs\" ]; rss = true; };"
		;;
	*) TP_PLANE="" ;;
	esac
}

# tp_veth_conf MODE [LINE ...]: after tp_veth_relay, $TP_WORK/turnpike.conf for the veth
# topology: MODE's dataplane, the relay on 192.0.2.1 (IPv4 alone), user alice (password
# alice-pw) in realm turnpike.test, the metrics and flow log, then each LINE as it is.
tp_veth_conf() {
	local mode=$1 line
	shift
	{
		echo "dataplane: { mode = \"$mode\"; };"
		echo 'relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { enabled = false; }; };'
		echo 'auth: { realm = "turnpike.test";'
		echo '	users = ( { name = "alice"; password = "alice-pw"; } ); };'
		tp_observe_conf
		echo "$TP_PLANE"
		for line in "$@"; do echo "$line"; done
	} >"$TP_WORK/turnpike.conf"
}

# tp_tshark_capture NS IFACE FILE FILTER: tshark capturing in namespace NS into FILE, started
# and ready: it takes seconds to start on a loaded machine, and frames sent before it
# captures are lost to the test. TP_TSHARK is its pid (stop it with SIGINT).
tp_tshark_capture() {
	local log=$3.log
	ip netns exec "$1" timeout 120 tshark -q -i "$2" -w "$3" -f "$4" >"$log" 2>&1 &
	TP_TSHARK=$!
	TP_PIDS+=("$TP_TSHARK")
	tp_wait_for "tshark's \"Capture started\" on $2" "$log" "$TP_TSHARK" \
		grep -q "Capture started" "$log" || exit 1
}

# tp_relay_start NS TURNPIKE [FLOWS_TO]: start TURNPIKE on $TP_WORK/turnpike.conf in
# namespace NS, its log in $TP_WORK/turnpike.log (its standard output in FLOWS_TO when
# given), and wait until it serves. TP_PID is turnpike itself: ip netns exec execs timeout,
# which forwards signals to it.
tp_relay_start() {
	local log=$TP_WORK/turnpike.log

	if [[ -n ${3:-} ]]; then
		ip netns exec "$1" timeout -k 10 300 "$2" -c "$TP_WORK/turnpike.conf" >"$3" 2>"$log" &
	else
		ip netns exec "$1" timeout -k 10 300 "$2" -c "$TP_WORK/turnpike.conf" >"$log" 2>&1 &
	fi
	TP_PID=$!
	TP_PIDS+=("$TP_PID")
	tp_wait_ready "$TP_WORK/turnpike.log" "$TP_PID"
}
