#!/usr/bin/env bash
# The quick-start demo: installs what is missing, builds, plays the sample fleet on loopback
# (sample-inventories/demo-fleet.json, 127.77.0.0/24), scans it and leaves the reports in demo-out/.
set -euo pipefail
cd "$(dirname "$0")"
./build.sh

out=demo-out
mkdir -p "$out"
# Ports 443 and 5061 need root; otherwise the simulator maps them to 10443 and 15061 (and the scan
# asks its identity questions there: SIP OPTIONS on the SIP port, GET / on the web port).
https=443
sip=5061
map=()
if [ "$(id -u)" -ne 0 ]; then
  https=10443
  sip=15061
  map=(--port-map 443:10443 --port-map 5061:15061)
fi
ports=$https,$sip

rm -rf "$out/ready" "$out/cas"
mkdir -p "$out/cas"
build/fleet-sim --fleet sample-inventories/demo-fleet.json --truth "$out/truth.json" --cas-dir "$out/cas" \
  --ready-file "$out/ready" --duration 300 "${map[@]}" >"$out/fleet-sim.log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  [ -e "$out/ready" ] && break
  kill -0 "$sim" 2>/dev/null || { cat "$out/fleet-sim.log" >&2; exit 3; }
  sleep 0.1
done
[ -e "$out/ready" ] || { echo "demo: the simulator did not start" >&2; exit 3; }

# The vendors' CA bundles as a site would download them (here: from the simulator): Grandstream and
# Polycom are verified; Gigaset and Yealink are recognised by their issuer names only.
cat "$out/cas/grandstream-device-ca.pem" "$out/cas/grandstream-ecc-ca.pem" >"$out/grandstream-cas.pem"
cat "$out/cas/polycom-root.pem" "$out/cas/polycom-issuing-1.pem" "$out/cas/polycom-issuing-2.pem" >"$out/polycom-cas.pem"

build/fleetcert scan --targets-file sample-inventories/demo-targets.txt --inventory sample-inventories/demo-inventory.csv \
  --vendor-ca Grandstream="$out/grandstream-cas.pem" --vendor-ca Polycom="$out/polycom-cas.pem" \
  --trust "$out/cas/example-enterprise-ca.pem" --ports "$ports" --sip-ports "$sip" --http-ports "$https" --timeout 3 \
  --json "$out/scan.json" --jsonl "$out/scan.jsonl" --csv "$out/scan.csv" --csv-devices "$out/devices.csv" \
  --html "$out/report.html" --table
echo
# A picture of the HTML report for the README (headless Chromium; ./install-deps.sh installs it).
if command -v chromium >/dev/null; then
  chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$out/chromium-profile" \
    --window-size=1280,1800 --screenshot="$out/report.png" "file://$PWD/$out/report.html" >"$out/chromium.log" 2>&1 ||
    echo "demo: chromium could not take the screenshot; see $out/chromium.log" >&2
  rm -rf "$out/chromium-profile"
else
  echo "demo: chromium is not installed: no $out/report.png" >&2
fi
echo "demo: reports written to $out/: scan.json, scan.jsonl, scan.csv, devices.csv, report.html, report.png"
