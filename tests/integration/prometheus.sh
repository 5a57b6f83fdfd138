#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# turnpike's metrics as Prometheus itself takes them, with 16 000 allocations open (in socket
# mode, a UDP socket each, so the endpoint serves with some 16 000 descriptors in use): the
# endpoint answers, its exposition passes promtool check metrics, and Debian's prometheus
# server, scraping it every second, answers queries for turnpike's series (allocations, the
# limit, relayed packets by path, the engine's counters) with what turnpike holds.
#
# usage: prometheus.sh TURNPIKE
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_begin "$@"
turnpike=$1 count=16000
py=/usr/bin/python3
tp_need_root "16 000 allocations (file limits) in a namespace"
# A descriptor per allocation, on each side: the hard limit (20 000 on these VMs) is enough.
ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) >= count + 1000)) || tp_fail "the file limit $(ulimit -n) is too low for $count allocations"
cat >"$TP_WORK/turnpike.conf" <<CONF
log: { level = "info"; };
relay: { listen-port = 3478; port-min = 49152; port-max = 65535;
	ipv4: { bind = "127.0.0.1"; }; ipv6: { enabled = false; }; };
auth: { realm = "turnpike.test"; users = ( { name = "alice"; password = "alice-pw"; } ); };
limits: { max-allocations-per-user = 0; max-allocations = 20000;
	unauthenticated-burst = 16777215; unauthenticated-rate = 16777215; };
metrics: { listen = "127.0.0.1:$TP_METRICS_PORT"; };
admin: { socket = "$TP_WORK/admin.sock"; };
CONF
timeout -k 10 300 "$turnpike" -c "$TP_WORK/turnpike.conf" >"$TP_WORK/turnpike.log" 2>&1 &
TP_PID=$!
TP_PIDS+=("$TP_PID")
tp_wait_ready "$TP_WORK/turnpike.log" "$TP_PID"

fifo=$TP_WORK/hold.fifo
mkfifo "$fifo"
# From 127.0.0.2: the clients' ephemeral ports stay out of the relay's range on 127.0.0.1.
timeout 200 "$py" "$here/many_allocations.py" 127.0.0.1 3478 "$count" 127.0.0.2 <"$fifo" \
	>"$TP_WORK/many.log" 2>&1 &
TP_PIDS+=($!)
exec 9>"$fifo"
tp_ready_seconds=120 tp_wait_for "$count allocations" "$TP_WORK/many.log" "" grep -q \
	"holding $count" "$TP_WORK/many.log" || tp_fail "the allocations: $(tail -n 3 "$TP_WORK/many.log")"
tp_wait_metric "$count" turnpike_allocations
echo "turnpike's descriptors: $(ls "/proc/$TP_RELAY/fd" | wc -l)"

curl -sf --max-time 10 "http://127.0.0.1:$TP_METRICS_PORT/metrics" >"$TP_WORK/metrics.txt" ||
	tp_fail "no answer from the metrics endpoint with $count allocations"
promtool check metrics <"$TP_WORK/metrics.txt" || tp_fail "promtool check metrics"
echo "ok   promtool check metrics: $(grep -c '^# TYPE' "$TP_WORK/metrics.txt") families"

prom_port=$((TP_METRICS_PORT + 1))
cat >"$TP_WORK/prometheus.yml" <<YML
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [ "$here/../../conf/turnpike-alerts.yml" ]
scrape_configs:
  - job_name: turnpike
    static_configs: [ { targets: [ "127.0.0.1:$TP_METRICS_PORT" ] } ]
YML
timeout 200 prometheus --config.file="$TP_WORK/prometheus.yml" \
	--storage.tsdb.path="$TP_WORK/tsdb" --web.listen-address="127.0.0.1:$prom_port" \
	>"$TP_WORK/prometheus.log" 2>&1 &
TP_PIDS+=($!)

# query EXPR: the value of the query's single result ("none" without one)
query() {
	curl -sf --max-time 5 -G "http://127.0.0.1:$prom_port/api/v1/query" \
		--data-urlencode "query=$1" | "$py" -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "none")'
}
is() { [[ $(query "$1") == "$2" ]]; }
tp_ready_seconds=60 tp_wait_for "prometheus to scrape turnpike" "$TP_WORK/prometheus.log" "" \
	is 'up{job="turnpike"}' 1 || tp_fail "prometheus never scraped turnpike"
while read -r want expr; do
	tp_wait_for "prometheus: $expr = $want" "" "" is "$expr" "$want" ||
		tp_fail "prometheus: $expr is $(query "$expr"), want $want"
	echo "ok   prometheus: $expr = $want"
done <<QUERIES
$count turnpike_allocations
20000 turnpike_allocations_limit
2 count(turnpike_relayed_packets_total{path="control"})
$count turnpike_engine_allocations_created_total
$count turnpike_requests_total{method="allocate",result="success"}
$count turnpike_requests_total{method="allocate",result="401"}
0 count(ALERTS{alertstate="firing"}) or vector(0)
QUERIES
exec 9>&-
tp_stop_turnpike
echo "PASS: prometheus scrapes turnpike with $count allocations"
