// Certificate factory: keys and X.509 certificates for tests and the fleet simulator.
//
// Two things here are less obvious than the rest:
//  - Signing goes through EVP_DigestSignInit_ex + X509_sign_ctx with the digest named by the
//    spec, so MD5 and SHA1 signatures work under OpenSSL 3 (the default provider allows them for
//    signing; only security levels, which do not apply here, would refuse them).
//  - Raw name entries (NameEntry::asn1_type != 0) may hold bytes OpenSSL itself refuses to
//    canonicalise (invalid UTF-8 in a UTF8String, odd-length BMPString): OpenSSL 3 would then fail
//    to encode the name. Such entries are added with a harmless T61String placeholder of the same
//    length, the name is encoded (which caches its DER and canonical form), and the cached DER is
//    patched in place with the real tag and bytes. The signature then covers the real bytes, and
//    i2d_X509 (what a TLS server sends) reproduces them. d2i of such a certificate fails in
//    OpenSSL 3, which is exactly what hostile-certificate tests want a scanner to survive.

#include "support/cert_factory.hpp"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace fleetcert::testing {
namespace {

// Drains OpenSSL's error queue into an exception message.
[[noreturn]] void fail(const std::string& what)
{
  std::string message = "cert_factory: " + what;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    message += "; ";
    message += buffer;
  }
  throw std::runtime_error(message);
}

