#!/usr/bin/env bash
# The HTML report at fleet scale (issue 15): a 10,000-device page must stay under 10 MB and be usable
# in a browser within 2 s. Not part of the test suite.
#
#   tests/bench/html_report.sh [--devices N] [--runs N] [--out DIR]
#
# 1. plays the demo fleet (sample-inventories/demo-fleet.json, moved to 127.149.0.0/24) with fleet-sim
#    and scans it with --jsonl (real records: chains, findings, remediation texts, inventory rows);
# 2. makes a fleet of N devices (default 10,000) from those records: each device a copy of a demo
#    device with its own address (127.150.0.0/16 onward, data only: nothing connects to it), MAC, CN,
#    fingerprint and site (one of 40); the PEM is left out, so every certificate is distinct;
# 3. `fleetcert report FLEET.jsonl --html` (timed), the page's size;
# 4. opens the page with headless Chromium RUNS times (default 3) and reads the page's own
#    time-to-ready (data-ready-ms of #fleetcert-status: from navigation start until the charts are
#    drawn and the table is filled, performance.now()), and the whole chromium run's wall time.
# Prints a markdown table and PASS/FAIL for both goals. Only 127.0.0.0/8 is ever connected to; the
# simulator is stopped by its PID on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

devices=10000
runs=3
out=bench-out/html
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) devices="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "html_report.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$devices" =~ ^[0-9]+$ && "$devices" -ge 1 && "$devices" -le 60000 ]] || { echo "--devices: 1..60000" >&2; exit 2; }
[[ "$runs" =~ ^[0-9]+$ && "$runs" -ge 1 && "$runs" -le 20 ]] || { echo "--runs: 1..20" >&2; exit 2; }
command -v chromium >/dev/null || { echo "html_report.sh: chromium is not installed (./install-deps.sh)" >&2; exit 2; }
fleetcert=${FLEETCERT_BIN:-build/fleetcert}
fleet_sim=${FLEET_SIM_BIN:-build/fleet-sim}
[ -x "$fleetcert" ] && [ -x "$fleet_sim" ] || { echo "html_report.sh: build first (./build.sh)" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
mkdir -p "$out"
sed 's/127\.77\./127.149./g' sample-inventories/demo-fleet.json >"$out/demo-fleet.json"
sed 's/127\.77\./127.149./g' sample-inventories/demo-inventory.csv >"$out/demo-inventory.csv"
"$fleet_sim" --fleet "$out/demo-fleet.json" --truth "$out/truth.json" --ready-file "$out/ready" --duration 120 \
  --port-map 443:46443 --port-map 5061:49061 >"$out/fleet-sim.log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  [ -e "$out/ready" ] && break
  kill -0 "$sim" 2>/dev/null || { cat "$out/fleet-sim.log" >&2; exit 3; }
  sleep 0.1
done
[ -e "$out/ready" ] || { echo "html_report.sh: the simulator did not start" >&2; exit 3; }
"$fleetcert" scan 127.149.0.0/24 --ports 46443,49061 --inventory "$out/demo-inventory.csv" --timeout 3 \
  --jsonl "$out/demo.jsonl" --no-progress
kill "$sim"; wait "$sim" 2>/dev/null || true
trap - EXIT

python3 - "$out/demo.jsonl" "$out/fleet.jsonl" "$devices" <<'PY'
import hashlib, json, sys
source, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
by_ip = {}
for line in open(source):
    record = json.loads(line)
    if record.get("status") == "skipped":
        continue
    by_ip.setdefault(record["target"]["ip"], []).append(record)
# Devices that presented a certificate on some port: the fleet is made of copies of these.
templates = [records for records in by_ip.values() if any(r["status"] == "ok" for r in records)]
with open(target, "w") as out:
    for n in range(count):
        ip = f"127.{150 + n // 65536}.{n // 256 % 256}.{n % 256}"
        mac = f"{0xC074AD000000 + n:012X}"
        for record in templates[n % len(templates)]:
            record = json.loads(json.dumps(record))
            record["target"]["ip"] = ip
            if "inventory" in record:
                record["inventory"]["mac"] = mac
                record["inventory"]["site"] = f"Site-{n % 40:02d}"
                record["inventory"]["hostname"] = f"device-{n:05d}"
            if record["status"] == "ok":
                port = record["target"]["port"]
                digest = hashlib.sha256(f"{n}/{port}".encode()).hexdigest()
                for certificate in record["chain"]:
                    certificate.pop("pem", None)
                record["chain"][0]["sha256"] = digest
                record["leaf"]["sha256"] = digest
                old_cn = record["leaf"].get("cn", "")
                if old_cn:
                    for place in (record["leaf"], record["chain"][0]):
                        place["subject"] = place["subject"].replace(old_cn, mac)
                    record["leaf"]["cn"] = mac
                    if record["assessment"].get("mac"):
                        record["assessment"]["mac"] = mac
            out.write(json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n")
PY

start=$(date +%s.%N)
"$fleetcert" report "$out/fleet.jsonl" --html "$out/report.html"
end=$(date +%s.%N)
write_s=$(python3 -c "print(f'{$end - $start:.2f}')")
size=$(stat -c %s "$out/report.html")

ready=()
walls=()
for run in $(seq 1 "$runs"); do
  rm -rf "$out/chromium-profile"
  start=$(date +%s.%N)
  chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$out/chromium-profile" --window-size=1280,2000 \
    --dump-dom "file://$out/report.html" >"$out/dom-$run.html" 2>"$out/chromium-$run.log"
  end=$(date +%s.%N)
  status=$(grep -o '<div id="fleetcert-status" [^>]*data-[^>]*>' "$out/dom-$run.html" | head -1 || true)
  [[ "$status" == *'data-ready="yes"'* && "$status" == *'data-errors="0"'* ]] ||
    { echo "html_report.sh: run $run: the page did not get ready: $status" >&2; exit 1; }
  [[ "$status" == *"data-devices=\"$devices\""* ]] || { echo "html_report.sh: run $run: not $devices devices: $status" >&2; exit 1; }
  ready+=("$(sed 's/.*data-ready-ms="\([0-9]*\)".*/\1/' <<<"$status")")
  walls+=("$(python3 -c "print(f'{$end - $start:.2f}')")")
done
rm -rf "$out/chromium-profile"
median_ready=$(printf '%s\n' "${ready[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
records=$(wc -l <"$out/fleet.jsonl")
{
  echo "| devices | records | report --html | page size | time-to-ready (median of $runs; each run) | chromium wall per run |"
  echo "|---|---|---|---|---|---|"
  echo "| $devices | $records | ${write_s} s | $(python3 -c "print(f'{$size / 1e6:.2f} MB')") | ${median_ready} ms (${ready[*]}) | ${walls[*]} s |"
  echo
  [ "$size" -lt 10000000 ] && echo "- PASS page under 10 MB" || echo "- FAIL page under 10 MB"
  [ "$median_ready" -lt 2000 ] && echo "- PASS usable within 2 s" || echo "- FAIL usable within 2 s"
} | tee "$out/results.md"
