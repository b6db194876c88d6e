#!/usr/bin/env bash
# Real TLS server stacks: does fleetcert get the certificate of servers configured like old or odd
# phones, and does nmap? Not part of the test suite.
#
#   tests/bench/real_stacks.sh
#
# Starts about 24 servers with the real stacks of this machine, gnutls-serv (GnuTLS 3.7) and
# openssl s_server (OpenSSL 3.0), each restricted to one odd configuration (TLS 1.0 3DES-only,
# RC4-only, NULL cipher, CAMELLIA-only, DHE-only, TLS 1.1-only, TLS 1.3-only with a group that forces
# a HelloRetryRequest, client certificate required, RSA-1024/SHA1 certificate, ...), each with its
# own self-signed certificate (RSA-2048 or ECDSA P-256) whose CN names the endpoint. Then, one
# endpoint at a time:
#   fleetcert scan IP --ports PORT --identify none --jsonl OUT --no-progress
#   nmap -n -Pn -p PORT --script ssl-cert IP
# A tool "got the certificate" when the CN it reports is the endpoint's. Prints a markdown table,
# the totals, and fleetcert's error for every endpoint it missed.
#
# Endpoint N is 127.77.0.N port 24500+N. openssl s_server binds that address only; gnutls-serv
# cannot bind an address and listens on every address of its port (its own port, so the scans still
# reach it through 127.77.0.N). Only 127.0.0.0/8 is ever connected to.
#
# Environment: FLEETCERT_BIN  the fleetcert binary (default build-release/fleetcert of this repository)
#              KEEP_TMP=1     keep the scratch directory (certificates, server logs, JSONL, nmap output)
#
# Needs gnutls-serv (gnutls-bin), openssl, nmap and python3. Runs in well under 2 minutes. Every
# server is stopped by its PID on exit (also on Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/../.."

fleetcert=${FLEETCERT_BIN:-build-release/fleetcert}
for tool in "$fleetcert" gnutls-serv openssl nmap python3 timeout; do
  command -v "$tool" >/dev/null || { echo "real_stacks.sh: $tool not found" >&2; exit 2; }
done