struct BioDeleter
{
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnDeleter
{
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct PkeyCtxDeleter
{
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxDeleter
{
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct NameDeleter
{
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
};
struct ExtensionDeleter
{
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};

std::string lower(std::string text)
{
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// "prime256v1" and "secp256r1" are P-256, and so on; anything else is passed through.
std::string canonical_curve(const std::string& curve)
{
  const std::string name = lower(curve);
  if (name == "p-256" || name == "prime256v1" || name == "secp256r1") {
    return "P-256";
  }
  if (name == "p-384" || name == "secp384r1") {
    return "P-384";
  }
  if (name == "p-521" || name == "secp521r1") {
    return "P-521";
  }
  return curve;
}

PkeyPtr generate_dsa(int bits)
{
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> param_ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr));
  EVP_PKEY* params = nullptr;
  if (!param_ctx || EVP_PKEY_paramgen_init(param_ctx.get()) <= 0
      || EVP_PKEY_CTX_set_dsa_paramgen_bits(param_ctx.get(), bits) <= 0
      || EVP_PKEY_paramgen(param_ctx.get(), &params) <= 0) {
    fail("DSA parameter generation (" + std::to_string(bits) + " bits)");
  }
  PkeyPtr params_owner(params);
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> key_ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, params, nullptr));
  EVP_PKEY* key = nullptr;
  if (!key_ctx || EVP_PKEY_keygen_init(key_ctx.get()) <= 0
      || EVP_PKEY_keygen(key_ctx.get(), &key) <= 0) {
    fail("DSA key generation");
  }
  return PkeyPtr(key);
}

PkeyPtr generate_rsa_pss(int bits)
{
  // EVP_PKEY_Q_keygen takes a size only for "RSA", so RSA-PSS goes the long way.
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> key_ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA-PSS", nullptr));
  EVP_PKEY* key = nullptr;
  if (!key_ctx || EVP_PKEY_keygen_init(key_ctx.get()) <= 0
      || EVP_PKEY_CTX_set_rsa_keygen_bits(key_ctx.get(), bits) <= 0
      || EVP_PKEY_keygen(key_ctx.get(), &key) <= 0) {
    fail("RSA-PSS key generation (" + std::to_string(bits) + " bits)");
  }
  return PkeyPtr(key);
}

bool is_edwards(EVP_PKEY* key)
{
  return EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448");
}

// "9999-12-31T23:59:59Z" -> "99991231235959Z"; already compact text passes unchanged.
std::string compact_time(const std::string& text)
{
  std::string out;
  for (char c : text) {
    if (c != '-' && c != ':' && c != 'T' && c != ' ') {
      out += c;
    }
  }
  return out;
}

void set_time(ASN1_TIME* target, const std::string& text, std::time_t now, std::int64_t offset,
              const char* what)
{
  if (!text.empty()) {
    if (ASN1_TIME_set_string_X509(target, compact_time(text).c_str()) != 1) {
      fail(std::string("bad ") + what + " time '" + text + "'");
    }
    return;
  }
  const std::int64_t days = offset / 86400;
  const long seconds = static_cast<long>(offset % 86400);
  if (days > 4'000'000 || days < -4'000'000
      || ASN1_TIME_adj(target, now, static_cast<int>(days), seconds) == nullptr) {
    fail(std::string("cannot represent ") + what + " offset " + std::to_string(offset) + " s");
  }
}

void set_serial(X509* cert, const std::string& serial_hex)
{
  BIGNUM* raw = nullptr;
  if (serial_hex.empty()) {
    raw = BN_new();
    if (raw == nullptr || BN_rand(raw, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1) {
      BN_free(raw);
      fail("random serial");
    }
  } else {
    std::string digits;
    for (char c : serial_hex) {
      if (c != ':' && c != ' ') {
        digits += c;
      }
    }
    const int parsed = BN_hex2bn(&raw, digits.c_str());
    if (parsed <= 0 || static_cast<std::size_t>(parsed) != digits.size()) {
      BN_free(raw);
      fail("bad serial_hex '" + serial_hex + "'");
    }
  }
  std::unique_ptr<BIGNUM, BnDeleter> bn(raw);
  if (BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    fail("serial");
  }
}

// The DER of `name` after adding `entries` with every raw entry replaced by `placeholder`.
std::vector<unsigned char> placeholder_der(const std::vector<NameEntry>& entries, char placeholder)
{
  std::unique_ptr<X509_NAME, NameDeleter> name(X509_NAME_new());
  for (const NameEntry& entry : entries) {
    const std::string value =
        entry.asn1_type == 0 ? entry.value : std::string(entry.value.size(), placeholder);
    const int type = entry.asn1_type == 0 ? MBSTRING_UTF8 : V_ASN1_T61STRING;
    if (X509_NAME_add_entry_by_txt(name.get(), entry.field.c_str(), type,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0)
        != 1) {
      fail("name entry " + entry.field);
    }
  }
  const unsigned char* der = nullptr;
  std::size_t length = 0;
  if (X509_NAME_get0_der(name.get(), &der, &length) != 1) {
    fail("name encoding");
  }
  return {der, der + length};
}

// Adds `entries` to `name` (a name owned by a certificate), raw ones as described at the top.
void add_entries(X509_NAME* name, const std::vector<NameEntry>& entries)
{
  bool any_raw = false;
  for (const NameEntry& entry : entries) {
    const bool raw = entry.asn1_type != 0;
    any_raw = any_raw || raw;
    const int type = raw ? V_ASN1_T61STRING : MBSTRING_UTF8;
    const std::string value = raw ? std::string(entry.value.size(), 'A') : entry.value;
    if (X509_NAME_add_entry_by_txt(name, entry.field.c_str(), type,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0)
        != 1) {
      fail("name entry '" + entry.field + "'");
    }
  }
  if (!any_raw) {
    return;
  }

  // Where the placeholders sit: the bytes that differ between an 'A' and a 'B' encoding.
  const std::vector<unsigned char> with_a = placeholder_der(entries, 'A');
  const std::vector<unsigned char> with_b = placeholder_der(entries, 'B');
  const unsigned char* der = nullptr;
  std::size_t length = 0;
  if (X509_NAME_get0_der(name, &der, &length) != 1 || length != with_a.size()
      || with_a.size() != with_b.size()) {
    fail("name encoding");
  }
  // The cached encoding is patched in place; the name stays "unmodified" so OpenSSL keeps it.
  auto* bytes = const_cast<unsigned char*>(der);

  std::size_t cursor = 0;
  int index = 0;
  for (const NameEntry& entry : entries) {
    const int position = index++;
    if (entry.asn1_type == 0) {
      continue;
    }
    X509_NAME_ENTRY* name_entry = X509_NAME_get_entry(name, position);
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(name_entry);
    if (ASN1_STRING_set(data, entry.value.data(), static_cast<int>(entry.value.size())) != 1) {
      fail("raw name entry");
    }
    data->type = entry.asn1_type;
    if (entry.value.empty()) {
      // Nothing to find; only the tag differs. Find the first "14 00" after the cursor.
      while (cursor + 1 < length && !(bytes[cursor] == V_ASN1_T61STRING && bytes[cursor + 1] == 0)) {
        ++cursor;
      }
      if (cursor + 1 >= length) {
        fail("empty raw name entry not found");
      }
      bytes[cursor] = static_cast<unsigned char>(entry.asn1_type);
      cursor += 2;
      continue;
    }
    while (cursor < length && with_a[cursor] == with_b[cursor]) {
      ++cursor;
    }
    const std::size_t start = cursor;
    const std::size_t size = entry.value.size();
    if (start + size > length) {
      fail("raw name entry not found");
    }
    const std::size_t length_octets = size < 0x80 ? 1 : size < 0x100 ? 2 : size < 0x10000 ? 3 : 4;
    if (start < 1 + length_octets || bytes[start - 1 - length_octets] != V_ASN1_T61STRING) {
      fail("raw name entry tag not found");
    }
    bytes[start - 1 - length_octets] = static_cast<unsigned char>(entry.asn1_type);
    std::memcpy(bytes + start, entry.value.data(), size);
    cursor = start + size;
  }
}

void add_extension(X509* cert, X509V3_CTX* context, int nid, const std::string& value)
{
  std::unique_ptr<X509_EXTENSION, ExtensionDeleter> extension(
      X509V3_EXT_conf_nid(nullptr, context, nid, value.c_str()));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    fail(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
}

struct ObjectDeleter
{
  void operator()(ASN1_OBJECT* p) const { ASN1_OBJECT_free(p); }
};
struct OctetDeleter
{
  void operator()(ASN1_OCTET_STRING* p) const { ASN1_OCTET_STRING_free(p); }
};

// A non-critical k_padding_extension_oid extension whose value is `size` bytes.
void add_padding_extension(X509* cert, std::size_t size)
{
  std::unique_ptr<ASN1_OBJECT, ObjectDeleter> oid(OBJ_txt2obj(k_padding_extension_oid, 1));
  std::unique_ptr<ASN1_OCTET_STRING, OctetDeleter> value(ASN1_OCTET_STRING_new());
  // The extension's value must itself be DER: an OCTET STRING of 'P' bytes.
  std::vector<unsigned char> inner(size, 'P');
  std::unique_ptr<ASN1_OCTET_STRING, OctetDeleter> padding(ASN1_OCTET_STRING_new());
  unsigned char* encoded = nullptr;
  if (!oid || !value || !padding
      || ASN1_OCTET_STRING_set(padding.get(), inner.data(), static_cast<int>(inner.size())) != 1) {
    fail("padding extension");
  }
  const int length = i2d_ASN1_OCTET_STRING(padding.get(), &encoded);
  if (length <= 0 || ASN1_OCTET_STRING_set(value.get(), encoded, length) != 1) {
    OPENSSL_free(encoded);
    fail("padding extension");
  }
  OPENSSL_free(encoded);
  std::unique_ptr<X509_EXTENSION, ExtensionDeleter> extension(
      X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    fail("padding extension");
  }
}

// DER of the signature algorithm OID of `cert` (tag and length included).
std::vector<unsigned char> signature_oid_der(const X509* cert)
{
  const X509_ALGOR* algorithm = nullptr;
  X509_get0_signature(nullptr, &algorithm, cert);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  unsigned char* encoded = nullptr;
  const int length = i2d_ASN1_OBJECT(oid, &encoded);
  if (length <= 0) {
    fail("signature algorithm OID");
  }
  std::vector<unsigned char> der(encoded, encoded + length);
  OPENSSL_free(encoded);
  return der;
}

// 1.3.6.1.4.1.99999 then ".1" arcs: an unknown OID whose DER has exactly the length of `known`.
std::vector<unsigned char> unknown_oid_like(const std::vector<unsigned char>& known)
{
  static const unsigned char k_prefix[] = {0x2B, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8D, 0x1F};
  if (known.size() < 2 || known[1] >= 0x80 || known.size() - 2 < sizeof k_prefix) {
    throw std::runtime_error(
        "cert_factory: the signature algorithm OID is too short to be replaced in place");
  }
  std::vector<unsigned char> unknown = {known[0], known[1]};
  unknown.insert(unknown.end(), std::begin(k_prefix), std::end(k_prefix));
  unknown.resize(known.size(), 0x01);
  return unknown;
}

} // namespace

X509Ptr with_unknown_signature_algorithm(const X509* cert)
{
  const std::vector<unsigned char> known = signature_oid_der(cert);
  const std::vector<unsigned char> unknown = unknown_oid_like(known);
  std::vector<unsigned char> der = to_der(cert);
  int replaced = 0;
  for (auto at = std::search(der.begin(), der.end(), known.begin(), known.end()); at != der.end();
       at = std::search(at + static_cast<std::ptrdiff_t>(known.size()), der.end(), known.begin(),
                        known.end())) {
    std::copy(unknown.begin(), unknown.end(), at);
    ++replaced;
  }
  if (replaced != 2) {
    throw std::runtime_error("cert_factory: expected the signature algorithm OID twice, found it "
                             + std::to_string(replaced) + " times");
  }
  const unsigned char* cursor = der.data();
  X509Ptr rewritten(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (!rewritten) {
    fail("re-reading the certificate with an unknown signature algorithm");
  }
  return rewritten;
}

std::string signature_oid_text(const X509* cert)
{
  const X509_ALGOR* algorithm = nullptr;
  X509_get0_signature(nullptr, &algorithm, cert);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  char text[128];
  const int length = OBJ_obj2txt(text, sizeof text, oid, 1);
  return length > 0 ? std::string(text, static_cast<std::size_t>(std::min<int>(length, sizeof text - 1))) : "";
}

PkeyPtr generate_key(const KeySpec& spec)
{
  const std::string type = lower(spec.type);
  EVP_PKEY* key = nullptr;
  if (type == "rsa") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(spec.bits));
  } else if (type == "rsa-pss") {
    return generate_rsa_pss(spec.bits);
  } else if (type == "ec") {
    const std::string curve = canonical_curve(spec.curve);
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve.c_str());
  } else if (type == "ed25519") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else if (type == "ed448") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448");
  } else if (type == "dsa") {
    return generate_dsa(spec.bits);
  } else {
    throw std::runtime_error("cert_factory: unknown key type '" + spec.type + "'");
  }
  if (key == nullptr) {
    fail("key generation " + key_label(spec));
  }
  return PkeyPtr(key);
}

