#pragma once
// The OpenSSL client contexts of the TLS probe. Both talk to anything: TLS 1.0 to 1.3, security
// level 0, every cipher and signature algorithm, brainpool and the SECG curves besides the default
// groups, legacy renegotiation, no verification (fleetcert verifies afterwards, in assessment).
// The system openssl.cnf minimums are overridden here.

#include "probes/own_hello.hpp"
#include "scanner/model/observation.hpp"

#include <openssl/ssl.h>

#include <memory>

namespace fleetcert {

enum class HelloStyle
{
  modern, // TLS 1.0-1.3 in one ClientHello, with SNI
  legacy, // TLS 1.0-1.2, a short ClientHello without TLS 1.3 extensions or tickets, for old stacks
};

// One connection's early stop: OpenSSL calls the contexts' certificate verify callback while it
// processes the server's Certificate message, before ServerKeyExchange / CertificateVerify (whose
// signature check is the client's most expensive step). With `enabled` and `chain_ready`, the
// callback fails, so OpenSSL aborts the handshake there (sending a fatal handshake_failure alert)
// and sets `stopped`. Otherwise it accepts at once, without building or verifying a chain
// (fleetcert verifies later, in assessment). The connection must also be set to SSL_VERIFY_PEER
// for a failure to abort (set_certificate_stop does both). Whether it stops or not, the first time
// it is called with the chain's bytes in (`chain_ready`), it keeps a reference to each certificate
// OpenSSL parsed from that Certificate message, so that the record need not parse them again.
struct CertificateStop
{
  bool enabled = false;     // stop at the certificate (HandshakeMode::certificate_only)
  bool chain_ready = false; // the probe has the chain's bytes (set by its message callback)
  bool stopped = false;     // the callback aborted the handshake
  bool chain_taken = false; // the callback has seen the chain once (a renegotiation's is not kept)
  PeerCertificates parsed;  // OpenSSL's objects of that chain, leaf first
};

// Attaches `stop` (which must outlive the handshake) to `ssl`.
void set_certificate_stop(SSL* ssl, CertificateStop* stop);

struct SslCtxFree
{
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
// An owned OpenSSL context (the probe drives OpenSSL through memory BIOs, without Asio's SSL layer).
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// Builds a client context for one hello style. Throws std::system_error if OpenSSL refuses.
SslCtxPtr make_probe_context(HelloStyle style);

// The two contexts a probe may use; shared by every probe of every thread (read-only once made).
struct ProbeContexts
{
  SslCtxPtr modern = make_probe_context(HelloStyle::modern);
  SslCtxPtr legacy = make_probe_context(HelloStyle::legacy);
  // The modern context's ClientHello, which the probe replays itself in certificate-only mode
  // (own_hello); nullopt when it cannot (the probe then lets OpenSSL write every hello).
  std::optional<HelloTemplate> modern_hello = capture_hello_template(modern.get());
};

} // namespace fleetcert
