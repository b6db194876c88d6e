#pragma once
// The OpenSSL client contexts of the TLS probe. Both talk to anything: TLS 1.0 to 1.3, security
// level 0, every cipher and signature algorithm, legacy renegotiation, no verification (fleetcert
// verifies afterwards, in assessment). The system openssl.cnf minimums are overridden here.

#include <asio/ssl/context.hpp>

namespace fleetcert {

enum class HelloStyle
{
  modern, // TLS 1.0-1.3 in one ClientHello, with SNI
  legacy, // TLS 1.0-1.2, a short ClientHello without TLS 1.3 extensions or tickets, for old stacks
};

// Builds a client context for one hello style. Throws std::system_error if OpenSSL refuses.
asio::ssl::context make_probe_context(HelloStyle style);

// The two contexts a probe may use; shared by every probe of every thread (read-only once made).
struct ProbeContexts
{
  asio::ssl::context modern = make_probe_context(HelloStyle::modern);
  asio::ssl::context legacy = make_probe_context(HelloStyle::legacy);
};

} // namespace fleetcert
