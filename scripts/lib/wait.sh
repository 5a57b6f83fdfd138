# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Waiting for a process to be ready, written once for the tests, the benches and the demo:
# poll an explicit sign (a log line, a bound socket, a file) within a budget sized for a slow,
# loaded machine, and when the sign does not come, say what was awaited, for how long and why
# the wait ended, with the end of the log that should have shown it. Sourced, not run.
#
#   TP_READY_SECONDS  the budget of every wait (default 20 s; the starts it covers take 0.1 to
#                     2 s on an idle 2-vCPU machine, under the sanitizers included)

tp_ready_seconds=${TP_READY_SECONDS:-20}

# tp_wait_for WHAT LOG PID COMMAND...: run COMMAND every 0.1 s until it succeeds (status 0).
# Status 1, after saying so on stderr with LOG's last 30 lines, when the budget runs out or
# when PID (if not empty) exits first. LOG may be empty.
tp_wait_for() {
	local what=$1 log=$2 pid=$3 start now why
	shift 3
	start=${EPOCHREALTIME/./}
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		now=${EPOCHREALTIME/./}
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			# One last look: the sign may have come just before the exit.
			"$@" >/dev/null 2>&1 && return 0
			why="process $pid exited first"
			break
		fi
		if ((now - start >= tp_ready_seconds * 1000000)); then
			"$@" >/dev/null 2>&1 && return 0
			why="the budget ran out"
			break
		fi
		sleep 0.1
	done
	echo "$(basename "$0"): waited $(((now - start) / 1000)) ms of ${tp_ready_seconds} s for" \
		"$what: $why" >&2
	if [[ -n $log && -f $log ]]; then
		echo "--- $log, last 30 lines" >&2
		tail -n 30 "$log" >&2
	fi
	return 1
}

# tp_udp_bound [NETNS] PORT COUNT: COUNT or more UDP sockets are bound to PORT (in NETNS).
tp_udp_bound() {
	local n
	if (($# == 3)); then
		n=$(ip netns exec "$1" ss -Hnlu "sport = :$2" | wc -l)
		shift
	else
		n=$(ss -Hnlu "sport = :$1" | wc -l)
	fi
	((n >= $2))
}
