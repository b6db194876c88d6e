#pragma once
// The identity requests (issue 14) a probe sends once its handshake is complete, and when the
// answer is in: a SIP OPTIONS (RFC 3261) on a SIP port, an HTTP GET / on a web port. Pure text, no
// Asio: the probe's IdentityPlan takes identity_request and identity_complete as they are.

#include "scanner/model/observation.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace fleetcert {

// Fills `size` bytes at `out` with random bytes: where branches, tags and Call-IDs come from.
using RandomSource = std::function<void(unsigned char* out, std::size_t size)>;

// OpenSSL's RAND_bytes (std::random_device should it ever fail).
RandomSource openssl_random();

// A SIP OPTIONS to `device` (its ip and port) from the connection's local address and port:
// Request-URI sip:<ip>:<port>;transport=tls, Via SIP/2.0/TLS <local>;branch=z9hG4bK<random>;rport,
// Max-Forwards 70, From with a random tag, To, a random Call-ID, CSeq 1 OPTIONS, Contact, Accept:
// application/sdp, User-Agent fleetcert/<version>, Content-Length 0. IPv6 addresses bracketed.
std::string build_sip_options(const Endpoint& device, std::string_view local_ip, std::uint16_t local_port,
                              const RandomSource& random);

// "GET / HTTP/1.1" with Host (the SNI name when one is sent, else the address, IPv6 bracketed; the
// port unless 443), User-Agent, Accept and Connection: close.
std::string build_http_get(const Endpoint& device);

// True once a SIP response's head is in: the blank line (CRLFCRLF or LFLF) of a final response
// (a provisional 1xx head alone is not enough).
bool sip_response_complete(std::string_view received);

// True once an HTTP response's head is in and the body is: Content-Length bytes of it, or no body
// (1xx, 204, 304, Content-Length 0), or up to "</title>", or k_identity_response_cap bytes.
bool http_response_complete(std::string_view received);

// The request function of a probe's IdentityPlan: given the connection's local address and port,
// the request for `protocol` to `device`.
std::function<std::string(const std::string& local_ip, std::uint16_t local_port)>
identity_request(IdentityProtocol protocol, Endpoint device, RandomSource random = openssl_random());

// The complete function of a probe's IdentityPlan: sip_response_complete or http_response_complete.
std::function<bool(std::string_view received)> identity_complete(IdentityProtocol protocol);

} // namespace fleetcert
