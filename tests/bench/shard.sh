#!/usr/bin/env bash
# Dead space split in shards: one /12 of loopback where nothing listens (every connection refused
# at once), scanned by one fleetcert process, then by N shard processes (--shard K/N) in parallel.
# Prints wall time, CPU (user+system) and peak RSS of each run, and checks that the shards' endpoint
# counts add up to the single run's. Not part of the test suite; see tests/bench/README.md.
#
#   tests/bench/shard.sh [--range CIDR] [--port P] [--shards N] [--concurrency C] [--out DIR]
#
# Defaults: 127.16.0.0/12 (1,048,576 addresses) on port 1, 4 shards, --concurrency 1024,
# bench-out/shard/. Only 127.0.0.0/8 is ever connected to: a --range outside it is refused.
set -euo pipefail
cd "$(dirname "$0")/../.."

range=127.16.0.0/12
port=1
shards=4
concurrency=1024
out=bench-out/shard
fleetcert=${FLEETCERT:-build/fleetcert}
while [ $# -gt 0 ]; do
  case $1 in
    --range) range=${2:?--range needs a CIDR}; shift ;;
    --port) port=${2:?--port needs a port}; shift ;;
    --shards) shards=${2:?--shards needs a number}; shift ;;
    --concurrency) concurrency=${2:?--concurrency needs a number}; shift ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "shard.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
[[ $range == 127.* ]] || { echo "shard.sh: --range must be inside 127.0.0.0/8" >&2; exit 2; }
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "shard.sh: --shards: '$shards' is not a number" >&2; exit 2; }
[ -x "$fleetcert" ] || { echo "shard.sh: $fleetcert is not built (./build.sh)" >&2; exit 3; }
[ -x /usr/bin/time ] || { echo "shard.sh: /usr/bin/time (Debian package 'time') is required" >&2; exit 3; }
mkdir -p "$out"

# scan NAME [extra arguments]: one fleetcert process under /usr/bin/time -v, metrics to NAME.prom.
scan() {
  local name=$1
  shift
  /usr/bin/time -v -o "$out/$name.time" "$fleetcert" scan "$range" --ports "$port" --allow-large --quiet \
    --no-progress --concurrency "$concurrency" --timeout 2 --prometheus "$out/$name.prom" "$@"
}
field() { sed -n "s/^[[:space:]]*$2: //p" "$out/$1.time"; }
cpu() { echo "$(field "$1" 'User time (seconds)') + $(field "$1" 'System time (seconds)')" | bc; }
rss_mb() { echo "scale=1; $(field "$1" 'Maximum resident set size (kbytes)') / 1024" | bc; }
endpoints() { sed -n 's/^fleetcert_scan_endpoints \([0-9]*\)$/\1/p' "$out/$1.prom"; }
now() { date +%s.%N; }

start=$(now)
scan single
single_wall=$(echo "$(now) - $start" | bc)

start=$(now)
pids=()
for ((k = 0; k < shards; k++)); do
  scan "shard-$k" --shard "$k/$shards" &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid"
done
shards_wall=$(echo "$(now) - $start" | bc)

total=0
shard_cpu=0
shard_rss=0
echo "| run | endpoints | wall s | CPU s | peak RSS MB |"
echo "|---|---|---|---|---|"
printf '| 1 process | %s | %.2f | %s | %s |\n' "$(endpoints single)" "$single_wall" "$(cpu single)" "$(rss_mb single)"
for ((k = 0; k < shards; k++)); do
  n=$(endpoints "shard-$k")
  total=$((total + n))
  shard_cpu=$(echo "$shard_cpu + $(cpu "shard-$k")" | bc)
  rss=$(rss_mb "shard-$k")
  if (($(echo "$rss > $shard_rss" | bc))); then shard_rss=$rss; fi
  printf '| shard %d/%d | %s | | %s | %s |\n' "$k" "$shards" "$n" "$(cpu "shard-$k")" "$rss"
done
printf '| %d shards in parallel | %s | %.2f | %s (sum) | %s (largest) |\n' "$shards" "$total" "$shards_wall" "$shard_cpu" \
  "$shard_rss"
if [ "$total" != "$(endpoints single)" ]; then
  echo "shard.sh: the shards scanned $total endpoints, the single process $(endpoints single)" >&2
  exit 1
fi
echo "(range $range, port $port, --concurrency $concurrency, $(nproc) cores; raw: $out/*.time)"
