// bare-handshake: the CPU cost of one client-side TLS handshake with OpenSSL, measured with the
// simplest possible client, as the yardstick for fleetcert's CPU per endpoint (tests/bench/run.sh).
//
//   for each mode (full, cert-only):
//     warm-up handshakes (not counted) ──> getrusage ──> N x { socket, connect, SSL_connect, close } ──> getrusage
//
// One blocking socket at a time, no event loop, no threads, nothing decoded or written: what is left
// is OpenSSL's handshake plus the kernel's connect and close. `full` completes the handshake;
// `cert-only` sets SSL_VERIFY_PEER with a certificate verify callback that takes the leaf and
// returns 0, so OpenSSL aborts right after the server's Certificate message (before verifying
// CertificateVerify and Finished). The client offers what fleetcert offers: TLS 1.0 to 1.3 at
// security level 0, so the legacy devices answer too. Only 127.0.0.0/8 is ever connected to.
//
//   bare-handshake --endpoints FILE [--count N] [--mode full|cert-only|both] [--warmup N]
//
// FILE holds one `IP PORT` or `IP:PORT` per line (`#` comments). The handshakes cycle through the
// endpoints in order (`--count`, default: each endpoint once). One line per mode on stdout:
//   mode=full handshakes=4000 certificates=4000 failed=0 cpu_s=2.113 wall_s=9.870 cpu_us_per_handshake=528.3

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int k_io_timeout_s = 5;
constexpr const char* k_ciphers = "ALL:@SECLEVEL=0";

// One TLS endpoint of the simulated fleet.
struct Endpoint
{
  sockaddr_in address{};
  std::string text;
};

// What one mode's loop measured.
struct Tally
{
  long handshakes = 0;
  long certificates = 0;
  long failed = 0;
  double cpu_s = 0;
  double wall_s = 0;
};

enum class Mode { full, cert_only };

// Parses `IP PORT` or `IP:PORT`; only IPv4 loopback (127.0.0.0/8) is accepted.
std::optional<Endpoint> parse_endpoint(std::string line)
{
  for (char& c : line) {
    if (c == ':' || c == '\t') {
      c = ' ';
    }
  }
  const auto space = line.find(' ');
  if (space == std::string::npos) {
    return std::nullopt;
  }
  const std::string ip = line.substr(0, space);
  const std::string port_text = line.substr(line.find_first_not_of(' ', space));
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (end == port_text.c_str() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  Endpoint endpoint;
  endpoint.address.sin_family = AF_INET;
  endpoint.address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &endpoint.address.sin_addr) != 1) {
    return std::nullopt;
  }
  if ((ntohl(endpoint.address.sin_addr.s_addr) >> 24) != 127) {
    return std::nullopt;
  }
  endpoint.text = ip + ":" + std::to_string(port);
  return endpoint;
}

double cpu_seconds()
{
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Certificate verify callback of the cert-only mode: counts the leaf, then fails verification, which
// (with SSL_VERIFY_PEER) aborts the handshake right after the Certificate message.
int take_certificate_and_stop(X509_STORE_CTX* store, void* arg)
{
  if (X509_STORE_CTX_get0_cert(store) != nullptr) {
    ++*static_cast<long*>(arg);
  }
  return 0;
}

// The client context: what fleetcert offers (TLS 1.0-1.3, security level 0), nothing verified.
SSL_CTX* make_context(Mode mode, long* certificates_seen)
{
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    return nullptr;
  }
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_cipher_list(ctx, k_ciphers);
  SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (mode == Mode::cert_only) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_cert_verify_callback(ctx, take_certificate_and_stop, certificates_seen);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

// One handshake; true when the server's certificate was obtained.
bool handshake_once(SSL_CTX* ctx, Mode mode, const Endpoint& endpoint, const long& certificates_seen)
{
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  const timeval timeout{k_io_timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  bool got = false;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&endpoint.address), sizeof endpoint.address) == 0) {
    SSL* ssl = SSL_new(ctx);
    if (ssl != nullptr && SSL_set_fd(ssl, fd) == 1) {
      const long before = certificates_seen;
      const int rc = SSL_connect(ssl);
      if (mode == Mode::full) {
        got = rc == 1 && SSL_get0_peer_certificate(ssl) != nullptr;
      } else {
        got = certificates_seen > before;
      }
    }
    SSL_free(ssl);
    ERR_clear_error();
  }
  close(fd);
  return got;
}

