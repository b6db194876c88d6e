#include "probes/tls_context.hpp"

#include "probes/tls_records.hpp"

#include <openssl/ssl.h>

#include <system_error>

namespace fleetcert {
namespace {

// Everything OpenSSL offers for TLS <= 1.2 at security level 0 (RC4 and friends live in the legacy
// provider and are not offered).
constexpr const char* k_modern_ciphers = "ALL:@SECLEVEL=0";
// A shorter list: some old stacks reject ClientHellos above 255 bytes.
constexpr const char* k_legacy_ciphers =
    "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:AES128-SHA:AES256-SHA:DES-CBC3-SHA:"
    "DHE-RSA-AES128-SHA:AES128-SHA256:AES256-SHA256:AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0";
constexpr const char* k_tls13_suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
    "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256";
// Signature algorithms the device may use for its key exchange, SHA1 included.
constexpr const char* k_sigalgs =
    "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:ed25519:ed448:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:"
    "rsa_pss_rsae_sha512:rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:RSA+SHA256:"
    "RSA+SHA384:RSA+SHA512:RSA+SHA224:ECDSA+SHA224:DSA+SHA256:DSA+SHA224:RSA+SHA1:ECDSA+SHA1:DSA+SHA1";

// Named groups: OpenSSL's defaults first (x25519 also gets TLS 1.3's key share), then brainpool
// (TLS 1.2 only: OpenSSL 3.0 never offers codes 26-28 in TLS 1.3) and the other SECG curves old
// devices may be limited to. The legacy hello keeps its list short: the defaults and brainpool.
constexpr const char* k_modern_groups =
    "X25519:P-256:X448:P-521:P-384:brainpoolP256r1:brainpoolP384r1:brainpoolP512r1:secp256k1:secp224r1:"
    "secp192r1:sect571r1:sect571k1:sect409k1:sect409r1:sect283k1:sect283r1:sect233k1:sect233r1:sect163k1:"
    "sect163r2:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192";
constexpr const char* k_legacy_groups = "X25519:P-256:P-384:P-521:brainpoolP256r1:brainpoolP384r1:brainpoolP512r1";

// The SSL ex_data slot of a connection's CertificateStop (asio uses the app_data slot).
int certificate_stop_index()
{
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Replaces X509_verify_cert for every probe connection (see CertificateStop).
int on_certificate(X509_STORE_CTX* store, void* /*arg*/)
{
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* stop = ssl != nullptr ? static_cast<CertificateStop*>(SSL_get_ex_data(ssl, certificate_stop_index())) : nullptr;
  if (stop != nullptr && stop->chain_ready && !stop->chain_taken) {
    // OpenSSL verifies the chain it has just parsed from the Certificate message whose bytes the
    // message callback captured: the leaf, then the rest as sent (the untrusted stack begins with
    // the leaf). References only: the SSL object keeps its own.
    stop->chain_taken = true;
    STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store);
    X509* leaf = X509_STORE_CTX_get0_cert(store);
    if (sent != nullptr && leaf != nullptr && sk_X509_num(sent) > 0 && sk_X509_value(sent, 0) == leaf) {
      for (int i = 0; i < sk_X509_num(sent); ++i) {
        stop->parsed.add(sk_X509_value(sent, i));
      }
    }
  }
  if (stop == nullptr || !stop->enabled || !stop->chain_ready) {
    return 1;
  }
  stop->stopped = true;
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION); // alert: handshake_failure
  return 0;
}

void check(int ok, const char* what)
{
  if (ok != 1) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument), what);
  }
}

} // namespace

void set_certificate_stop(SSL* ssl, CertificateStop* stop)
{
  SSL_set_ex_data(ssl, certificate_stop_index(), stop);
  if (stop->enabled) {
    // With SSL_VERIFY_NONE a client ignores a failed verification; with PEER it aborts.
    SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  }
}

SslCtxPtr make_probe_context(HelloStyle style)
{
  SslCtxPtr context(SSL_CTX_new(TLS_client_method()));
  if (!context) {
    throw std::system_error(std::make_error_code(std::errc::not_enough_memory), "OpenSSL client context");
  }
  SSL_CTX* ctx = context.get();
  const bool legacy = style == HelloStyle::legacy;

  SSL_CTX_set_security_level(ctx, 0);
  check(SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION), "min protocol");
  check(SSL_CTX_set_max_proto_version(ctx, legacy ? TLS1_2_VERSION : TLS1_3_VERSION), "max protocol");
  check(SSL_CTX_set_cipher_list(ctx, legacy ? k_legacy_ciphers : k_modern_ciphers), "cipher list");
  check(SSL_CTX_set_ciphersuites(ctx, k_tls13_suites), "TLS 1.3 suites");
  check(SSL_CTX_set1_sigalgs_list(ctx, k_sigalgs), "signature algorithms");
  check(SSL_CTX_set1_groups_list(ctx, legacy ? k_legacy_groups : k_modern_groups), "groups");

  uint64_t options = SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION
                     | SSL_OP_NO_COMPRESSION;
  if (legacy) {
    options |= SSL_OP_NO_TICKET | SSL_OP_NO_ENCRYPT_THEN_MAC | SSL_OP_NO_EXTENDED_MASTER_SECRET;
  }
  SSL_CTX_set_options(ctx, options);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  // Called for every connection, whatever the verify mode: never builds a chain, and stops the
  // handshake at the certificate when the connection asks for it.
  SSL_CTX_set_cert_verify_callback(ctx, on_certificate, nullptr);
  // Devices may send long chains; OpenSSL's default cap is 100 KiB. The message callback's parser
  // has the same cap.
  SSL_CTX_set_max_cert_list(ctx, static_cast<long>(k_max_certificate_message_length));
  // No session resumption: every probe must see the certificate.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // A connection's read and write buffers are freed whenever they are empty (most of its life:
  // the probe feeds OpenSSL whole reads and takes its output at once).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  return context;
}

} // namespace fleetcert
