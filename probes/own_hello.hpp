#pragma once
// OpenSSL's modern ClientHello, replayed by the probe itself in certificate-only mode, and the
// device's answer read without an SSL object: the cheapest way to the certificate that asks the
// device exactly what OpenSSL's hello asks (same versions, suites, groups, extensions, in the
// same order), so the device chooses exactly what it would choose for OpenSSL.
//
//   ProbeContexts ──capture_hello_template──> OpenSSL's ClientHello record, once per process
//   per connection: fill_hello (fresh random and session id, SNI, the thread's X25519 key share)
//       ──> socket ──> ServerHello
//              ├── TLS 1.0-1.2: ServerFlight, the plaintext Certificate (as the OpenSSL attempt does)
//              └── TLS 1.3 with the X25519 share: OwnTls13Flight ── X25519, the RFC 8446 key
//                  schedule to the server's handshake traffic key, AEAD-decrypt the records ──>
//                  EncryptedExtensions, [CertificateRequest], Certificate ──> chain
//   anything else (HelloRetryRequest, an alert, a suite or group not handled here, bytes that are
//   not TLS) ──> the probe falls back to OpenSSL's own attempt on a new connection
//
// Nothing the device sends is verified (no CertificateVerify, no Finished): the chain is what the
// device sent, as with OpenSSL's early stop at the certificate. The X25519 key pair is a thread's,
// renewed every k_share_uses connections: the probe sends nothing secret, and a key generated per
// connection would be most of the CPU of a TLS 1.2 device's certificate.

#include "probes/raw_hello.hpp"
#include "probes/tls_records.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fleetcert {

// OpenSSL's ClientHello of one context, as a template the probe fills per connection.
struct HelloTemplate
{
  std::vector<unsigned char> record; // one handshake record holding the whole ClientHello, no server_name
  std::size_t session_id_offset = 0; // 32 bytes of legacy_session_id (RFC 8446 D.4)
  std::size_t extensions_offset = 0; // the extensions block's 2-byte length
  std::size_t key_share_offset = 0;  // the X25519 key_share entry's 32-byte public key
  // Every suite the hello offers: IANA code and OpenSSL's name.
  std::vector<std::pair<std::uint16_t, std::string>> suites;

  // OpenSSL's name of an offered suite, or nullptr.
  const std::string* suite_name(std::uint16_t code) const;
};

// The ClientHello `context` writes for a connection without SNI, read from a memory BIO (no
// socket). nullopt when it is not what the probe can replay: not one record, no X25519 key share,
// a session id other than 32 bytes.
std::optional<HelloTemplate> capture_hello_template(SSL_CTX* context);

// An X25519 key pair offered in key_share.
struct X25519Share
{
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key{nullptr, EVP_PKEY_free};
  std::array<unsigned char, 32> public_key{};
};

// The calling thread's current key pair (a new one after k_share_uses calls); null when OpenSSL
// cannot make one.
constexpr int k_share_uses = 1024;
std::shared_ptr<const X25519Share> thread_share();

// The template with a fresh random and session id, `sni` as server_name (when it is a host name of
// 1..255 bytes; OpenSSL puts it first), and `share`'s public key.
std::vector<unsigned char> fill_hello(const HelloTemplate& hello, std::string_view sni, const X25519Share& share);

// The TLS 1.3 server flight after a ServerHello that took the X25519 share, fed every byte the
// device sent from the start (ServerHello included), in pieces of any size: finds the ServerHello,
// derives the server's handshake traffic key, decrypts records up to the Certificate message.
// failed() covers everything it does not handle (the caller falls back to OpenSSL): a
// HelloRetryRequest, another group or suite (only TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384
// and TLS_CHACHA20_POLY1305_SHA256), a record that does not decrypt, an alert, a malformed or
// unexpected message, more bytes than a capped flight needs. Holds at most what TlsReader holds,
// twice, and the chain.
class OwnTls13Flight
{
public:
  // `client_hello`: the record as sent (the transcript starts with its handshake message).
  OwnTls13Flight(std::vector<unsigned char> client_hello, std::shared_ptr<const X25519Share> share, TlsLimits limits = {});
  ~OwnTls13Flight();
  OwnTls13Flight(const OwnTls13Flight&) = delete;
  OwnTls13Flight& operator=(const OwnTls13Flight&) = delete;

  FlightStatus feed(ByteSpan bytes);
  FlightStatus status() const { return m_status; }
  std::uint16_t cipher_suite() const { return m_suite; }
  // Every certificate, leaf first, exactly as sent (at most TlsLimits::max_certificates).
  const std::vector<std::vector<unsigned char>>& chain() const { return m_chain; }
  // A CertificateRequest came before the Certificate (RFC 8446 4.3.2).
  bool certificate_requested() const { return m_certificate_requested; }
  // What made it give up, in words (for tests and debugging; the record never shows it).
  const std::string& failure() const { return m_failure; }

private:
  FlightStatus fail(std::string why);
  void on_server_hello(ByteSpan message);
  void on_encrypted(const TlsEvent& event);
  void on_message(ByteSpan message);

  std::vector<unsigned char> m_client_hello;
  std::shared_ptr<const X25519Share> m_share;
  TlsLimits m_limits;
  TlsReader m_records;   // the device's records
  TlsReader m_handshake; // the decrypted handshake messages, as plaintext records
  FlightStatus m_status = FlightStatus::need_more;
  bool m_have_keys = false;
  std::uint16_t m_suite = 0;
  EVP_CIPHER_CTX* m_aead = nullptr;
  std::array<unsigned char, 12> m_iv{};
  std::uint64_t m_sequence = 0;
  std::vector<unsigned char> m_plain; // one record's plaintext
  std::vector<std::vector<unsigned char>> m_chain;
  std::size_t m_bytes_seen = 0;
  bool m_encrypted_extensions = false;
  bool m_certificate_requested = false;
  std::string m_failure;
};

} // namespace fleetcert
