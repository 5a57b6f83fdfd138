#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# The integration tests' oracles, as an operator reads them: a sample of turnpike's metrics
# (parsed by prometheus_client, Prometheus's own Python parser), and sums over its flow
# records (parsed by Python's json).
#
# usage: observe.py metric URL NAME [LABEL=VALUE ...]
#            the sample's value (an integer where it is one); exit 3 when there is none
#        observe.py flows FILE FIELD [KEY=VALUE ...]
#            FIELD summed over the flow-end records whose KEY is VALUE (every one given;
#            VALUE matches as text, "null" matches a JSON null), or their number for FIELD
#            "records"; exit 3 when none matches
import json
import sys
import urllib.request


def number(v):
    return str(int(v)) if float(v).is_integer() else str(v)


def metric(url, name, labels):
    from prometheus_client.parser import text_string_to_metric_families

    text = urllib.request.urlopen(url, timeout=5).read().decode("utf-8")
    want = dict(kv.split("=", 1) for kv in labels)
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == name and s.labels == want:
                print(number(s.value))
                return 0
    print(f"observe.py: no sample {name}{want} at {url}", file=sys.stderr)
    return 3


def flows(path, field, filters):
    want = dict(kv.split("=", 1) for kv in filters)
    total, matched = 0, 0
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            try:
                r = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                print(f"observe.py: {path}:{n} is not JSON: {e}", file=sys.stderr)
                return 2
            if r.get("event") != "flow-end":
                continue
            text = {k: "null" if r.get(k) is None else str(r.get(k)) for k in want}
            if text != want:
                continue
            matched += 1
            total += 1 if field == "records" else r[field]
    if not matched:
        print(f"observe.py: no flow-end record in {path} with {want}", file=sys.stderr)
        return 3
    print(total)
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "metric":
        sys.exit(metric(sys.argv[2], sys.argv[3], sys.argv[4:]))
    if len(sys.argv) >= 4 and sys.argv[1] == "flows":
        sys.exit(flows(sys.argv[2], sys.argv[3], sys.argv[4:]))
    sys.exit(__doc__ or "usage: observe.py metric URL NAME [L=V ...] | flows FILE FIELD [K=V ...]")
