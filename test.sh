#!/usr/bin/env bash
# Builds fleetcert and runs every test: unit tests and the integration tests against the
# simulated fleet (loopback only). FLEETCERT_SANITIZE=ON builds with ASan+UBSan into build-asan/.
set -euo pipefail
cd "$(dirname "$0")"
if [ "${FLEETCERT_SANITIZE:-OFF}" = "ON" ]; then
  export BUILD_DIR=${BUILD_DIR:-build-asan} BUILD_TYPE=Debug
  ./build.sh -DFLEETCERT_SANITIZE=ON
else
  ./build.sh
fi
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" --timeout 600
