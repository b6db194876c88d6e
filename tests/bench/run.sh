#!/usr/bin/env bash
# fleetcert benchmark (issue 5): every scenario on the simulated fleet, on loopback, in one run.
# Not part of the test suite. Prints a markdown table and writes it to OUT/results.md.
#
#   tests/bench/run.sh [--quick] [--scenarios 1,2,3,4,5,6,7] [--peer-sample N | PEER=N,...]
#                      [--peers nmap,sslscan,openssl,tls-scan] [--concurrencies 1024,4096] [--out DIR]
#                      [--sim-threads N] [--s1-timeout S] [--s7-runs N] [--keep]
#
#   1  live fleet: tests/fleets/bench-live-2000.json (2000 devices x 443,5061 on 127.52/16), fleetcert at
#      concurrency 256 (the default) and each --concurrencies; plus the bare cost of one client
#      handshake (tests/bench/bare_handshake.cpp: blocking OpenSSL loop, full and certificate-only)
#   2  the same fleet with nmap --script ssl-cert (-T5), sslscan --show-certificate (every optional
#      test off) and an administrator's `openssl s_client` loop, one endpoint at a time
#   3  dead space: 127.200.0.0/16 x 2 ports, every connection refused
#   4  silent devices: tests/fleets/bench-tarpit-5000.json (5000 tarpit endpoints on 127.53/16) at --timeout 2
#   5  memory: 127.224.0.0/12 x 2 ports (2,097,152 endpoints) with --jsonl to a file
#   6  populations (issue 13): the live fleet as it is (mixed), with every device limited to TLS 1.0-1.2,
#      and with every device TLS 1.3 only; per population fleetcert at each --concurrencies, the bare
#      certificate-only client, nmap and (with TLS_SCAN_BIN) tls-scan, all in the same run
#   7  identity (issue 14): the live fleet (every port answers a SIP OPTIONS / GET / in its vendor's
#      format) scanned with --identify none, --identify none --full-handshake and --identify sip,http
#      (--sip-ports 5061 --http-ports 443, mapped), each --s7-runs times, at concurrency 256; the
#      records with an identity.model are counted in the JSONL
#
# Figures of the scanner are those of its process only (/usr/bin/time -v: wall, user+system CPU,
# maximum resident set size); the simulator runs as a separate process, not counted (its CPU is shown
# beside).
#
# Environment: FLEETCERT_EXTRA_ARGS  words appended to every `fleetcert scan` (e.g. "--full-handshake")
#              FLEETCERT_BIN         the fleetcert binary to measure (default: built here in Release)
#              FLEET_SIM_BIN         the simulator (default: the one built beside fleetcert)
#              BUILD_DIR             build directory (default build; build-release if build is not Release)
#              TLS_SCAN_BIN          a tls-scan binary (github.com/prbinu/tls-scan, built outside the
#                                    repository): adds it as a peer in scenarios 2 and 6
#              TLS_SCAN_CACERT       the CA bundle tls-scan requires (default /etc/ssl/certs/ca-certificates.crt)
#
# Peers are installed with apt-get when missing and the script runs as root; otherwise a missing
# peer is skipped and the table says so. Every process the script starts runs in its own process
# group and is stopped by its PID on exit (also on Ctrl-C). Only 127.0.0.0/8 is ever connected to.
set -euo pipefail
cd "$(dirname "$0")/../.."

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  cat <<'EOF'

Options:
  --quick               smaller sizes for a smoke check (well under a minute once built)
  --scenarios LIST      which scenarios to run (default 1,2,3,4,5,6,7)
  --peer-sample SPEC    scan only N devices of the live fleet with the peers (every k-th device,
                        same mix): N for all peers, or nmap=N,sslscan=N,openssl=N; `all` = every
                        device. Default: nmap=all,sslscan=all,openssl=500 (quick: 10 each).
                        Sampled peers are marked; their rates and CPU per endpoint are per endpoint
                        of the sample and their full-fleet wall time is extrapolated
  --peers LIST          peers of scenarios 2 and 6 (default nmap,sslscan,openssl, and tls-scan with
                        TLS_SCAN_BIN; scenario 6 runs nmap and tls-scan of them); `none`: no peer
  --concurrencies LIST  concurrencies of scenarios 1, 3, 4 and 5 (default 1024,4096; scenario 1 also 256)
  --s1-timeout S        fleetcert --timeout in scenario 1 (default 20: the 2-core simulator queues
                        handshakes at high concurrency; a real device does not)
  --sim-threads N       fleet-sim threads (default: one per core)
  --s7-runs N           how often scenario 7 runs each variant (default 2; quick: 1)
  --out DIR             where results.md and the raw measurements go (default bench-out)
  --keep                keep the scratch directory (targets, outputs) and print its path
EOF
}

