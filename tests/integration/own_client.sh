#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# turnpike in socket mode against our own Python TURN client (turn_client.py), over real
# sockets: SHA-256 credentials, static users, reservations, padded ChannelData, Refresh 0.
#
# usage: own_client.sh TURNPIKE
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_begin "$@"

tp_start_turnpike "$1" 'users = ( { name = "alice"; password = "alice-pw"; },
	{ name = "bob"; password = "bob-pw"; } );'
status=0
# The client pauses turnpike (SIGSTOP) to have datagrams wait for it in one batch.
export TP_RELAY_PID=$TP_RELAY
timeout 60 python3 "$here/turn_client.py" "$TP_LISTEN" "$TP_PEER_PORT" || status=$?
tp_stop_turnpike
[[ $status -eq 0 ]] || tp_fail "turn_client.py reported failures"
echo "PASS: own client"
