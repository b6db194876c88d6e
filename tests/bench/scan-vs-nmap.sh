#!/usr/bin/env bash
# Benchmark: fleetcert against nmap's ssl-cert script on the same simulated fleet, in one run.
#
#   tests/bench/scan-vs-nmap.sh [FLEET.json]     (default: tests/fleets/bench-2000.json)
#
# Starts fleet-sim on loopback, scans every device address on both ports with fleetcert, then with
# `nmap -n -Pn -T5 -p PORTS --script ssl-cert`, and prints wall seconds, endpoints per second, CPU
# seconds of the scanner process only (not the simulator), peak RSS and certificates retrieved.
# Everything connects to 127.0.0.0/8 only; the simulator is stopped by PID at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
fleet=${1:-tests/fleets/bench-2000.json}
concurrency=${CONCURRENCY:-256}
timeout_s=${TIMEOUT:-5}

./build.sh >/dev/null
need=()
command -v nmap >/dev/null || need+=(nmap)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/fleetcert-bench-XXXXXX)
ports=443,5061
map=()
if [ "$(id -u)" -ne 0 ]; then
  ports=30443,35061
  map=(--port-map 443:30443 --port-map 5061:35061)
fi

build/fleet-sim --fleet "$fleet" --truth "$work/truth.json" --ready-file "$work/ready" --threads 1 \
  --duration 1800 "${map[@]}" >"$work/sim.log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 1200); do
  [ -e "$work/ready" ] && break
  kill -0 "$sim" 2>/dev/null || { cat "$work/sim.log" >&2; exit 3; }
  sleep 0.1
done
[ -e "$work/ready" ] || { echo "bench: the simulator did not start" >&2; exit 3; }

# Every device address of the fleet, from the truth file.
grep -o '"ip": *"[0-9.]*"' "$work/truth.json" | grep -o '[0-9.]*[0-9]' | sort -u -t. -k1,1n -k2,2n -k3,3n -k4,4n >"$work/targets.txt"
devices=$(wc -l <"$work/targets.txt")
nports=$(tr ',' '\n' <<<"$ports" | wc -l)
endpoints=$((devices * nports))
tls_endpoints=$(grep -c '"leaf_sha256"' "$work/truth.json" || true)

measure() { # name, command...: runs it under /usr/bin/time -v
  local name=$1; shift
  /usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
  local wall cpu rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/$name.time")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$work/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$work/$name.time")
  echo "$name $wall $cpu $rss"
}

fc=$(measure fleetcert build/fleetcert scan --targets-file "$work/targets.txt" --ports "$ports" \
  --concurrency "$concurrency" --timeout "$timeout_s" --jsonl "$work/fleetcert.jsonl" --no-progress)
fc_certs=$(grep -c '"status":"ok"' "$work/fleetcert.jsonl" || true)
nm=$(measure nmap nmap -n -Pn -T5 -p "$ports" --script ssl-cert -iL "$work/targets.txt" -oN "$work/nmap.txt")
nm_certs=$(grep -c 'ssl-cert: Subject' "$work/nmap.txt" || true)

printf '\nfleet: %s — %d devices x %d ports = %d endpoints (%d present a certificate); machine: %s, %d cores\n' \
  "$fleet" "$devices" "$nports" "$endpoints" "$tls_endpoints" "$(uname -m)" "$(nproc)"
printf '%-10s %9s %12s %9s %14s %11s %7s\n' tool wall_s endpoints/s cpu_s cpu_ms/endpoint peak_rss_MB certs
for row in "$fc $fc_certs" "$nm $nm_certs"; do
  read -r name wall cpu rss certs <<<"$row"
  awk -v n="$name" -v w="$wall" -v c="$cpu" -v r="$rss" -v e="$endpoints" -v k="$certs" \
    'BEGIN {printf "%-10s %9.2f %12.0f %9.2f %14.3f %11.1f %7d\n", n, w, e/w, c, c*1000/e, r, k}'
done
read -r _ fc_wall _ <<<"$fc"
read -r _ nm_wall _ <<<"$nm"
awk -v a="$fc_wall" -v b="$nm_wall" 'BEGIN {printf "nmap wall / fleetcert wall: %.1fx\n", b/a}'