std::vector<NameEntry> parse_subject(const std::string& text)
{
  // Slash form when it starts with '/', otherwise comma-separated; '\' escapes the next char.
  const bool slash_form = !text.empty() && text.front() == '/';
  const char separator = slash_form ? '/' : ',';
  std::vector<std::string> parts;
  std::string current;
  bool escaped = false;
  for (std::size_t i = slash_form ? 1 : 0; i < text.size(); ++i) {
    const char c = text[i];
    if (escaped) {
      current += c;
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == separator) {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(current);

  std::vector<NameEntry> entries;
  for (std::string part : parts) {
    if (!slash_form) {
      const auto first = part.find_first_not_of(' ');
      part = first == std::string::npos ? std::string() : part.substr(first);
    }
    if (part.empty()) {
      continue;
    }
    const auto equals = part.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw std::runtime_error("cert_factory: bad name component '" + part + "' in '" + text + "'");
    }
    std::string field = part.substr(0, equals);
    while (!field.empty() && field.back() == ' ') {
      field.pop_back();
    }
    entries.push_back(NameEntry{field, part.substr(equals + 1), 0});
  }
  return entries;
}

X509Ptr make_certificate(const CertSpec& spec, EVP_PKEY* subject_key, const X509* issuer,
                         EVP_PKEY* issuer_key)
{
  if (subject_key == nullptr || issuer_key == nullptr) {
    throw std::runtime_error("cert_factory: make_certificate needs a subject and an issuer key");
  }
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    fail("X509_new");
  }
  set_serial(cert.get(), spec.serial_hex);

  add_entries(X509_get_subject_name(cert.get()), spec.subject);
  if (issuer == nullptr) {
    add_entries(X509_get_issuer_name(cert.get()), spec.subject);
  } else if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1) {
    fail("issuer name (an issuer with an unparseable name cannot issue)");
  }

  const std::time_t now = std::time(nullptr);
  set_time(X509_getm_notBefore(cert.get()), spec.not_before_text, now,
           spec.not_before_offset_seconds, "notBefore");
  set_time(X509_getm_notAfter(cert.get()), spec.not_after_text, now, spec.not_after_offset_seconds,
           "notAfter");
  if (X509_set_pubkey(cert.get(), subject_key) != 1) {
    fail("public key");
  }

  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer == nullptr ? cert.get() : const_cast<X509*>(issuer), cert.get(),
                 nullptr, nullptr, 0);
  if (spec.ca) {
    add_extension(cert.get(), &context, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), &context, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  }
  add_extension(cert.get(), &context, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) {
    add_extension(cert.get(), &context, NID_authority_key_identifier, "keyid");
  }
  if (spec.padding_bytes > 0) {
    add_padding_extension(cert.get(), spec.padding_bytes);
  }
  if (!spec.san.empty()) {
    std::string joined;
    for (const std::string& entry : spec.san) {
      joined += (joined.empty() ? "" : ",") + entry;
    }
    add_extension(cert.get(), &context, NID_subject_alt_name, joined);
  }

  // Edwards keys sign without a separate digest; everything else uses the named one.
  const bool edwards = is_edwards(issuer_key);
  if (!edwards && EVP_get_digestbyname(spec.hash.c_str()) == nullptr) {
    throw std::runtime_error("cert_factory: unknown hash '" + spec.hash + "'");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> md_context(EVP_MD_CTX_new());
  if (!md_context
      || EVP_DigestSignInit_ex(md_context.get(), nullptr, edwards ? nullptr : spec.hash.c_str(),
                               nullptr, nullptr, issuer_key, nullptr)
             != 1) {
    fail("signature setup with " + spec.hash);
  }
  if (X509_sign_ctx(cert.get(), md_context.get()) <= 0) {
    fail("signing with " + spec.hash);
  }
  return cert;
}

