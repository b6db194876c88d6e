#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/fuzz_<name>.cpp) into build-fuzz/ (clang, ASan+UBSan,
# instrumented libraries) and runs each for FUZZ_SECONDS seconds (default 60) on a copy of its seed
# corpus (tests/fuzz/corpus/<name>, which is never written); FUZZ_TARGETS="name ..." runs only
# those. Prints per target the executions and the corpus size; exits 1 when any target crashed
# (sanitizer report, broken promise, leak, timeout or out of memory), naming the input libFuzzer
# saved in build-fuzz/fuzz-artifacts/<name>/ and how to replay it.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_SECONDS:-60}
build_dir=build-fuzz
# Every target there is: tests/fuzz/fuzz_<name>.cpp, built by tests/fuzz/CMakeLists.txt, seeded
# from tests/fuzz/corpus/<name>/ (a target without seeds is an error, not a silent skip).
names=()
for source in tests/fuzz/fuzz_*.cpp; do
  name=$(basename "$source" .cpp)
  names+=("${name#fuzz_}")
done
if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a names <<<"$FUZZ_TARGETS"
fi
for name in "${names[@]}"; do
  [ -f "tests/fuzz/fuzz_$name.cpp" ] || { echo "fuzz: no target tests/fuzz/fuzz_$name.cpp" >&2; exit 1; }
  compgen -G "tests/fuzz/corpus/$name/*" >/dev/null || { echo "fuzz: no seeds in tests/fuzz/corpus/$name/" >&2; exit 1; }
done

# The build's packages, clang and the libFuzzer runtime, from Debian's packages when missing.
./install-deps.sh clang-14 libclang-rt-14-dev

cmake -S . -B "$build_dir" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFLEETCERT_FUZZ=ON -DFLEETCERT_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target "${names[@]/#/fuzz_}"

# The value of libFuzzer's final "stat::<name>: <value>" line, or "?".
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1 | grep . || echo "?"; }
# Files and bytes in a corpus directory: "893 inputs, 61234 bytes".
corpus_size() { find "$1" -type f -printf '%s\n' | awk '{ n++; b += $1 } END { printf "%d inputs, %d bytes", n, b }'; }

failed=()
for name in "${names[@]}"; do
  corpus=$build_dir/fuzz-corpus/$name
  artifacts=$build_dir/fuzz-artifacts/$name
  log=$build_dir/fuzz-logs/$name.log
  rm -rf "$corpus" "$artifacts"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  cp tests/fuzz/corpus/"$name"/* "$corpus"/
  seeds=$(corpus_size "$corpus")

  options=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
           -artifact_prefix="$artifacts/")
  [ "$name" = certificate ] && options+=(-max_len=65536)
  echo "fuzz: fuzz_$name for ${seconds}s, seeds: $seeds ..."
  started=$SECONDS
  status=0
  "$build_dir/fuzz/fuzz_$name" "${options[@]}" "$corpus" >"$log" 2>&1 || status=$?

  coverage=$(sed -n 's/^#[0-9]*.* cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  summary="$(final_stat number_of_executed_units "$log") executions"
  summary+=" ($(final_stat average_exec_per_sec "$log")/s) in $((SECONDS - started))s,"
  summary+=" corpus $(corpus_size "$corpus"), coverage ${coverage:-?} edges,"
  summary+=" peak RSS $(final_stat peak_rss_mb "$log") MB"
  if [ "$status" -eq 0 ]; then
    echo "fuzz: fuzz_$name: ok, $summary"
  else
    failed+=("fuzz_$name")
    echo "fuzz: fuzz_$name: CRASH (exit $status), $summary" >&2
    tail -n 60 "$log" >&2
    for input in "$artifacts"/*; do
      [ -e "$input" ] && echo "fuzz: replay with: $build_dir/fuzz/fuzz_$name $input" >&2
    done
    echo "fuzz: full log: $log" >&2
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds}s without a crash"
