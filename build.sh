#!/usr/bin/env bash
# Configures and builds fleetcert into build/ (or $BUILD_DIR, as $BUILD_TYPE); extra arguments go to
# cmake. FLEETCERT_WERROR=ON makes warnings errors (CI). CMake's configure output goes to
# <build dir>/configure.log and is printed when configuring fails or warns.
set -euo pipefail
cd "$(dirname "$0")"
./install-deps.sh
build_dir=${BUILD_DIR:-build}
mkdir -p "$build_dir"
configure_log=$build_dir/configure.log
if ! cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
     -DFLEETCERT_WERROR="${FLEETCERT_WERROR:-OFF}" "$@" >"$configure_log" 2>&1; then
  cat "$configure_log" >&2
  echo "build.sh: configuring $build_dir failed (CMake's output above, also in $configure_log)" >&2
  exit 1
fi
if grep -q '^CMake [A-Za-z ]*Warning' "$configure_log"; then
  cat "$configure_log" >&2
fi
cmake --build "$build_dir" -j "$(nproc)"