# ---------------------------------------------------------------------------------------------
# Options
scenarios=1,2,3,4,5,6,7
quick=0
peer_sample_spec=""
peers=nmap,sslscan,openssl
tls_scan=${TLS_SCAN_BIN:-}
tls_scan_cacert=${TLS_SCAN_CACERT:-/etc/ssl/certs/ca-certificates.crt} # tls-scan refuses to run without one
[ -n "$tls_scan" ] && peers=$peers,tls-scan
concurrencies=1024,4096
s1_timeout=20
sim_threads=$(nproc)
s7_runs=""
out_dir=bench-out
keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --scenarios) scenarios=${2:?--scenarios needs a list}; shift ;;
    --peer-sample) peer_sample_spec=${2:?--peer-sample needs N or PEER=N,...}; shift ;;
    --peers) peers=${2:?--peers needs a list}; shift ;;
    --concurrencies) concurrencies=${2:?--concurrencies needs a list}; shift ;;
    --s1-timeout) s1_timeout=${2:?--s1-timeout needs seconds}; shift ;;
    --sim-threads) sim_threads=${2:?--sim-threads needs N}; shift ;;
    --s7-runs) s7_runs=${2:?--s7-runs needs N}; shift ;;
    --out) out_dir=${2:?--out needs a directory}; shift ;;
    --keep) keep=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for s in ${scenarios//,/ }; do
  [[ $s =~ ^[1-7]$ ]] || { echo "bench: --scenarios: '$s' is not 1..7" >&2; exit 2; }
done
for c in ${concurrencies//,/ }; do
  { [[ $c =~ ^[0-9]+$ ]] && [ "$c" -gt 0 ]; } || { echo "bench: --concurrencies: '$c' is not a positive number" >&2; exit 2; }
done
[ "$peers" = none ] && peers=""
for p in ${peers//,/ }; do
  case $p in nmap|sslscan|openssl|tls-scan) ;; *) echo "bench: --peers: unknown peer '$p'" >&2; exit 2 ;; esac
  if [ "$p" = tls-scan ] && [ ! -x "$tls_scan" ]; then
    echo "bench: --peers: tls-scan needs TLS_SCAN_BIN, the path of a tls-scan binary" >&2; exit 2
  fi
done
[[ $s1_timeout =~ ^[0-9]+$ ]] || { echo "bench: --s1-timeout: '$s1_timeout' is not a number of seconds" >&2; exit 2; }
[[ $sim_threads =~ ^[0-9]+$ ]] || { echo "bench: --sim-threads: '$sim_threads' is not a number" >&2; exit 2; }
if [ -z "$s7_runs" ]; then s7_runs=2; [ "$quick" -eq 1 ] && s7_runs=1; fi
{ [[ $s7_runs =~ ^[0-9]+$ ]] && [ "$s7_runs" -gt 0 ]; } || { echo "bench: --s7-runs: '$s7_runs' is not a positive number" >&2; exit 2; }

declare -A sample=([nmap]=all [sslscan]=all [openssl]=500 [tls-scan]=all)
[ "$quick" -eq 1 ] && sample=([nmap]=10 [sslscan]=10 [openssl]=10 [tls-scan]=10)
if [ -n "$peer_sample_spec" ]; then
  for item in ${peer_sample_spec//,/ }; do
    if [[ $item =~ ^([0-9]+|all)$ ]]; then
      sample=([nmap]=$item [sslscan]=$item [openssl]=$item [tls-scan]=$item)
    elif [[ $item =~ ^(nmap|sslscan|openssl|tls-scan)=([0-9]+|all)$ ]]; then
      sample[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
    else
      echo "bench: --peer-sample: '$item' is not N, all or PEER=N" >&2; exit 2
    fi
  done
fi
for p in nmap sslscan openssl tls-scan; do
  [ "${sample[$p]}" = 0 ] && { echo "bench: --peer-sample: $p=0 scans nothing" >&2; exit 2; }
done
wants() { [[ ,$scenarios, == *,$1,* ]]; }
read -r -a extra_args <<<"${FLEETCERT_EXTRA_ARGS:-}"

# Sizes (quick mode shrinks them).
live_fleet=tests/fleets/bench-live-2000.json
tarpit_fleet=tests/fleets/bench-tarpit-5000.json
dead16=127.200.0.0/16
dead12=127.224.0.0/12
s1_devices=all
s4_devices=all
tarpit_timeout=2
if [ "$quick" -eq 1 ]; then
  s1_devices=100
  s4_devices=250
  dead16=127.200.0.0/22
  dead12=127.224.0.0/18
fi

# ---------------------------------------------------------------------------------------------
# Processes: every background process gets its own process group (setsid), is remembered by PID
# and stopped on exit.
pids=()
work=""
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
  if [ -n "$work" ] && [ -d "$work" ]; then
    if [ "$keep" -eq 1 ]; then echo "bench: scratch directory kept: $work" >&2; else rm -rf "$work"; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget_pid() { # the process has been waited for: never signal its (reusable) PID again
  local keep_pids=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep_pids+=("$p"); done
  pids=("${keep_pids[@]}")
}

note() { echo "bench: $*" >&2; }

# ---------------------------------------------------------------------------------------------
# Build and tools
need_pkgs=()
[ -x /usr/bin/time ] || need_pkgs+=(time)
declare -A peer_pkg=([nmap]=nmap [sslscan]=sslscan [openssl]=openssl)
declare -A peer_bin=([nmap]=nmap [sslscan]=sslscan [openssl]=openssl [tls-scan]=$tls_scan)
if wants 2; then
  for p in ${peers//,/ }; do
    [ -n "${peer_pkg[$p]:-}" ] || continue # tls-scan: built by hand (TLS_SCAN_BIN)
    command -v "${peer_bin[$p]}" >/dev/null || need_pkgs+=("${peer_pkg[$p]}")
  done
fi
if wants 6 && [[ ,$peers, == *,nmap,* ]] && ! command -v nmap >/dev/null; then need_pkgs+=(nmap); fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    note "installing ${need_pkgs[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    note "not root: cannot install ${need_pkgs[*]}"
  fi
fi
[ -x /usr/bin/time ] || { note "/usr/bin/time (Debian package 'time') is required"; exit 3; }

build_dir=${BUILD_DIR:-build}
if [ -z "${BUILD_DIR:-}" ] && [ -f build/CMakeCache.txt ] \
   && ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' build/CMakeCache.txt; then
  build_dir=build-release # build/ is another build type: leave it as it is
fi
if [ -z "${FLEETCERT_BIN:-}" ] || [ -z "${FLEET_SIM_BIN:-}" ]; then
  ./install-deps.sh >&2
  note "building fleetcert and fleet-sim (Release) in $build_dir"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build_dir" -j "$(nproc)" --target fleetcert fleet-sim >/dev/null
fi
fleetcert=${FLEETCERT_BIN:-$build_dir/fleetcert}
fleet_sim=${FLEET_SIM_BIN:-$build_dir/fleet-sim}
cmake -S tests/bench -B "$build_dir/bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir/bench" >/dev/null
bare=$build_dir/bench/bare-handshake
for b in "$fleetcert" "$fleet_sim" "$bare"; do [ -x "$b" ] || { note "missing $b"; exit 3; }; done

# Both the simulator and the scanner may need many descriptors (one listener per address and port,
# thousands of sockets in flight).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d "${TMPDIR:-/tmp}/fleetcert-bench-XXXXXX")
mkdir -p "$out_dir/raw"
rm -f "$out_dir"/raw/*
ports=443,5061
map=()
if [ "$(id -u)" -ne 0 ]; then
  ports=30443,35061
  map=(--port-map 443:30443 --port-map 5061:35061)
fi
nports=2

# ---------------------------------------------------------------------------------------------
# Measuring

sim_pid=""
clock_ticks=$(getconf CLK_TCK)
# CPU seconds the running simulator has used so far (0 when none runs).
sim_cpu_now() {
  if [ -n "$sim_pid" ] && [ -r "/proc/$sim_pid/stat" ]; then
    awk -v hz="$clock_ticks" '{sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz}' "/proc/$sim_pid/stat"
  else
    echo 0
  fi
}

# measure NAME CMD...: runs CMD under /usr/bin/time -v in its own process group, output to
# $work/NAME.out and .err; sets m_wall m_cpu m_rss_mb m_status, and m_sim_cpu (what the simulator
# used meanwhile).
measure() {
  local name=$1; shift
  local sim_before
  sim_before=$(sim_cpu_now)
  setsid /usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null &
  local pid=$!
  pids+=("$pid")
  wait "$pid" || true
  forget_pid "$pid"
  m_sim_cpu=$(awk -v a="$sim_before" -v b="$(sim_cpu_now)" 'BEGIN {printf "%.2f", b - a}')
  cp "$work/$name.time" "$out_dir/raw/$name.time" 2>/dev/null || true
  m_wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/$name.time")
  m_cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$work/$name.time")
  m_rss_mb=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$work/$name.time")
  m_status=$(awk -F': ' '/Exit status/ {print $2}' "$work/$name.time")
  : "${m_wall:=0}" "${m_cpu:=0}" "${m_rss_mb:=0}" "${m_status:=?}"
}

# start_sim NAME FLEET: plays FLEET in the background until ready; sets sim_pid, truth file $work/NAME.truth.json
start_sim() {
  local name=$1 fleet=$2
  note "starting fleet-sim on $fleet"
  setsid "$fleet_sim" --fleet "$fleet" --truth "$work/$name.truth.json" --ready-file "$work/$name.ready" \
    --threads "$sim_threads" --duration 7200 "${map[@]}" >"$work/$name.sim.log" 2>&1 </dev/null &
  sim_pid=$!
  pids+=("$sim_pid")
  for _ in $(seq 1 3000); do
    [ -e "$work/$name.ready" ] && return 0
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/$name.sim.log" >&2; note "fleet-sim failed"; exit 3; }
    sleep 0.1
  done
  note "fleet-sim did not become ready within 300 s"; exit 3
}

stop_sim() {
  kill -TERM "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  forget_pid "$sim_pid"
  sim_pid=""
}

# endpoints_of TRUTH: "IP PORT" per endpoint, sorted by address then port.
endpoints_of() {
  awk -F'"' '/"ip":/ {ip=$4} /"port":/ {p=$3; gsub(/[^0-9]/, "", p); print ip, p}' "$1" \
    | sort -t. -k1,1n -k2,2n -k3,3n -k4,4n
}

# pick N FILE: every k-th line of FILE so that N lines remain (all of them for `all` or N >= lines).
pick() {
  local n=$1 file=$2 total
  total=$(wc -l <"$file")
  if [ "$n" = all ] || [ "$n" -ge "$total" ]; then cat "$file"; return; fi
  awk -v n="$n" -v t="$total" '{i=NR-1; if (i==0 || int(i*n/t)!=int((i-1)*n/t)) print}' "$file"
}

# endpoints_for DEVICES ENDPOINTS: the lines of ENDPOINTS whose address is in DEVICES.
endpoints_for() { awk 'NR==FNR {d[$1]; next} ($1 in d)' "$1" "$2"; }

# Checks that nothing listens on the given address block prefix (regex) or on a wildcard address
# for our ports: dead space must answer every SYN with a reset.
check_dead() {
  local regex=$1 probe=$2 port
  for port in ${ports//,/ }; do
    if ss -Hltn 2>/dev/null | awk '{print $4}' | grep -Eq "^(${regex}[0-9.]*|0\.0\.0\.0|\*|\[::\]):${port}\$"; then
      note "something listens on $regex* or a wildcard address on port $port: not dead space"; return 1
    fi
  done
  local first=${ports%%,*}
  if timeout 3 bash -c "exec 3<>/dev/tcp/$probe/$first" 2>/dev/null; then
    note "$probe:$first accepted a connection: not dead space"; return 1
  fi
  return 0
}

fc_scan() { # NAME, fleetcert scan arguments...
  local name=$1; shift
  measure "$name" "$fleetcert" scan "$@" --no-progress "${extra_args[@]}"
  if [ "$m_status" != 0 ]; then
    note "$name: fleetcert exited with $m_status: $(head -c 400 "$work/$name.err")"
  fi
}

count() { local n; n=$(grep -c -- "$1" "$2" 2>/dev/null) || true; echo "${n:-0}"; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN {printf f, v}'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN {if (b+0 == 0) print "n/a"; else printf f, a/b}'; }

# ---------------------------------------------------------------------------------------------
# Machine
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
[ -n "$cpu_model" ] || cpu_model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
fc_version=$("$fleetcert" --version 2>/dev/null | head -1 || echo "?")
git_rev=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
git diff --quiet HEAD 2>/dev/null || git_rev="$git_rev+changes"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t_start=$(date +%s)

results=$work/results.md
goals=$work/goals.md
: >"$results"
: >"$goals"
out() { printf '%s\n' "$*" >>"$results"; }
goal() { # PASS|FAIL|n/a, text
  printf -- '- **%s** %s\n' "$1" "$2" >>"$goals"
}
verdict() { awk -v ok="$1" 'BEGIN {print (ok+0 ? "PASS" : "FAIL")}'; }

IFS=, read -r -a conc_list <<<"$concurrencies"
ref_conc=${conc_list[0]}
for c in "${conc_list[@]}"; do [ "$c" = 1024 ] && ref_conc=1024; done
declare -A s1_wall s1_cpu s1_rss s1_certs s1_sim s4_sim s3_wall s3_cpu s3_rss s3_records s3_refused \
  s4_wall s4_cpu s4_rss s4_records s4_timeouts s5_wall s5_cpu s5_rss s5_records s5_bytes

# ---------------------------------------------------------------------------------------------
# Scenarios 1, 2 and 7: the live fleet
if wants 1 || wants 2 || wants 7; then
  start_sim live "$live_fleet"
  endpoints_of "$work/live.truth.json" >"$work/live.endpoints"
  cut -d' ' -f1 "$work/live.endpoints" | uniq >"$work/live.devices"
  pick "$s1_devices" "$work/live.devices" >"$work/s1.devices"
  endpoints_for "$work/s1.devices" "$work/live.endpoints" >"$work/s1.endpoints"
  s1_n=$(wc -l <"$work/s1.endpoints")
  s1_dev=$(wc -l <"$work/s1.devices")
  s1_truth_certs=$(grep -c '"leaf_sha256"' "$work/live.truth.json" || true)
fi

if wants 1; then
  note "scenario 1: fleetcert on $s1_n endpoints"
  # Fixed start-up cost (profiles, IEEE registry, contexts): one refused endpoint of dead space.
  startup_cpu=""
  for i in 1 2 3; do
    fc_scan "startup-$i" 127.200.255.254 --ports "${ports%%,*}" --identify none --timeout 2 --jsonl "$work/startup.jsonl"
    startup_cpu=$(awk -v a="$startup_cpu" -v b="$m_cpu" 'BEGIN {print (a == "" || b < a) ? b : a}')
  done
  s1_concs=(256)
  for c in "${conc_list[@]}"; do [ "$c" = 256 ] || s1_concs+=("$c"); done
  for c in "${s1_concs[@]}"; do
    fc_scan "s1-fleetcert-c$c" --targets-file "$work/s1.devices" --ports "$ports" --identify none --concurrency "$c" \
      --timeout "$s1_timeout" --jsonl "$work/s1-c$c.jsonl"
    s1_wall[$c]=$m_wall; s1_cpu[$c]=$m_cpu; s1_rss[$c]=$m_rss_mb; s1_sim[$c]=$m_sim_cpu
    s1_certs[$c]=$(count '"status":"ok"' "$work/s1-c$c.jsonl")
  done
  note "scenario 1: bare OpenSSL handshakes on $s1_n endpoints"
  measure bare "$bare" --endpoints "$work/s1.endpoints" --mode both
  bare_sim=$m_sim_cpu
  bare_full_us=$(awk '/^mode=full/ {for(i=1;i<=NF;i++) if ($i ~ /^cpu_us_per_handshake=/) {sub(/.*=/,"",$i); print $i}}' "$work/bare.out")
  bare_cert_us=$(awk '/^mode=cert-only/ {for(i=1;i<=NF;i++) if ($i ~ /^cpu_us_per_handshake=/) {sub(/.*=/,"",$i); print $i}}' "$work/bare.out")
  bare_full_certs=$(awk '/^mode=full/ {for(i=1;i<=NF;i++) if ($i ~ /^certificates=/) {sub(/.*=/,"",$i); print $i}}' "$work/bare.out")
  bare_cert_certs=$(awk '/^mode=cert-only/ {for(i=1;i<=NF;i++) if ($i ~ /^certificates=/) {sub(/.*=/,"",$i); print $i}}' "$work/bare.out")
  bare_full_wall=$(awk '/^mode=full/ {for(i=1;i<=NF;i++) if ($i ~ /^wall_s=/) {sub(/.*=/,"",$i); print $i}}' "$work/bare.out")
  bare_cert_wall=$(awk '/^mode=cert-only/ {for(i=1;i<=NF;i++) if ($i ~ /^wall_s=/) {sub(/.*=/,"",$i); print $i}}' "$work/bare.out")
  : "${bare_full_us:=0}" "${bare_cert_us:=0}" "${bare_full_certs:=0}" "${bare_cert_certs:=0}" "${bare_full_wall:=0}" "${bare_cert_wall:=0}"
fi

declare -A p_wall p_cpu p_rss p_certs p_n p_dev p_sim
if wants 2; then
  for p in ${peers//,/ }; do
    if ! command -v "${peer_bin[$p]}" >/dev/null; then
      note "scenario 2: $p is not installed: skipped"; continue
    fi
    pick "${sample[$p]}" "$work/live.devices" >"$work/$p.devices"
    endpoints_for "$work/$p.devices" "$work/live.endpoints" >"$work/$p.endpoints"
    p_n[$p]=$(wc -l <"$work/$p.endpoints")
    p_dev[$p]=$(wc -l <"$work/$p.devices")
    note "scenario 2: $p on ${p_n[$p]} endpoints"
    case $p in
      nmap)
        measure peer-nmap nmap -n -Pn -T5 -p "$ports" --script ssl-cert -iL "$work/nmap.devices" -oN "$work/nmap.txt"
        p_certs[$p]=$(count 'ssl-cert: Subject:' "$work/nmap.txt") ;;
      sslscan)
        tr ' ' ':' <"$work/sslscan.endpoints" >"$work/sslscan.targets"
        measure peer-sslscan sslscan --no-colour --show-certificate --no-ciphersuites --no-cipher-details \
          --no-compression --no-fallback --no-groups --no-heartbleed --no-renegotiation --timeout=5 \
          --targets="$work/sslscan.targets"
        p_certs[$p]=$(count 'BEGIN CERTIFICATE' "$work/peer-sslscan.out") ;;
      tls-scan)
        tr ' ' ':' <"$work/tls-scan.endpoints" >"$work/tls-scan.targets"
        measure peer-tls-scan "$tls_scan" --infile="$work/tls-scan.targets" -b 1024 -t 5 \
          --ciphers="ALL:@SECLEVEL=0" --cacert="$tls_scan_cacert" -o "$work/tls-scan.json"
        p_certs[$p]=$(count '"certificateChain"' "$work/tls-scan.json") ;;
      openssl)
        # How an administrator does it today: one s_client per endpoint, stdin closed, a timeout each.
        # shellcheck disable=SC2016 # expanded by the inner shell
        measure peer-openssl bash -c 'while read -r ip port; do timeout 5 openssl s_client -connect "$ip:$port" </dev/null 2>/dev/null; done <"$1"' \
          loop "$work/openssl.endpoints"
        p_certs[$p]=$(count 'BEGIN CERTIFICATE' "$work/peer-openssl.out") ;;
    esac
    p_wall[$p]=$m_wall; p_cpu[$p]=$m_cpu; p_rss[$p]=$m_rss_mb; p_sim[$p]=$m_sim_cpu
  done
fi

# Scenario 7: identity (issue 14). The same devices, scanned without the identity exchange (the
# certificate-only shortcut), with a complete handshake but no exchange (what identity costs in
# handshake alone), and with the SIP OPTIONS / GET / exchange after the complete handshake.
declare -A s7_wall s7_cpu s7_rss s7_sim s7_certs s7_models s7_identities
s7_variants=(none full sip-http)
declare -A s7_label=([none]="--identify none" [full]="--identify none --full-handshake"
  [sip-http]="--identify sip,http --sip-ports ${ports#*,} --http-ports ${ports%%,*}")
if wants 7; then
  s7_sip_port=${ports#*,}
  s7_http_port=${ports%%,*}
  # The models the sampled devices announce, from the truth: a SIP port's User-Agent (else its
  # Server), an HTTP port's Server. Every one of them matches a shipped profile's identity pattern.
  s7_expected=$(python3 - "$work/live.truth.json" "$work/s1.endpoints" "$s7_sip_port" "$s7_http_port" <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))
wanted = {tuple(line.split()) for line in open(sys.argv[2])}
sip, http = sys.argv[3], sys.argv[4]
count = 0
for e in truth["endpoints"]:
    port = str(e["port"])
    if (e["ip"], port) not in wanted or "identity" not in e:
        continue
    announced = e["identity"]
    if port == sip and (announced.get("user_agent") or announced.get("server")):
        count += 1
    elif port == http and announced.get("server"):
        count += 1
print(count)
PY
)
  for run in $(seq 1 "$s7_runs"); do
    for v in "${s7_variants[@]}"; do
      case $v in
        none) args=(--identify none) ;;
        full) args=(--identify none --full-handshake) ;;
        sip-http) args=(--identify "sip,http" --sip-ports "$s7_sip_port" --http-ports "$s7_http_port") ;;
      esac
      note "scenario 7: fleetcert ${s7_label[$v]} on $s1_n endpoints (run $run of $s7_runs)"
      fc_scan "s7-$v-$run" --targets-file "$work/s1.devices" --ports "$ports" --timeout "$s1_timeout" \
        "${args[@]}" --jsonl "$work/s7-$v.jsonl"
      key="$v,$run"
      s7_wall[$key]=$m_wall; s7_cpu[$key]=$m_cpu; s7_rss[$key]=$m_rss_mb; s7_sim[$key]=$m_sim_cpu
      s7_certs[$key]=$(count '"status":"ok"' "$work/s7-$v.jsonl")
      read -r identities models < <(python3 - "$work/s7-$v.jsonl" <<'PY'
import json, sys
identities = models = 0
try:
    for line in open(sys.argv[1]):
        identity = json.loads(line).get("identity")
        if identity is not None:
            identities += 1
            if identity.get("model"):
                models += 1
except FileNotFoundError:
    pass
print(identities, models)
PY
)
      s7_identities[$key]=$identities; s7_models[$key]=$models
    done
  done
fi
if wants 1 || wants 2 || wants 7; then stop_sim; fi

# ---------------------------------------------------------------------------------------------
# Scenario 3: dead /16
s3_n=0
if wants 3; then
  s3_n=$(( (1 << (32 - ${dead16#*/})) * nports ))
  if check_dead '127\.200\.' "${dead16%/*}"; then
    for c in "${conc_list[@]}"; do
      note "scenario 3: $dead16 x $nports ports, concurrency $c"
      fc_scan "s3-c$c" "$dead16" --allow-large --ports "$ports" --identify none --concurrency "$c" --timeout 5 --jsonl "$work/s3.jsonl"
      s3_wall[$c]=$m_wall; s3_rss[$c]=$m_rss_mb; s3_cpu[$c]=$m_cpu
      s3_records[$c]=$(wc -l <"$work/s3.jsonl" 2>/dev/null || echo 0)
      s3_refused[$c]=$(count '"class":"refused"' "$work/s3.jsonl")
      rm -f "$work/s3.jsonl"
    done
  fi
