#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A real browser uses turnpike: headless Chromium opens two WebRTC peer connections that may
# only use relay candidates, so ICE pairs two allocations of this relay and their data
# channel runs through the hairpin. turnpike's counters must show the hairpin.
#
# usage: browser.sh TURNPIKE
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_begin "$@"

chromium=$(command -v chromium) || tp_fail "chromium is not installed (scripts/install-deps)"
# WebRTC gathers on real interfaces only, never on loopback: give the namespace one.
if [[ -n ${TP_NETNS:-} ]]; then
	ip link add tp-web0 type veth peer name tp-web1
	ip addr add 198.18.0.1/24 dev tp-web0
	ip link set tp-web0 up
	ip link set tp-web1 up
fi
tp_start_turnpike "$1"
status=0
timeout 25 python3 "$here/browser.py" "$chromium" "$TP_LISTEN" it-secret \
	$((TP_LISTEN + 1000)) "$TP_WORK" || status=$?
[[ $status -eq 0 ]] || tp_fail "the browser could not relay through turnpike"
tp_wait_metric 1 turnpike_engine_hairpinned_total
tp_wait_metric 2 turnpike_engine_allocations_created_total
tp_stop_turnpike
echo "PASS: browser"
