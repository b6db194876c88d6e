#pragma once
// The TLS probe: one endpoint in, one Observation out, within an absolute deadline. Never throws
// and never judges: it reports what the device sent and where the conversation ended.

#include "probes/rate_limiter.hpp"
#include "scanner/model/observation.hpp"
#include "probes/tls_context.hpp"

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

using Clock = std::chrono::steady_clock;

// An application-level exchange once the TLS handshake is complete (issue 14's identity probes):
// the request to send and when the response read so far is whole. The probe only runs it; what to
// ask and how to read the answer belong to the caller.
struct IdentityPlan
{
  IdentityProtocol protocol = IdentityProtocol::sip;
  // The request's bytes, given the connection's own address and port (a SIP Via header needs them).
  std::function<std::string(const std::string& local_ip, std::uint16_t local_port)> request;
  // True once `received` (every byte read so far, at most k_identity_response_cap) is a whole response.
  std::function<bool(std::string_view received)> complete;
};

struct ProbeSettings
{
  Clock::time_point deadline;          // the whole endpoint: resolve + connect + TLS (+ retries)
  Clock::duration connect_timeout{};   // zero: only the deadline applies
  bool legacy_retry = true;            // one retry with a legacy ClientHello when no certificate came
  HandshakeMode mode = HandshakeMode::certificate_only; // stop once the chain is in, or complete
  RateLimiter* rate = nullptr;         // paces every retry's connection (the engine paces the first)
  // The probe's own ClientHellos, each on a new connection, when OpenSSL's (and the legacy retry)
  // got no certificate: TLS 1.0-1.2 with every suite, group and signature algorithm, then SSL 3.0.
  bool raw_hello = true;
  // With a plan, the probe completes the handshake (even in certificate-only mode), sends the
  // request and reads the response into Observation::identity. The record's chain, TLS facts and
  // error stay what they would be without it; what went wrong after the certificate goes to
  // identity.error only.
  std::optional<IdentityPlan> identity;
  // Certificate-only mode without an identity plan: the first connection replays OpenSSL's modern
  // ClientHello itself and reads the answer without an SSL object (TLS 1.0-1.2 from the plaintext,
  // TLS 1.3 decrypted with its own X25519 share); what it cannot read is asked again through
  // OpenSSL, on a new connection. False: OpenSSL writes every hello (tests compare the two).
  bool own_hello = true;
};

// Probes `endpoint` (endpoint.ip must be an address literal). `contexts` must outlive the probe.
asio::awaitable<Observation> probe_endpoint(Endpoint endpoint, const ProbeContexts* contexts,
                                            ProbeSettings settings);

// The outcome of resolving a name: every address, or an Observation error of class dns/timeout.
struct Resolution
{
  std::vector<std::string> addresses; // as format_address writes them, in the resolver's order, each once; empty on failure
  ErrorClass error = ErrorClass::none;
  std::string detail;
};

// True for "invalid" and every name under it: RFC 6761 (6.4) reserves them to never resolve, and
// asks resolvers to answer at once, without a query.
bool is_never_resolving(std::string_view host);

// Resolves `host` asynchronously (getaddrinfo on Asio's resolver thread), bounded by `deadline`
// (a lookup the system resolver already started runs to its own end: the result is then a timeout).
// A name under .invalid fails at once with class dns, without a query.
asio::awaitable<Resolution> resolve_host(std::string host, Clock::time_point deadline);

} // namespace fleetcert