tmp=$(mktemp -d /tmp/fleetcert-real-stacks.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "scratch directory kept: $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The endpoints: stack | key (rsa, ec, rsa1024) | what the table says | server options.
# GnuTLS options are a --priority string (plus -r: require a client certificate);
# OpenSSL options are s_server words (no word contains a space).
endpoints=(
  "gnutls|rsa|TLS 1.0, RSA kx, 3DES-CBC-SHA only|NONE:+VERS-TLS1.0:+3DES-CBC:+RSA:+SHA1:+COMP-NULL:+SIGN-ALL:+CURVE-ALL"
  "gnutls|rsa|TLS 1.0, RSA kx, RC4-128-SHA only|NONE:+VERS-TLS1.0:+ARCFOUR-128:+RSA:+SHA1:+COMP-NULL:+SIGN-ALL"
  "gnutls|rsa|TLS 1.0, RSA kx, RC4-128-MD5 only|NONE:+VERS-TLS1.0:+ARCFOUR-128:+RSA:+MD5:+COMP-NULL:+SIGN-ALL"
  "gnutls|rsa|TLS 1.0, DHE-RSA 3DES-CBC-SHA only|NONE:+VERS-TLS1.0:+3DES-CBC:+DHE-RSA:+SHA1:+COMP-NULL:+SIGN-ALL:+GROUP-ALL"
  "gnutls|rsa|TLS 1.0, RSA kx, NULL-SHA only (no encryption)|NONE:+VERS-TLS1.0:+NULL:+RSA:+SHA1:+COMP-NULL:+SIGN-ALL"
  "gnutls|ec|TLS 1.1 only (NORMAL suites), ECDSA|NORMAL:-VERS-ALL:+VERS-TLS1.1"
  "gnutls|rsa|TLS 1.2, RSA kx, CAMELLIA-CBC only|NONE:+VERS-TLS1.2:+CAMELLIA-128-CBC:+CAMELLIA-256-CBC:+RSA:+SHA1:+SHA256:+COMP-NULL:+SIGN-ALL"
  "gnutls|rsa|TLS 1.2, DHE-RSA AES-GCM only|NONE:+VERS-TLS1.2:+AES-128-GCM:+AES-256-GCM:+AEAD:+DHE-RSA:+COMP-NULL:+SIGN-ALL:+GROUP-ALL"
  "gnutls|rsa|TLS 1.2, RSA kx, AES-CBC-SHA only|NONE:+VERS-TLS1.2:+AES-128-CBC:+AES-256-CBC:+RSA:+SHA1:+COMP-NULL:+SIGN-ALL"
  "gnutls|ec|TLS 1.2, ECDHE-ECDSA AES-128-CBC-SHA, secp384r1 only|NONE:+VERS-TLS1.2:+AES-128-CBC:+ECDHE-ECDSA:+SHA1:+COMP-NULL:+SIGN-ALL:+GROUP-SECP384R1"
  "gnutls|rsa|TLS 1.3 only|NORMAL:-VERS-ALL:+VERS-TLS1.3"
  "gnutls|ec|TLS 1.3 only, ffdhe2048 only (HelloRetryRequest)|NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-FFDHE2048"
  "gnutls|rsa|NORMAL, client certificate required (-r)|NORMAL -r"
  "openssl|rsa|TLS 1.2 only, default suites|-tls1_2"
  "openssl|ec|TLS 1.3 only, ECDSA|-tls1_3"
  "openssl|rsa|TLS 1.0 only, AES128-SHA, SECLEVEL 0|-tls1 -cipher AES128-SHA:@SECLEVEL=0"
  "openssl|rsa|TLS 1.1 only, DHE-RSA-AES256-SHA, SECLEVEL 0|-tls1_1 -cipher DHE-RSA-AES256-SHA:@SECLEVEL=0"
  "openssl|rsa|TLS 1.2, ECDHE-RSA-AES128-GCM, secp521r1 only|-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -groups secp521r1"
  "openssl|ec|TLS 1.2, ECDHE-ECDSA-AES128-SHA, brainpoolP256r1 only|-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0 -groups brainpoolP256r1"
  "openssl|rsa|TLS 1.3 only, X448 only (HelloRetryRequest)|-tls1_3 -groups X448"
  "openssl|rsa|TLS 1.2, CAMELLIA256-SHA only, SECLEVEL 0|-tls1_2 -cipher CAMELLIA256-SHA:@SECLEVEL=0"
  "openssl|rsa1024|TLS 1.2, RSA-1024 SHA1-signed cert, SECLEVEL 0|-tls1_2 -cipher ALL:@SECLEVEL=0"
  "openssl|rsa|TLS 1.2 only (-no_tls1_3), ECDHE-RSA-CHACHA20-POLY1305 only|-no_tls1_3 -cipher ECDHE-RSA-CHACHA20-POLY1305"
  "openssl|ec|TLS 1.3, client certificate required (-Verify 1)|-tls1_3 -Verify 1"
)

# Wait (at most 5 s) until 127.x address $1 port $2 accepts, while server $3 lives.
wait_listening() {
  local i
  for i in $(seq 1 50); do
    timeout 1 bash -c "</dev/tcp/$1/$2" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# endpoint_facts I: stack, key, desc, opts, n, ip, port, cn and dir of endpoint I (0-based).
endpoint_facts() {
  IFS='|' read -r stack key desc opts <<<"${endpoints[$1]}"
  n=$(($1 + 1))
  ip=127.77.0.$n
  port=$((24500 + n))
  cn=$(printf 'ep%02d-%s.real-stacks.test' "$n" "$stack")
  dir=$tmp/ep$n
}

# 1. certificates and servers
m=0
started=()
for i in "${!endpoints[@]}"; do
  endpoint_facts "$i"
  mkdir -p "$dir"
  case $key in
    rsa) newkey=(-newkey rsa:2048 -sha256) ;;
    ec) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256) ;;
    rsa1024) newkey=(-newkey rsa:1024 -sha1) ;;
  esac
  openssl req -x509 "${newkey[@]}" -nodes -days 30 -subj "/CN=$cn" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>"$dir/req.log"
  read -r -a words <<<"$opts"
  if [ "$stack" = gnutls ]; then
    extra=(-a)
    [ "${words[1]:-}" = -r ] && extra=(-r)
    gnutls-serv --port "$port" --x509certfile "$dir/cert.pem" --x509keyfile "$dir/key.pem" \
      --priority "${words[0]}" "${extra[@]}" -q </dev/null >"$dir/server.log" 2>&1 &
  else
    openssl s_server -accept "$ip:$port" -cert "$dir/cert.pem" -key "$dir/key.pem" \
      "${words[@]}" -www -quiet </dev/null >"$dir/server.log" 2>&1 &
  fi
  pid=$!
  pids+=("$pid")
  if wait_listening "$ip" "$port" "$pid"; then
    started[$i]=1
    m=$((m + 1))
  else
    started[$i]=0
    echo "real_stacks.sh: endpoint $n ($stack: $desc) did not start: $(tail -n 2 "$dir/server.log" | tr '\n' ' ')" >&2
  fi
