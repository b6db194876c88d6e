#pragma once
// The cipher-suite code points of TLS (the IANA "TLS Cipher Suites" registry, SSL 3.0 to TLS 1.3,
// plus a few code points deployed without a registry entry), by code and IANA name: what the raw
// ClientHello offers and how a record names the suite a device chose, whether or not OpenSSL
// implements it. No OpenSSL and no Asio.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace fleetcert {

// One code point and what a device that picks it does.
struct CipherSuiteInfo
{
  std::uint16_t code = 0;
  std::string_view name;   // the IANA name, e.g. "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
  bool certificate = true; // the server sends a Certificate (false: anonymous, PSK, SRP, Kerberos, ...)
  bool tls13 = false;      // a TLS 1.3 suite (no key exchange in its name; never in a TLS 1.2 hello)
  bool signalling = false; // a signalling value (SCSV), not a suite a server can choose
};

// Every known code point, ascending by code.
std::span<const CipherSuiteInfo> cipher_suite_table();

// The entry for `code`; nullptr for a code point the table does not know.
const CipherSuiteInfo* find_cipher_suite(std::uint16_t code);

// The IANA name of `code`, or "0xNNNN" (upper-case hex, 4 digits) for one the table does not know.
std::string cipher_suite_name(std::uint16_t code);

// The protocol version's name as OpenSSL's SSL_get_version writes it: "SSLv3", "TLSv1",
// "TLSv1.1", "TLSv1.2", "TLSv1.3"; "0xNNNN" for anything else.
std::string protocol_version_name(std::uint16_t version);

} // namespace fleetcert