fi

# ---------------------------------------------------------------------------------------------
# Scenario 4: silent devices
if wants 4; then
  start_sim tarpit "$tarpit_fleet"
  endpoints_of "$work/tarpit.truth.json" >"$work/tarpit.endpoints"
  cut -d' ' -f1 "$work/tarpit.endpoints" | uniq | if [ "$s4_devices" = all ]; then cat; else head -n "$s4_devices"; fi >"$work/s4.devices"
  s4_n=$(( $(wc -l <"$work/s4.devices") * nports ))
  for c in "${conc_list[@]}"; do
    note "scenario 4: $s4_n tarpit endpoints, concurrency $c, --timeout $tarpit_timeout"
    fc_scan "s4-c$c" --targets-file "$work/s4.devices" --ports "$ports" --identify none --concurrency "$c" \
      --timeout "$tarpit_timeout" --jsonl "$work/s4.jsonl"
    s4_wall[$c]=$m_wall; s4_rss[$c]=$m_rss_mb; s4_cpu[$c]=$m_cpu; s4_sim[$c]=$m_sim_cpu
    s4_records[$c]=$(wc -l <"$work/s4.jsonl" 2>/dev/null || echo 0)
    s4_timeouts[$c]=$(count '"class":"timeout"' "$work/s4.jsonl")
    rm -f "$work/s4.jsonl"
  done
  stop_sim
