#pragma once
// Certificate factory for tests and the fleet simulator: keys and X.509 certificates made with
// OpenSSL, including deliberately bad ones (SHA1, MD5, RSA-1024, expired, odd names).

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fleetcert::testing {

struct PkeyDeleter
{
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Deleter
{
  void operator()(X509* p) const { X509_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

// "rsa" (bits), "ec" (curve: "P-256", "P-384", "P-521"), "ed25519", "ed448", "rsa-pss" (bits), "dsa" (bits).
struct KeySpec
{
  std::string type = "rsa";
  int bits = 2048;
  std::string curve = "P-256";
};

// Throws std::runtime_error on failure (tests and the simulator treat that as fatal).
PkeyPtr generate_key(const KeySpec& spec);

// One subject/issuer attribute. `raw` bytes go in unchecked with the given ASN.1 string type
// (V_ASN1_UTF8STRING by default), so tests can build names with invalid UTF-8 or NUL bytes.
struct NameEntry
{
  std::string field; // "C", "ST", "L", "O", "OU", "CN", ...
  std::string value;
  int asn1_type = 0; // 0: MBSTRING_UTF8 (validated); otherwise raw bytes with this V_ASN1_* type
};

struct CertSpec
{
  std::vector<NameEntry> subject;
  std::vector<std::string> san; // "DNS:name", "IP:127.0.0.1", "email:x@y", "URI:..."
  std::string hash = "sha256";  // "sha256", "sha384", "sha512", "sha1", "md5", "sha224"; ignored for Ed25519
  std::int64_t not_before_offset_seconds = -86400;      // relative to now
  std::int64_t not_after_offset_seconds = 365 * 86400;  // relative to now
  std::string serial_hex;       // empty: random 16 bytes; may start with "-"
  bool ca = false;              // basicConstraints CA:TRUE, keyCertSign
  // Absolute validity, overriding the offsets when not empty: "YYYYMMDDHHMMSSZ" (or with ISO
  // separators, "9999-12-31T23:59:59Z"); UTCTime for 1950..2049, GeneralizedTime otherwise.
  std::string not_before_text;
  std::string not_after_text;
  // Not 0: a non-critical private extension (k_padding_extension_oid) holding this many bytes,
  // to make certificates as large as a test needs.
  std::size_t padding_bytes = 0;
};

// OID of the padding extension (an arc under an unassigned private enterprise number).
inline constexpr const char* k_padding_extension_oid = "1.3.6.1.4.1.99999.2";

// Parses "/C=DE/O=Gigaset Communications GmbH/CN=Gigaset.net" (or "CN=x" alone) into entries.
std::vector<NameEntry> parse_subject(const std::string& text);

// Signs `spec` with issuer_key; issuer == nullptr means self-signed (issuer name = subject).
X509Ptr make_certificate(const CertSpec& spec, EVP_PKEY* subject_key, const X509* issuer,
                         EVP_PKEY* issuer_key);

// A copy of `cert` whose signature algorithm OID (in the TBSCertificate and in the outer
// AlgorithmIdentifier) is replaced by an unknown one of the same encoded length, so no length
// changes: 1.3.6.1.4.1.99999 followed by as many ".1" arcs as needed. The signature no longer
// verifies. Works for RSA, ECDSA and DSA signers (OIDs of at least 8 bytes);
// throws std::runtime_error otherwise (Ed25519's OID is 3 bytes).
X509Ptr with_unknown_signature_algorithm(const X509* cert);

// The signature algorithm OID of `cert` as dotted text ("1.3.6.1.4.1.99999.1" after the above).
std::string signature_oid_text(const X509* cert);

std::vector<unsigned char> to_der(const X509* cert);
std::string to_pem(const X509* cert);
std::string key_to_pem(EVP_PKEY* key);
std::string sha256_hex(const X509* cert); // lower-case hex of the DER

// Lower-case hex of the SHA-256 of arbitrary bytes.
std::string sha256_hex_bytes(const std::vector<unsigned char>& bytes);

// A key and the certificate issued for it, as tests pass them around.
struct Issued
{
  PkeyPtr key;
  X509Ptr cert;

  std::vector<unsigned char> der() const { return to_der(cert.get()); }
  std::string pem() const { return to_pem(cert.get()); }
};

// Label of a key as the simulator's truth file writes it: "rsa:2048", "ec:P-256", "ed25519", ...
std::string key_label(const KeySpec& spec);

// Decodes hex ("e974e9", case-insensitive, optional ':' separators); throws on bad input.
std::vector<unsigned char> from_hex(const std::string& hex);

} // namespace fleetcert::testing
