#!/usr/bin/env bash
# Installs the Debian 12 packages fleetcert needs to build and test, when any is missing; packages
# named as arguments too (tests/fuzz/run.sh adds clang's). libjs-chart.js: Chart.js, embedded in the
# HTML report at build time; chromium: the headless browser of the HTML report's test (ctest -L browser)
# and of the demo's screenshot.
set -euo pipefail

# python3-jsonschema and python3-rfc3339: the JSON Schema tests (tests/schemas/); Debian 12 packages no
# rfc3339-validator, so python3-rfc3339 checks "format": "date-time".
# python3-yaml: the deployment examples' test (tests/deploy/) parses the Kubernetes manifests.
# gnutls-bin is for the tests only: its gnutls-serv plays the TLS 1.0 devices with only 3DES or only RC4
# that no OpenSSL 3.0 ClientHello reaches (tests/integration/test_integration_raw_hello.cpp).
packages=(g++ cmake make libasio-dev libssl-dev libpcre2-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev doctest-dev openssl ieee-data python3
          python3-jsonschema python3-rfc3339 python3-yaml gnutls-bin libjs-chart.js chromium "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (or install sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