fi

# ---------------------------------------------------------------------------------------------
# Scenario 5: a /12 of dead space, JSONL to a file
s5_n=0
if wants 5; then
  s5_n=$(( (1 << (32 - ${dead12#*/})) * nports ))
  if check_dead '127\.(22[4-9]|23[0-9])\.' "${dead12%/*}"; then
    for c in "${conc_list[@]}"; do
      note "scenario 5: $dead12 x $nports ports ($s5_n endpoints), concurrency $c"
      fc_scan "s5-c$c" "$dead12" --allow-large --ports "$ports" --identify none --concurrency "$c" --timeout 5 --jsonl "$work/s5.jsonl"
      s5_wall[$c]=$m_wall; s5_rss[$c]=$m_rss_mb; s5_cpu[$c]=$m_cpu
      s5_records[$c]=$(wc -l <"$work/s5.jsonl" 2>/dev/null || echo 0)
      s5_bytes[$c]=$(stat -c %s "$work/s5.jsonl" 2>/dev/null || echo 0)
      rm -f "$work/s5.jsonl"
    done
  fi
fi

# ---------------------------------------------------------------------------------------------
# Scenario 6: populations (issue 13). The live fleet as it is (mixed: TLS 1.3 where both sides
# can, 20 TLS 1.0-only devices), then rewritten with every device limited to TLS 1.0-1.2, then to
# TLS 1.3 only. Per population, in the same run: fleetcert at each concurrency, the bare
# certificate-only client, nmap and tls-scan (TLS_SCAN_BIN).
declare -A s6_n s6_certs s6_wall s6_cpu s6_rss s6_bare_us
s6_pops=(mixed tls12 tls13)
if wants 6; then
  python3 - "$live_fleet" "$work" <<'PY'
import json, sys
fleet = json.load(open(sys.argv[1]))
for name, versions in (("tls12", ["1.0", "1.1", "1.2"]), ("tls13", ["1.3"])):
    copy = json.loads(json.dumps(fleet))
    for group in copy["groups"]:
        for spec in group["ports"].values():
            if "same_as" in spec:
                continue
            if name == "tls13" or "tls" not in spec:
                spec["tls"] = versions
    json.dump(copy, open(f"{sys.argv[2]}/live-{name}.json", "w"))
PY
  for pop in "${s6_pops[@]}"; do
    fleet_file=$live_fleet
    [ "$pop" = mixed ] || fleet_file=$work/live-$pop.json
    start_sim "s6-$pop" "$fleet_file"
    endpoints_of "$work/s6-$pop.truth.json" >"$work/s6-$pop.all-endpoints"
    cut -d' ' -f1 "$work/s6-$pop.all-endpoints" | uniq >"$work/s6-$pop.all-devices"
    pick "$s1_devices" "$work/s6-$pop.all-devices" >"$work/s6-$pop.devices"
    endpoints_for "$work/s6-$pop.devices" "$work/s6-$pop.all-endpoints" >"$work/s6-$pop.endpoints"
    n=$(wc -l <"$work/s6-$pop.endpoints")
    for c in "${conc_list[@]}"; do
      note "scenario 6 ($pop): fleetcert on $n endpoints, concurrency $c"
      fc_scan "s6-$pop-fleetcert-c$c" --targets-file "$work/s6-$pop.devices" --ports "$ports" --identify none --concurrency "$c" \
        --timeout "$s1_timeout" --jsonl "$work/s6-$pop-c$c.jsonl"
      key="$pop,fleetcert,$c"
      s6_n[$key]=$n; s6_wall[$key]=$m_wall; s6_cpu[$key]=$m_cpu; s6_rss[$key]=$m_rss_mb
      s6_certs[$key]=$(count '"status":"ok"' "$work/s6-$pop-c$c.jsonl")
      rm -f "$work/s6-$pop-c$c.jsonl"
    done
    note "scenario 6 ($pop): bare certificate-only client"
    measure "s6-$pop-bare" "$bare" --endpoints "$work/s6-$pop.endpoints" --mode cert-only
    field() { awk -v k="$1" '/^mode=cert-only/ {for(i=1;i<=NF;i++) if (index($i, k "=") == 1) {sub(/.*=/,"",$i); print $i}}' "$work/s6-$pop-bare.out"; }
    key="$pop,bare,1"
    s6_n[$key]=$n; s6_wall[$key]=$(field wall_s); s6_cpu[$key]=$m_cpu; s6_rss[$key]=$m_rss_mb
    s6_certs[$key]=$(field certificates); s6_bare_us[$pop]=$(field cpu_us_per_handshake)
    : "${s6_bare_us[$pop]:=0}"
    if [[ ,$peers, == *,nmap,* ]] && command -v nmap >/dev/null; then
      note "scenario 6 ($pop): nmap"
      measure "s6-$pop-nmap" nmap -n -Pn -T5 -p "$ports" --script ssl-cert -iL "$work/s6-$pop.devices" -oN "$work/s6-$pop-nmap.txt"
      key="$pop,nmap,1"
      s6_n[$key]=$n; s6_wall[$key]=$m_wall; s6_cpu[$key]=$m_cpu; s6_rss[$key]=$m_rss_mb
      s6_certs[$key]=$(count 'ssl-cert: Subject:' "$work/s6-$pop-nmap.txt")
    fi
    if [[ ,$peers, == *,tls-scan,* ]]; then
      note "scenario 6 ($pop): tls-scan"
      tr ' ' ':' <"$work/s6-$pop.endpoints" >"$work/s6-$pop.tls-scan-targets"
      measure "s6-$pop-tls-scan" "$tls_scan" --infile="$work/s6-$pop.tls-scan-targets" -b 1024 -t 5 \
        --ciphers="ALL:@SECLEVEL=0" --cacert="$tls_scan_cacert" -o "$work/s6-$pop-tls-scan.json"
      key="$pop,tls-scan,1024"
      s6_n[$key]=$n; s6_wall[$key]=$m_wall; s6_cpu[$key]=$m_cpu; s6_rss[$key]=$m_rss_mb
      s6_certs[$key]=$(count '"certificateChain"' "$work/s6-$pop-tls-scan.json")
    fi
    stop_sim
  done
fi

# ---------------------------------------------------------------------------------------------
# The table
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$(( $(date +%s) - t_start ))
mode="full"; [ "$quick" -eq 1 ] && mode="quick (smoke check: reduced sizes)"
out "## fleetcert benchmark"
out ""
out "- run: $started, $mode, $elapsed s in all; fleetcert \`${fc_version}\` (git $git_rev), extra args: \`${FLEETCERT_EXTRA_ARGS:-none}\`"
out "- machine: $cpu_model, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(uname -sr), $(openssl version | cut -d' ' -f1-2); load average at start $load_start, at end $load_end"
out "- everything on loopback; fleet-sim with $sim_threads threads in a separate process; figures of the scanner process only (\`/usr/bin/time -v\`: wall, user+system CPU, max RSS); ports $ports"
out ""

if wants 1 || wants 2; then
  out "### 1-2. Live fleet: $s1_dev devices x $nports ports = $s1_n endpoints ($(basename "$live_fleet"): RSA-2048, ECDSA P-256, P-384, 20 TLS 1.0-only RSA-1024 in the full fleet)"
  out ""
  out "| scanner | concurrency | endpoints | certificates | wall s | endpoints/s | CPU s | CPU µs/endpoint | peak RSS MB | simulator CPU s | fleetcert faster by | fleetcert CPU per endpoint ÷ this |"
  out "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  if wants 1; then
    ref_eps=$(div "$s1_n" "${s1_wall[$ref_conc]}" "%.6f")
    ref_cpu_us=$(div "${s1_cpu[$ref_conc]}e6" "$s1_n" "%.3f")
    for c in "${s1_concs[@]}"; do
      out "| fleetcert | $c | $s1_n | ${s1_certs[$c]} | $(fmt "${s1_wall[$c]}" %.2f) | $(div "$s1_n" "${s1_wall[$c]}" %.0f) | $(fmt "${s1_cpu[$c]}" %.2f) | $(div "${s1_cpu[$c]}e6" "$s1_n" %.0f) | ${s1_rss[$c]} | ${s1_sim[$c]} | | |"
    done
  fi
  if wants 2; then
    for p in ${peers//,/ }; do
      [ -n "${p_wall[$p]:-}" ] || { out "| $p | | | | not installed | | | | | | | |"; continue; }
      label=$p
      case $p in
        nmap) label="nmap -T5 --script ssl-cert" ;;
        sslscan) label="sslscan --show-certificate (tests off)" ;;
        openssl) label="openssl s_client loop" ;;
        tls-scan) label="tls-scan -b 1024 (ALL:@SECLEVEL=0)" ;;
      esac
      n=${p_n[$p]}; wall=${p_wall[$p]}
      wall_txt=$(fmt "$wall" %.2f)
      n_txt=$n
      if [ "$n" -lt "$s1_n" ]; then
        n_txt="$n of $s1_n (sample: ${p_dev[$p]} devices)"
        wall_txt="$(fmt "$wall" %.2f) (~$(awk -v w="$wall" -v a="$s1_n" -v b="$n" 'BEGIN {x=w*a/b; printf (x < 10 ? "%.1f" : "%.0f"), x}') for $s1_n)"
      fi
      faster="" cpu_ratio=""
      if wants 1; then
        faster="$(awk -v r="$ref_eps" -v n="$n" -v w="$wall" 'BEGIN {if (n == 0 || w == 0) print "n/a"; else printf "%.1fx", r/(n/w)}')"
        cpu_ratio="$(awk -v f="$ref_cpu_us" -v c="$(div "${p_cpu[$p]}e6" "$n" "%.3f")" 'BEGIN {if (c+0 == 0) print "n/a"; else printf "%.2f", f/c}')"
      fi
      out "| $label | 1 | $n_txt | ${p_certs[$p]} | $wall_txt | $(div "$n" "$wall" %.1f) | $(fmt "${p_cpu[$p]}" %.2f) | $(div "${p_cpu[$p]}e6" "$n" %.0f) | ${p_rss[$p]} | ${p_sim[$p]} | $faster | $cpu_ratio |"
    done
  fi
  out ""
  if wants 2; then
    out "Peers: $(nmap --version 2>/dev/null | head -1 | cut -d' ' -f1-3), sslscan $(sslscan --version 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | awk 'NF {print $1; exit}'), $(openssl version | cut -d' ' -f1-2), each one endpoint at a time as it is normally used (nmap parallelises on its own; tls-scan runs 1024 connections at once, \`-b 1024\`, with \`ALL:@SECLEVEL=0\` so the TLS 1.0 devices answer); a peer's CPU counts its children too (the openssl loop: bash, timeout and every openssl). Certificates counted from their output: nmap \"ssl-cert: Subject:\" lines, sslscan and openssl PEM blocks, tls-scan \"certificateChain\" keys."
    out ""
  fi
  if wants 1; then
    out "Ratios use fleetcert at concurrency $ref_conc; \"faster by\" compares endpoints per second (for a sampled peer: its rate on the sample). The truth file lists $s1_truth_certs endpoints with a certificate in the full fleet. fleetcert --timeout $s1_timeout; its start-up costs $(fmt "$startup_cpu" %.2f) CPU s (one refused endpoint), included above. The simulator shares the machine: at concurrency $ref_conc scanner and simulator used $(awk -v a="${s1_cpu[$ref_conc]}" -v b="${s1_sim[$ref_conc]}" 'BEGIN {printf "%.2f", a+b}') CPU s, so no scanner could finish before $(awk -v a="${s1_cpu[$ref_conc]}" -v b="${s1_sim[$ref_conc]}" -v n="$(nproc)" 'BEGIN {printf "%.2f", (a+b)/n}') s on $(nproc) cores (the bare client's run used $bare_sim s of simulator CPU for $((2 * s1_n)) handshakes)."
    out ""
    out "| bare OpenSSL client (tests/bench/bare_handshake.cpp, blocking, one at a time) | handshakes | certificates | wall s | CPU µs/handshake | fleetcert CPU/endpoint (c=$ref_conc) ÷ this | without start-up |"
    out "|---|---:|---:|---:|---:|---:|---:|"
    marginal_us=$(awk -v c="${s1_cpu[$ref_conc]}" -v s="$startup_cpu" -v n="$s1_n" 'BEGIN {printf "%.3f", (c-s)*1e6/n}')
    out "| full handshake | $s1_n | $bare_full_certs | $(fmt "$bare_full_wall" %.2f) | $(fmt "$bare_full_us" %.0f) | $(div "$ref_cpu_us" "$bare_full_us") | $(div "$marginal_us" "$bare_full_us") |"
    out "| certificate only (verify callback returns 0) | $s1_n | $bare_cert_certs | $(fmt "$bare_cert_wall" %.2f) | $(fmt "$bare_cert_us" %.0f) | $(div "$ref_cpu_us" "$bare_cert_us") | $(div "$marginal_us" "$bare_cert_us") |"
    out ""
    goal "$(verdict "$(awk -v a="$ref_cpu_us" -v b="$bare_full_us" 'BEGIN {print (b > 0 && a <= 1.5*b)}')")" \
      "scenario 1: fleetcert CPU per endpoint $(fmt "$ref_cpu_us" %.0f) µs <= 1.5 x bare full handshake $(fmt "$bare_full_us" %.0f) µs (ratio $(div "$ref_cpu_us" "$bare_full_us"))"
    all_certs=1
    for c in "${s1_concs[@]}"; do [ "${s1_certs[$c]}" = "$s1_n" ] || all_certs=0; done
    goal "$(verdict "$all_certs")" "scenario 1: every endpoint's certificate retrieved at every concurrency ($(for c in "${s1_concs[@]}"; do printf 'c=%s: %s/%s ' "$c" "${s1_certs[$c]}" "$s1_n"; done))"
    if wants 2 && [ -n "${p_wall[nmap]:-}" ]; then
      ratio=$(awk -v r="$ref_eps" -v n="${p_n[nmap]}" -v w="${p_wall[nmap]}" 'BEGIN {printf "%.1f", r/(n/w)}')
      goal "$(verdict "$(awk -v x="$ratio" 'BEGIN {print (x >= 10)}')")" "scenario 1: fleetcert at least 10x nmap's speed: ${ratio}x"
    fi
  fi
fi

if wants 3 || wants 5; then
  out "### 3 and 5. Dead space (every connection refused), JSONL to a file"
  out ""
  out "| scenario | block | endpoints | concurrency | records | wall s | endpoints/s | CPU s | CPU µs/endpoint | peak RSS MB |"
  out "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in "${conc_list[@]}"; do
    [ -n "${s3_wall[$c]:-}" ] && out "| 3 | $dead16 | $s3_n | $c | ${s3_records[$c]} (${s3_refused[$c]} refused) | $(fmt "${s3_wall[$c]}" %.2f) | $(div "$s3_n" "${s3_wall[$c]}" %.0f) | $(fmt "${s3_cpu[$c]}" %.2f) | $(div "${s3_cpu[$c]}e6" "$s3_n" %.1f) | ${s3_rss[$c]} |"
  done
  for c in "${conc_list[@]}"; do
    [ -n "${s5_wall[$c]:-}" ] && out "| 5 | $dead12 | $s5_n | $c | ${s5_records[$c]} ($(awk -v b="${s5_bytes[$c]}" 'BEGIN {printf "%.0f MB", b/1048576}')) | $(fmt "${s5_wall[$c]}" %.2f) | $(div "$s5_n" "${s5_wall[$c]}" %.0f) | $(fmt "${s5_cpu[$c]}" %.2f) | $(div "${s5_cpu[$c]}e6" "$s5_n" %.1f) | ${s5_rss[$c]} |"
  done
  out ""
  for c in "${conc_list[@]}"; do
    for s in 3 5; do
      declare -n rss_ref="s${s}_rss"
      [ -n "${rss_ref[$c]:-}" ] && goal "$(verdict "$(awk -v r="${rss_ref[$c]}" 'BEGIN {print (r < 64)}')")" "scenario $s at concurrency $c: peak RSS ${rss_ref[$c]} MB < 64 MB"
      unset -n rss_ref
    done
    if [ -n "${s3_rss[$c]:-}" ] && [ -n "${s5_rss[$c]:-}" ]; then
      goal "$(verdict "$(awk -v a="${s3_rss[$c]}" -v b="${s5_rss[$c]}" 'BEGIN {print (b <= a*1.1 + 2)}')")" \
        "scenarios 3 and 5 at concurrency $c: peak RSS independent of the number of targets: ${s3_rss[$c]} MB for $s3_n endpoints, ${s5_rss[$c]} MB for $s5_n (allowed: +10% +2 MB)"
    fi
  done
fi

if wants 4; then
  out "### 4. Silent devices: $s4_n tarpit endpoints, --timeout $tarpit_timeout"
  out ""
  out "| concurrency | records | timeouts | wall s | ideal s (endpoints / concurrency x timeout) | whole waves s (ceil(endpoints / concurrency) x timeout) | wall ÷ waves | CPU s | peak RSS MB | simulator CPU s |"
  out "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in "${conc_list[@]}"; do
    [ -n "${s4_wall[$c]:-}" ] || continue
    ideal=$(awk -v n="$s4_n" -v c="$c" -v t="$tarpit_timeout" 'BEGIN {printf "%.2f", n/c*t}')
    waves=$(awk -v n="$s4_n" -v c="$c" -v t="$tarpit_timeout" 'BEGIN {w=int((n+c-1)/c); printf "%.2f", w*t}')
    out "| $c | ${s4_records[$c]} | ${s4_timeouts[$c]} | $(fmt "${s4_wall[$c]}" %.2f) | $ideal | $waves | $(div "${s4_wall[$c]}" "$waves") | $(fmt "${s4_cpu[$c]}" %.2f) | ${s4_rss[$c]} | ${s4_sim[$c]} |"
    goal "$(verdict "$(awk -v w="${s4_wall[$c]}" -v b="$waves" 'BEGIN {print (w <= b*1.1 + 0.5)}')")" \
      "scenario 4 at concurrency $c: wall $(fmt "${s4_wall[$c]}" %.2f) s within 10% + 0.5 s of whole waves $waves s (ideal $ideal s)"
  done
  out ""
fi

if wants 6; then
  out "### 6. Populations: the live fleet as it is (mixed), limited to TLS 1.0-1.2, and TLS 1.3 only"
  out ""
  out "CPU of each process (user + system, \`/usr/bin/time -v\`) over the endpoints it scanned; the bare client is tests/bench/bare_handshake.cpp in \`--mode cert-only\` (its CPU per handshake from \`getrusage\`, without its start-up), run on the same endpoints between fleetcert and the peers."
  out ""
  out "| population | scanner | concurrency | endpoints | certificates | wall s | CPU s | CPU µs/endpoint | peak RSS MB | CPU ÷ bare cert-only | fleetcert (c=$ref_conc) ÷ this |"
  out "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  declare -A s6_label=([fleetcert]="fleetcert" [bare]="bare OpenSSL client, certificate only" [nmap]="nmap -T5 --script ssl-cert" [tls-scan]="tls-scan -b 1024 (ALL:@SECLEVEL=0)")
  for pop in "${s6_pops[@]}"; do
    ref_key="$pop,fleetcert,$ref_conc"
    ref_us=$(div "${s6_cpu[$ref_key]:-0}e6" "${s6_n[$ref_key]:-0}" "%.3f")
    for key in $(for c in "${conc_list[@]}"; do echo "$pop,fleetcert,$c"; done) "$pop,bare,1" "$pop,nmap,1" "$pop,tls-scan,1024"; do
      [ -n "${s6_n[$key]:-}" ] || continue
      IFS=, read -r _ who conc <<<"$key"
      if [ "$who" = bare ]; then us=${s6_bare_us[$pop]}; else us=$(div "${s6_cpu[$key]}e6" "${s6_n[$key]}" "%.3f"); fi
      ratio_bare=$(div "$us" "${s6_bare_us[$pop]}")
      ratio_this=""
      [ "$who" = fleetcert ] || ratio_this=$(div "$ref_us" "$us")
      out "| $pop | ${s6_label[$who]} | $conc | ${s6_n[$key]} | ${s6_certs[$key]} | $(fmt "${s6_wall[$key]}" %.2f) | $(fmt "${s6_cpu[$key]}" %.2f) | $(fmt "$us" %.0f) | ${s6_rss[$key]} | $ratio_bare | $ratio_this |"
    done
  done
  out ""
  us_of() { div "${s6_cpu[$1,fleetcert,$ref_conc]:-0}e6" "${s6_n[$1,fleetcert,$ref_conc]:-0}" "%.3f"; }
  us=$(us_of tls12)
  goal "$(verdict "$(awk -v a="$us" 'BEGIN {print (a+0 > 0 && a <= 150)}')")" "scenario 6, TLS 1.0-1.2 devices: fleetcert CPU per endpoint $(fmt "$us" %.0f) µs <= 150 µs"
  us=$(us_of tls13)
  goal "$(verdict "$(awk -v a="$us" -v b="${s6_bare_us[tls13]}" 'BEGIN {print (b > 0 && a <= 0.8*b)}')")" "scenario 6, TLS 1.3 devices: fleetcert CPU per endpoint $(fmt "$us" %.0f) µs <= 0.8 x bare certificate-only $(fmt "${s6_bare_us[tls13]}" %.0f) µs (ratio $(div "$us" "${s6_bare_us[tls13]}"))"
  us=$(us_of mixed)
  goal "$(verdict "$(awk -v a="$us" -v b="${s6_bare_us[mixed]}" 'BEGIN {print (b > 0 && a <= 0.5*b)}')")" "scenario 6, mixed fleet: fleetcert CPU per endpoint $(fmt "$us" %.0f) µs <= 0.5 x bare certificate-only $(fmt "${s6_bare_us[mixed]}" %.0f) µs (ratio $(div "$us" "${s6_bare_us[mixed]}"))"
  if [ -n "${s6_n[mixed,tls-scan,1024]:-}" ]; then
    ts=$(div "${s6_cpu[mixed,tls-scan,1024]}e6" "${s6_n[mixed,tls-scan,1024]}" "%.3f")
    goal "$(verdict "$(awk -v a="$us" -v b="$ts" 'BEGIN {print (b > 0 && a <= 0.5*b)}')")" "scenario 6, mixed fleet: fleetcert CPU per endpoint $(fmt "$us" %.0f) µs <= 0.5 x tls-scan's $(fmt "$ts" %.0f) µs (ratio $(div "$us" "$ts"))"
  fi
  for pop in "${s6_pops[@]}"; do
    for c in "${conc_list[@]}"; do
      key="$pop,fleetcert,$c"
      [ -n "${s6_n[$key]:-}" ] || continue
      goal "$(verdict "$([ "${s6_certs[$key]}" = "${s6_n[$key]}" ] && echo 1 || echo 0)")" "scenario 6, $pop at concurrency $c: every certificate retrieved (${s6_certs[$key]}/${s6_n[$key]})"
      limit=""
      [ "$c" = 1024 ] && limit=64
      [ "$c" = 4096 ] && limit=128
      [ -n "$limit" ] && goal "$(verdict "$(awk -v r="${s6_rss[$key]}" -v l="$limit" 'BEGIN {print (r <= l)}')")" "scenario 6, $pop at concurrency $c: peak RSS ${s6_rss[$key]} MB <= $limit MB"
    done
  done
fi

if wants 7; then
  out "### 7. Identity (issue 14): $s1_dev devices x $nports ports = $s1_n endpoints of $(basename "$live_fleet"), concurrency 256, --timeout $s1_timeout"
  out ""
  out "Rounds of the three variants in turn (none, full handshake, sip,http), $s7_runs round(s), on one simulator; the last round's JSONL stays in the scratch directory (\`--keep\`). \"identity records\" have an \`identity\` object (the exchange was made), \"models\" an \`identity.model\` read by a shipped profile's pattern; the truth says the sampled devices announce $s7_expected models (the Gigaset bases' web servers name nobody)."
  out ""
  out "| variant | run | endpoints | certificates | identity records | models | wall s | endpoints/s | CPU s | CPU µs/endpoint | peak RSS MB | simulator CPU s |"
  out "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  declare -A s7_best
  for v in "${s7_variants[@]}"; do
    for run in $(seq 1 "$s7_runs"); do
      key="$v,$run"
      [ -n "${s7_wall[$key]:-}" ] || continue
      us=$(div "${s7_cpu[$key]}e6" "$s1_n" "%.3f")
      s7_best[$v]=$(awk -v a="${s7_best[$v]:-}" -v b="$us" 'BEGIN {print (a == "" || b < a) ? b : a}')
      out "| \`${s7_label[$v]}\` | $run | $s1_n | ${s7_certs[$key]} | ${s7_identities[$key]} | ${s7_models[$key]} | $(fmt "${s7_wall[$key]}" %.2f) | $(div "$s1_n" "${s7_wall[$key]}" %.0f) | $(fmt "${s7_cpu[$key]}" %.2f) | $(fmt "$us" %.0f) | ${s7_rss[$key]} | ${s7_sim[$key]} |"
    done
  done
  out ""
  out "Lowest CPU per endpoint of each variant: none $(fmt "${s7_best[none]}" %.0f) µs, none --full-handshake $(fmt "${s7_best[full]}" %.0f) µs, sip,http $(fmt "${s7_best[sip-http]}" %.0f) µs: the complete handshake costs $(awk -v a="${s7_best[full]}" -v b="${s7_best[none]}" 'BEGIN {printf "%+.0f", a-b}') µs per endpoint over the shortcut, the exchange $(awk -v a="${s7_best[sip-http]}" -v b="${s7_best[full]}" 'BEGIN {printf "%+.0f", a-b}') µs over the complete handshake; sip,http ÷ none = $(div "${s7_best[sip-http]}" "${s7_best[none]}")."
  out ""
  for v in "${s7_variants[@]}"; do
    certs_ok=1 exchange_ok=1 certs_txt="" exchange_txt=""
    for run in $(seq 1 "$s7_runs"); do
      key="$v,$run"
      [ -n "${s7_wall[$key]:-}" ] || continue
      [ "${s7_certs[$key]}" = "$s1_n" ] || certs_ok=0
      certs_txt="$certs_txt, ${s7_certs[$key]}/$s1_n"
      if [ "$v" = sip-http ]; then
        { [ "${s7_models[$key]}" = "$s7_expected" ] && [ "${s7_identities[$key]}" = "$s1_n" ]; } || exchange_ok=0
        exchange_txt="$exchange_txt; ${s7_identities[$key]}/$s1_n records, ${s7_models[$key]}/$s7_expected models"
      else
        [ "${s7_identities[$key]}" = 0 ] || exchange_ok=0
        exchange_txt="$exchange_txt, ${s7_identities[$key]}"
      fi
    done
    goal "$(verdict "$certs_ok")" "scenario 7, \`${s7_label[$v]}\`: every certificate retrieved in every run (${certs_txt#, })"
    if [ "$v" = sip-http ]; then
      goal "$(verdict "$exchange_ok")" "scenario 7, sip,http: every endpoint exchanged and every announced model read in every run (${exchange_txt#; })"
    else
      goal "$(verdict "$exchange_ok")" "scenario 7, \`${s7_label[$v]}\`: no identity exchange (identity records per run: ${exchange_txt#, })"
    fi
  done
fi

# No scenario slower at the highest concurrency than at 1024 (5% allowed for noise).
if [ "${#conc_list[@]}" -gt 1 ]; then
  lo=$ref_conc; hi=${conc_list[-1]}
  for s in 1 3 4 5; do
    declare -n wall_ref="s${s}_wall"
    if [ "$hi" != "$lo" ] && [ -n "${wall_ref[$lo]:-}" ] && [ -n "${wall_ref[$hi]:-}" ]; then
      goal "$(verdict "$(awk -v a="${wall_ref[$lo]}" -v b="${wall_ref[$hi]}" 'BEGIN {print (b <= a*1.05 + 0.2)}')")" \
        "scenario $s: concurrency $hi ($(fmt "${wall_ref[$hi]}" %.2f) s) no slower than $lo ($(fmt "${wall_ref[$lo]}" %.2f) s; 5% + 0.2 s allowed for noise)"
    fi
    unset -n wall_ref
  done
fi

if [ -s "$goals" ]; then
  out "### Goals"
  out ""
  cat "$goals" >>"$results"
fi
cp "$results" "$out_dir/results.md"
cat "$results"
echo
note "written to $out_dir/results.md (raw /usr/bin/time figures in $out_dir/raw/)"