done

# Reads a fleetcert JSONL record and the expected CN; prints got<TAB>hello / version / suite<TAB>error.
read_record='
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
if not lines:
    print("no\t-\tno record"); sys.exit()
r = json.loads(lines[0]); tls = r.get("tls", {}); cn = (r.get("leaf") or {}).get("cn")
if cn == sys.argv[2]: got = "yes"
elif cn: got = "no (CN %s)" % cn
else: got = "no (%s)" % r.get("status")
hv = " / ".join(tls.get(k) or "-" for k in ("hello", "version", "cipher_suite"))
e = r.get("error") or {}
err = "%s at %s: %s" % (e.get("class"), e.get("stage"), e.get("detail")) if e else ""
print("%s\t%s\t%s" % (got, hv, err))
'

# 2. scans, one endpoint at a time
rows=()
failures=()
fc_ok=0
nmap_ok=0
for i in "${!endpoints[@]}"; do
  [ "${started[$i]}" = 1 ] || continue
  endpoint_facts "$i"
  timeout 30 "$fleetcert" scan "$ip" --ports "$port" --identify none --timeout 5 \
    --jsonl "$dir/fleetcert.jsonl" --no-progress >"$dir/fleetcert.out" 2>&1 || true
  touch "$dir/fleetcert.jsonl"
  IFS=$'\t' read -r fc_got fc_tls fc_err < <(python3 -c "$read_record" "$dir/fleetcert.jsonl" "$cn")
  timeout 30 nmap -n -Pn -p "$port" --script ssl-cert "$ip" >"$dir/nmap.out" 2>&1 || true
  nmap_cn=$(sed -n 's/^| ssl-cert: Subject: commonName=\([^/]*\).*/\1/p' "$dir/nmap.out" | head -n 1)
  if [ "$nmap_cn" = "$cn" ]; then nmap_got=yes; elif [ -n "$nmap_cn" ]; then nmap_got="no (CN $nmap_cn)"; else nmap_got=no; fi
  [ "$fc_got" = yes ] && fc_ok=$((fc_ok + 1))
  [ "$nmap_got" = yes ] && nmap_ok=$((nmap_ok + 1))
  case $key in ec) keyname="ECDSA P-256" ;; rsa1024) keyname="RSA-1024" ;; *) keyname="RSA-2048" ;; esac
  rows+=("| $ip:$port | $stack: $desc ($keyname) | $fc_got | $fc_tls | $nmap_got |")
  [ "$fc_got" = yes ] || failures+=("- $ip:$port ($stack: $desc): fleetcert $fc_got, error: ${fc_err:-none}; nmap $nmap_got")
done

# 3. report
echo "| endpoint | server stack and config | fleetcert got cert? (CN matches) | fleetcert tls.hello / version / suite | nmap got cert? |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "fleetcert $fc_ok of $m, nmap $nmap_ok of $m"
if [ "${#failures[@]}" -gt 0 ]; then
  echo
  echo "Endpoints fleetcert missed:"
  printf '%s\n' "${failures[@]}"
fi