Tally run_mode(Mode mode, const std::vector<Endpoint>& endpoints, long count, long warmup)
{
  long certificates_seen = 0;
  Tally tally;
  SSL_CTX* ctx = make_context(mode, &certificates_seen);
  if (ctx == nullptr) {
    tally.failed = count;
    return tally;
  }
  for (long i = 0; i < warmup; ++i) {
    handshake_once(ctx, mode, endpoints[static_cast<std::size_t>(i) % endpoints.size()], certificates_seen);
  }
  const auto wall_start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_seconds();
  for (long i = 0; i < count; ++i) {
    const Endpoint& endpoint = endpoints[static_cast<std::size_t>(i) % endpoints.size()];
    if (handshake_once(ctx, mode, endpoint, certificates_seen)) {
      ++tally.certificates;
    } else {
      ++tally.failed;
    }
    ++tally.handshakes;
  }
  tally.cpu_s = cpu_seconds() - cpu_start;
  tally.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  SSL_CTX_free(ctx);
  return tally;
}

void print_tally(const char* mode, const Tally& tally)
{
  const double per = tally.handshakes > 0 ? tally.cpu_s * 1e6 / static_cast<double>(tally.handshakes) : 0.0;
  std::printf("mode=%s handshakes=%ld certificates=%ld failed=%ld cpu_s=%.3f wall_s=%.3f cpu_us_per_handshake=%.1f\n",
              mode, tally.handshakes, tally.certificates, tally.failed, tally.cpu_s, tally.wall_s, per);
  std::fflush(stdout);
}

int usage(const char* message)
{
  std::fprintf(stderr, "bare-handshake: %s\nusage: bare-handshake --endpoints FILE [--count N] [--mode full|cert-only|both] [--warmup N]\n",
               message);
  return 2;
}

} // namespace

int main(int argc, char** argv)
{
  std::string path;
  std::string mode = "both";
  long count = -1;
  long warmup = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      return usage(("missing value after " + std::string(arg)).c_str());
    }
    const char* value = argv[++i];
    if (arg == "--endpoints") {
      path = value;
    } else if (arg == "--mode") {
      mode = value;
    } else if (arg == "--count" || arg == "--warmup") {
      char* end = nullptr;
      const long n = std::strtol(value, &end, 10);
      if (*end != '\0' || n < 0 || n > 10'000'000) {
        return usage(("invalid number for " + std::string(arg) + ": '" + value + "'").c_str());
      }
      (arg == "--count" ? count : warmup) = n;
    } else {
      return usage(("unknown option " + std::string(arg)).c_str());
    }
  }
  if (path.empty()) {
    return usage("--endpoints is required");
  }
  if (mode != "full" && mode != "cert-only" && mode != "both") {
    return usage(("invalid --mode '" + mode + "'").c_str());
  }

  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "bare-handshake: cannot read '%s'\n", path.c_str());
    return 2;
  }
  std::vector<Endpoint> endpoints;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (const auto hash = line.find('#'); hash != std::string::npos) {
      line.erase(hash);
    }
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) {
      line.pop_back();
    }
    if (line.empty()) {
      continue;
    }
    auto endpoint = parse_endpoint(line);
    if (!endpoint) {
      std::fprintf(stderr, "bare-handshake: %s:%d: not a loopback IPv4 endpoint: '%s'\n", path.c_str(), number, line.c_str());
      return 2;
    }
    endpoints.push_back(*endpoint);
  }
  if (endpoints.empty()) {
    std::fprintf(stderr, "bare-handshake: %s: no endpoints\n", path.c_str());
    return 2;
  }
  if (count < 0) {
    count = static_cast<long>(endpoints.size());
  }

  if (mode == "full" || mode == "both") {
    print_tally("full", run_mode(Mode::full, endpoints, count, warmup));
  }
  if (mode == "cert-only" || mode == "both") {
    print_tally("cert-only", run_mode(Mode::cert_only, endpoints, count, warmup));
  }
  return 0;
}