std::vector<unsigned char> to_der(const X509* cert)
{
  unsigned char* buffer = nullptr;
  const int length = i2d_X509(cert, &buffer);
  if (length <= 0) {
    fail("i2d_X509");
  }
  std::vector<unsigned char> der(buffer, buffer + length);
  OPENSSL_free(buffer);
  return der;
}

std::string to_pem(const X509* cert)
{
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    fail("PEM_write_bio_X509");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string key_to_pem(EVP_PKEY* key)
{
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string sha256_hex_bytes(const std::vector<unsigned char>& bytes)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    fail("SHA-256");
  }
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    hex += k_digits[digest[i] >> 4];
    hex += k_digits[digest[i] & 0x0f];
  }
  return hex;
}

std::string sha256_hex(const X509* cert)
{
  return sha256_hex_bytes(to_der(cert));
}

std::string key_label(const KeySpec& spec)
{
  const std::string type = lower(spec.type);
  if (type == "ec") {
    return "ec:" + canonical_curve(spec.curve);
  }
  if (type == "ed25519" || type == "ed448") {
    return type;
  }
  return type + ":" + std::to_string(spec.bits);
}

std::vector<unsigned char> from_hex(const std::string& hex)
{
  std::vector<unsigned char> bytes;
  int high = -1;
  for (char c : hex) {
    if (c == ':' || c == ' ') {
      continue;
    }
    int nibble = -1;
    if (c >= '0' && c <= '9') {
      nibble = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      nibble = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      nibble = c - 'A' + 10;
    } else {
      throw std::runtime_error("cert_factory: bad hex '" + hex + "'");
    }
    if (high < 0) {
      high = nibble;
    } else {
      bytes.push_back(static_cast<unsigned char>(high << 4 | nibble));
      high = -1;
    }
  }
  if (high >= 0) {
    throw std::runtime_error("cert_factory: odd-length hex '" + hex + "'");
  }
  return bytes;
}

} // namespace fleetcert::testing
