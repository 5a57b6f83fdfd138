#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The alerting rules turnpike ships (conf/turnpike-alerts.yml) load in Prometheus (promtool
# check rules) and fire exactly where alerts_test.yml says (promtool test rules).
# usage: rules.sh SOURCE_ROOT
set -euo pipefail
command -v promtool >/dev/null || { echo "FAIL: promtool missing (scripts/install-deps installs prometheus)" >&2; exit 1; }
promtool check rules "$1/conf/turnpike-alerts.yml"
cd "$1/tests/prometheus"
promtool test rules alerts_test.yml
