#pragma once
// Decoding of one X.509 certificate from DER into the fields fleetcert reports.
// Pure: no I/O. Every text field may hold any bytes the certificate carried (not always UTF-8);
// the report writers make them safe.

#include "scanner/model/observation.hpp"
#include "scanner/model/result.hpp"
#include "scanner/util/time.hpp"

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fleetcert {

// What signs a certificate: facts only (assessment judges them: judge_signature).
struct SignatureInfo
{
  std::string algorithm; // OpenSSL long name, e.g. "sha256WithRSAEncryption", or the OID
  std::string label;     // "<key>+<hash>": "RSA+SHA256", "ECDSA+SHA384", "Ed25519"; the algorithm when unknown
  std::string key;       // "RSA", "RSA-PSS", "ECDSA", "DSA", "Ed25519", "Ed448", ...; empty when unknown
  std::string hash;      // "SHA256", "SHA1", "MD5", ...; empty for Ed25519/Ed448 and when unknown
};

// The hash of a signature label: "SHA256" of "RSA+SHA256", empty when the label names none ("Ed25519").
std::string_view hash_of_label(std::string_view label);

struct KeyInfo
{
  std::string type;  // "RSA", "EC", "RSA-PSS", "DSA", "Ed25519", "Ed448", or the OID
  int bits = 0;
  std::string curve; // "P-256", "P-384", ... (EC only)
  std::string spki_sha256; // SHA-256 of the SubjectPublicKeyInfo: the same key under any certificate
};

struct CertificateInfo
{
  bool parsed = false;     // false: OpenSSL could not decode it; only the fingerprints are set
  std::string parse_error; // why, when !parsed
  std::string subject;     // RFC 2253 one-line form
  std::string issuer;
  std::string cn; // last commonName of the subject, empty when none
  bool has_cn = false;
  std::vector<std::string> san; // "DNS:x", "IP:x", "email:x", "URI:x", "othername:<unsupported>"
  bool san_truncated = false;
  std::string serial; // lower-case hex, "-" prefix when negative
  std::optional<std::int64_t> not_before; // seconds since the epoch, UTC
  std::optional<std::int64_t> not_after;
  std::string sha256, sha1, md5; // lower-case hex of the DER, always set
  SignatureInfo signature;
  KeyInfo key;
  bool self_signed = false; // subject == issuer and its own key verifies its signature
};

// Decodes one certificate. Never throws; a certificate OpenSSL refuses still gets fingerprints.
CertificateInfo decode_certificate(const Der& der);

// The facts of a certificate OpenSSL has already parsed from `der` (its bytes, for the
// fingerprints): no second d2i_X509.
CertificateInfo decode_certificate(const X509& cert, const Der& der);

// Frees a parsed certificate (X509_free).
struct ParsedX509Free
{
  void operator()(X509* cert) const;
};
using ParsedX509 = std::unique_ptr<X509, ParsedX509Free>;

// One certificate parsed once: the X509 object (null when it does not decode) and its facts.
struct ParsedCertificate
{
  ParsedX509 x509;
  CertificateInfo info;
};
ParsedCertificate parse_certificate(const Der& der);

// A chain (leaf first, as received) parsed once: what decoding, provenance and readiness share.
// certificates[i] is null where infos[i].parsed is false (and, from parse_chain(chain, already),
// where the facts were decoded without an object).
struct ParsedChain
{
  std::vector<ParsedX509> certificates;
  std::vector<CertificateInfo> infos;
};
ParsedChain parse_chain(const std::vector<Der>& chain);

// The facts of a chain, cheaply (what a record needs), given objects already parsed from those
// bytes (OpenSSL's, from the handshake; taken over): already[i] stands for chain[i] when it encodes
// to exactly those bytes (and when the counts agree). Every other certificate is decoded from its
// bytes part by part, without an X509 object (OpenSSL 3.0 sets up its key decoders for every
// X509 it parses, most of a certificate's CPU), when it is plain DER with a plain key (RSA, named-curve
// EC, EdDSA); then certificates[i] is null although infos[i].parsed. Otherwise it is parsed
// whole. A caller that needs every object (a verification) parses with parse_chain(chain).
ParsedChain parse_chain(const std::vector<Der>& chain, std::vector<ParsedX509> already);

// The facts decode_certificate gives, from the part-by-part decoding parse_chain(chain, {}) uses
// when it can; nullopt when the certificate needs OpenSSL's whole parse (exposed for the tests that
// compare the two).
std::optional<CertificateInfo> decode_certificate_plain(const Der& der);

// The certificate's subject in the one-line form of CertificateInfo::subject.
std::string subject_text(const X509& cert);

// Lower-case hex digests of the bytes.
std::string sha256_hex(const Der& der);

// True when `issuer` issued `certificate`: its subject is the certificate's issuer name and its key
// verifies the certificate's signature. False when either does not decode.
bool issued_by(const Der& certificate, const Der& issuer);

// The DER as a PEM block ("-----BEGIN CERTIFICATE-----", base64 in lines of 64, "-----END ...").
// Any bytes: the DER need not decode as a certificate (a device may send one OpenSSL refuses).
std::string der_to_pem(const Der& der);

// Every CERTIFICATE block of a PEM text, as DER, in order, whether or not it decodes as a
// certificate. Text outside the blocks and blocks of other types are ignored; a block that is not
// valid PEM (bad base64, no END line, empty) is an error naming it: "PEM block 2 is not valid
// base64 or has no END line".
Result<std::vector<Der>> pem_to_ders(std::string_view pem);

// The certificates of a PEM bundle (CA roots and intermediates), as DER: pem_to_ders, at least one,
// and every one must decode. Errors name the source: "ca.pem: no PEM certificate found",
// "ca.pem: certificate 2 does not decode".
Result<std::vector<Der>> read_certificate_bundle(std::string_view pem_text, std::string_view source_name);

} // namespace fleetcert
