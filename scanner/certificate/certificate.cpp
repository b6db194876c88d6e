// Certificate decoding: DER in, reportable fields out. Every name goes through OpenSSL's printers
// into a capped memory BIO; nothing here trusts a length or an encoding from the certificate.

#include "scanner/certificate/certificate.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/ip_address.hpp"
#include "scanner/util/openssl_handles.hpp"
#include "scanner/util/text.hpp"
#include "scanner/util/time.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace fleetcert {
namespace {

constexpr std::size_t k_max_name_bytes = 16 * 1024;  // subject / issuer text
constexpr std::size_t k_max_san_entries = 1024;
constexpr std::size_t k_max_san_bytes = 128 * 1024;

std::string to_hex(const unsigned char* data, std::size_t size)
{
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(k_digits[data[i] >> 4]);
    out.push_back(k_digits[data[i] & 0x0f]);
  }
  return out;
}

// The digest of `name` ("SHA256", "SHA1", "MD5"), fetched from the default provider once per
// process: OpenSSL 3 looks a legacy EVP_sha256() up in its provider store (under a lock) at every
// EVP_Digest, which costs more than hashing a certificate. Null when the provider lacks it.
const EVP_MD* fetched_digest(const char* name)
{
  // Never freed: the digests live as long as the process (one each).
  if (std::string_view(name) == "SHA256") {
    static const EVP_MD* const k_sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return k_sha256;
  }
  if (std::string_view(name) == "SHA1") {
    static const EVP_MD* const k_sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    return k_sha1;
  }
  static const EVP_MD* const k_md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return k_md5;
}

std::string digest_hex(const Der& der, const EVP_MD* md)
{
  // One context per thread, reused (a certificate takes four digests; EVP_Digest makes and frees
  // a context each time).
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  if (md == nullptr || !ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1
      || EVP_DigestUpdate(ctx.get(), der.data(), der.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), out.data(), &size) != 1) {
    return {};
  }
  return to_hex(out.data(), size);
}

// Reads at most `cap` bytes of what was printed into the BIO.
std::string bio_text(BIO* bio, std::size_t cap)
{
  const char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) {
    return {};
  }
  return std::string(data, std::min<std::size_t>(static_cast<std::size_t>(size), cap));
}

// "C=DE, ST=Germany, O=..., CN=..." (most significant first, as `openssl x509 -subject` shows).
// Multi-byte strings come out as UTF-8; if a string does not convert, its raw bytes are kept.
std::string name_text(const X509_NAME* name)
{
  if (name == nullptr) {
    return {};
  }
  constexpr unsigned long k_base = XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | XN_FLAG_DUMP_UNKNOWN_FIELDS
                                   | (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  // One memory BIO per thread, emptied before each name (a certificate prints two).
  thread_local const BioPtr bio(BIO_new(BIO_s_mem()));
  for (unsigned long flags : {k_base, k_base & ~ASN1_STRFLGS_UTF8_CONVERT}) {
    if (bio && BIO_reset(bio.get()) == 1 && X509_NAME_print_ex(bio.get(), name, 0, flags) >= 0) {
      return bio_text(bio.get(), k_max_name_bytes);
    }
  }
  return {};
}

// UTF-8 of an ASN.1 string, or its raw bytes when it does not convert.
std::string asn1_string_text(const ASN1_STRING* s)
{
  if (s == nullptr) {
    return {};
  }
  unsigned char* utf8 = nullptr;
  const int size = ASN1_STRING_to_UTF8(&utf8, s);
  if (size >= 0) {
    std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(size));
    OPENSSL_free(utf8);
    return out;
  }
  const unsigned char* raw = ASN1_STRING_get0_data(s);
  return std::string(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::string object_text(const ASN1_OBJECT* obj)
{
  std::array<char, 128> buf{};
  const int size = OBJ_obj2txt(buf.data(), static_cast<int>(buf.size()), obj, 1);
  if (size <= 0) {
    return "unknown";
  }
  return std::string(buf.data(), std::min<std::size_t>(static_cast<std::size_t>(size), buf.size() - 1));
}

// An iPAddress SAN as every address is written (RFC 5952 for IPv6); other sizes as <hex>.
std::string ip_text(const ASN1_OCTET_STRING* ip)
{
  const std::span<const unsigned char> bytes(ASN1_STRING_get0_data(ip),
                                             static_cast<std::size_t>(std::max(ASN1_STRING_length(ip), 0)));
  return format_address_bytes(bytes).value_or("<" + to_hex(bytes.data(), bytes.size()) + ">");
}

// The subject's last commonName.
void fill_common_name(const X509_NAME* subject, CertificateInfo& info)
{
  int index = -1;
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    index = i;
  }
  if (index >= 0) {
    info.has_cn = true;
    info.cn = asn1_string_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  }
}

void decode_san(const STACK_OF(X509_EXTENSION)* extensions, CertificateInfo& info)
{
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509V3_get_d2i(extensions, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) {
    return;
  }
  std::size_t total = 0;
  const int count = sk_GENERAL_NAME_num(names.get());
  for (int i = 0; i < count; ++i) {
    const GENERAL_NAME* gen = sk_GENERAL_NAME_value(names.get(), i);
    std::string entry;
    switch (gen->type) {
    case GEN_DNS: entry = "DNS:" + asn1_string_text(gen->d.dNSName); break;
    case GEN_EMAIL: entry = "email:" + asn1_string_text(gen->d.rfc822Name); break;
    case GEN_URI: entry = "URI:" + asn1_string_text(gen->d.uniformResourceIdentifier); break;
    case GEN_IPADD: entry = "IP:" + ip_text(gen->d.iPAddress); break;
    case GEN_DIRNAME: entry = "DirName:" + name_text(gen->d.directoryName); break;
    case GEN_RID: entry = "RID:" + object_text(gen->d.registeredID); break;
    case GEN_OTHERNAME: entry = "othername:" + object_text(gen->d.otherName->type_id); break;
    default: entry = "other:" + std::to_string(gen->type); break;
    }
    if (info.san.size() >= k_max_san_entries || total + entry.size() > k_max_san_bytes) {
      info.san_truncated = true;
      break;
    }
    total += entry.size();
    info.san.push_back(std::move(entry));
  }
}

std::string serial_text(const ASN1_INTEGER* serial)
{
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) {
    return {};
  }
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) {
    return {};
  }
  std::string out(hex);
  OPENSSL_free(hex);
  return ascii_lower(out);
}

std::optional<std::int64_t> time_value(const ASN1_TIME* t)
{
  struct tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return std::nullopt;
  }
  return epoch_of(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string hash_name(int md_nid)
{
  switch (md_nid) {
  case NID_md2: return "MD2";
  case NID_md4: return "MD4";
  case NID_md5: return "MD5";
  case NID_sha1: return "SHA1";
  case NID_sha224: return "SHA224";
  case NID_sha256: return "SHA256";
  case NID_sha384: return "SHA384";
  case NID_sha512: return "SHA512";
  case NID_sha3_256: return "SHA3-256";
  case NID_sha3_384: return "SHA3-384";
  case NID_sha3_512: return "SHA3-512";
  case NID_sm3: return "SM3";
  case NID_mdc2: return "MDC2";
  case NID_ripemd160: return "RIPEMD160";
  case NID_undef: return {};
  default: return OBJ_nid2sn(md_nid) ? OBJ_nid2sn(md_nid) : "unknown";
  }
}

std::string key_kind_for_signature(int pk_nid)
{
  switch (pk_nid) {
  case NID_rsaEncryption: return "RSA";
  case NID_rsassaPss: return "RSA-PSS";
  case NID_X9_62_id_ecPublicKey: return "ECDSA";
  case NID_dsa: return "DSA";
  case NID_ED25519: return "Ed25519";
  case NID_ED448: return "Ed448";
  case NID_undef: return {};
  default: return OBJ_nid2sn(pk_nid) ? OBJ_nid2sn(pk_nid) : "unknown";
  }
}

// The algorithm's name: OpenSSL's long name, or the OID.
std::string signature_algorithm_text(int sig_nid, const X509_ALGOR* alg)
{
  if (sig_nid != NID_undef && OBJ_nid2ln(sig_nid) != nullptr) {
    return OBJ_nid2ln(sig_nid);
  }
  if (alg != nullptr) {
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
    return oid ? object_text(oid) : "unknown";
  }
  return {};
}

SignatureInfo signature_of(std::string algorithm, int md_nid, int pk_nid)
{
  SignatureInfo sig;
  sig.algorithm = std::move(algorithm);
  sig.key = key_kind_for_signature(pk_nid);
  sig.hash = hash_name(md_nid);
  sig.label = sig.hash.empty() ? sig.key : sig.key + "+" + sig.hash;
  return sig;
}

SignatureInfo decode_signature(const X509* x)
{
  SignatureInfo sig;
  const int sig_nid = X509_get_signature_nid(x);
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(nullptr, &alg, x);
  if (sig_nid != NID_undef && OBJ_nid2ln(sig_nid) != nullptr) {
    sig.algorithm = OBJ_nid2ln(sig_nid);
  } else if (alg != nullptr) {
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
    sig.algorithm = oid ? object_text(oid) : "unknown";
  }

  int md_nid = NID_undef;
  int pk_nid = NID_undef;
  // X509_get_signature_info also reads RSA-PSS parameters for the hash; it wants a non-const X509
  // only because it may cache; the certificate is not modified in any observable way.
  if (X509_get_signature_info(const_cast<X509*>(x), &md_nid, &pk_nid, nullptr, nullptr) != 1
      && OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid) != 1) {
    sig.label = sig.algorithm; // unknown algorithm: key and hash stay empty
    return sig;
  }
  sig.key = key_kind_for_signature(pk_nid);
  sig.hash = hash_name(md_nid);
  sig.label = sig.hash.empty() ? sig.key : sig.key + "+" + sig.hash;
  return sig;
}

KeyInfo decode_key(const X509* x)
{
  KeyInfo key;
  unsigned char* spki = nullptr;
  const int spki_size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
  if (spki_size > 0) {
    key.spki_sha256 = digest_hex(Der(spki, spki + spki_size), fetched_digest("SHA256"));
    OPENSSL_free(spki);
  }
  EVP_PKEY* pkey = X509_get0_pubkey(x);
  if (pkey == nullptr) {
    // A key type OpenSSL cannot load: report its algorithm OID.
    const ASN1_OBJECT* oid = nullptr;
    if (X509_PUBKEY_get0_param(const_cast<ASN1_OBJECT**>(&oid), nullptr, nullptr, nullptr,
                               X509_get_X509_PUBKEY(x)) == 1 && oid != nullptr) {
      key.type = object_text(oid);
    } else {
      key.type = "unknown";
    }
    return key;
  }
  switch (EVP_PKEY_get_base_id(pkey)) {
  case EVP_PKEY_RSA: key.type = "RSA"; break;
  case EVP_PKEY_RSA_PSS: key.type = "RSA-PSS"; break;
  case EVP_PKEY_EC: key.type = "EC"; break;
  case EVP_PKEY_DSA: key.type = "DSA"; break;
  case EVP_PKEY_ED25519: key.type = "Ed25519"; break;
  case EVP_PKEY_ED448: key.type = "Ed448"; break;
  default: {
    const char* name = OBJ_nid2sn(EVP_PKEY_get_base_id(pkey));
    key.type = name ? name : "unknown";
  }
  }
  key.bits = EVP_PKEY_get_bits(pkey);
  if (key.type == "EC") {
    std::array<char, 80> group{};
    std::size_t size = 0;
    if (EVP_PKEY_get_group_name(pkey, group.data(), group.size(), &size) == 1) {
      const int nid = OBJ_sn2nid(group.data());
      const char* nist = nid != NID_undef ? EC_curve_nid2nist(nid) : nullptr;
      key.curve = nist ? nist : group.data();
    } else {
      key.curve = "explicit";
    }
  }
  return key;
}

// Lines that open a PEM block as OpenSSL reads them: "-----BEGIN <name>-----".
std::size_t count_pem_begin_lines(std::string_view text)
{
  std::size_t count = 0;
  for (std::string_view line : split(text, '\n')) {
    line = line.substr(0, line.find_last_not_of(" \t\r") + 1); // OpenSSL ignores trailing blanks only
    if (line.size() >= 16 && line.substr(0, 11) == "-----BEGIN " && line.substr(line.size() - 5) == "-----") {
      ++count;
    }
  }
  return count;
}

} // namespace

std::string_view hash_of_label(std::string_view label)
{
  const auto plus = label.find('+');
  return plus == std::string_view::npos ? std::string_view() : label.substr(plus + 1);
}

std::string der_to_pem(const Der& der)
{
  // What PEM_write_bio writes for "CERTIFICATE" without headers (a unit test compares them), built
  // without a BIO: every record carries its chain as PEM.
  if (der.empty()) {
    return {}; // PEM_write_bio refuses to write nothing
  }
  static constexpr std::string_view k_begin = "-----BEGIN CERTIFICATE-----\n";
  static constexpr std::string_view k_end = "-----END CERTIFICATE-----\n";
  static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  constexpr std::size_t k_line_bytes = 48; // 64 characters of base64
  const std::size_t encoded = (der.size() + 2) / 3 * 4;
  std::string pem;
  pem.reserve(k_begin.size() + encoded + encoded / 64 + 1 + k_end.size());
  pem += k_begin;
  for (std::size_t line = 0; line < der.size(); line += k_line_bytes) {
    const std::size_t end = std::min(der.size(), line + k_line_bytes);
    for (std::size_t i = line; i < end; i += 3) {
      const std::size_t left = end - i;
      const std::uint32_t group = (std::uint32_t{der[i]} << 16) | (left > 1 ? std::uint32_t{der[i + 1]} << 8 : 0U)
                                  | (left > 2 ? std::uint32_t{der[i + 2]} : 0U);
      pem += k_alphabet[(group >> 18) & 0x3f];
      pem += k_alphabet[(group >> 12) & 0x3f];
      pem += left > 1 ? k_alphabet[(group >> 6) & 0x3f] : '=';
      pem += left > 2 ? k_alphabet[group & 0x3f] : '=';
    }
    pem += '\n';
  }
  pem += k_end;
  return pem;
}

Result<std::vector<Der>> pem_to_ders(std::string_view pem)
{
  if (pem.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return Error{"PEM text larger than 2 GiB"};
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    ERR_clear_error();
    return Error{"out of memory reading PEM"};
  }
  std::vector<Der> ders;
  std::size_t blocks = 0; // BEGIN lines read so far
  std::size_t consumed = 0;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    const int read = PEM_read_bio(bio.get(), &name, &header, &data, &length);
    const std::unique_ptr<char, OpensslFree> name_owner(name);
    const std::unique_ptr<char, OpensslFree> header_owner(header);
    const std::unique_ptr<unsigned char, OpensslFree> data_owner(data);
    if (read != 1) {
      const unsigned long error = ERR_peek_last_error();
      ERR_clear_error();
      if (ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE) {
        return ders; // no further block
      }
      return Error{"PEM block " + std::to_string(blocks + 1) + " is not valid base64 or has no END line"};
    }
    // OpenSSL starts over at a BEGIN line inside a block: the block cut short must not vanish.
    const char* rest = nullptr;
    const long left = BIO_get_mem_data(bio.get(), &rest);
    const std::size_t now = pem.size() - static_cast<std::size_t>(std::max(left, 0L));
    const std::size_t begins = count_pem_begin_lines(pem.substr(consumed, now - consumed));
    consumed = now;
    if (begins > 1) {
      return Error{"PEM block " + std::to_string(blocks + 1) + " has no END line"};
    }
    ++blocks;
    if (std::string_view(name) != PEM_STRING_X509) {
      continue;
    }
    if (length <= 0) {
      return Error{"PEM block " + std::to_string(blocks) + " is empty"};
    }
    ders.emplace_back(data, data + length);
  }
}

Result<std::vector<Der>> read_certificate_bundle(std::string_view pem_text, std::string_view source_name)
{
  auto ders = pem_to_ders(pem_text);
  if (!ders) {
    return Error{std::string(source_name) + ": " + ders.error()};
  }
  if (ders->empty()) {
    return Error{std::string(source_name) + ": no PEM certificate found"};
  }
  for (std::size_t i = 0; i < ders->size(); ++i) {
    if (!decode_x509((*ders)[i])) {
      return Error{std::string(source_name) + ": certificate " + std::to_string(i + 1) + " does not decode"};
    }
  }
  return ders;
}

std::string sha256_hex(const Der& der)
{
  return digest_hex(der, fetched_digest("SHA256"));
}

namespace {

// A DER element: its tag byte, the whole TLV and its content. Definite lengths only.
struct Tlv
{
  unsigned char tag = 0;
  std::span<const unsigned char> whole;
  std::span<const unsigned char> content;
};

// Reads the element at the start of `in` and moves `in` past it; nullopt for a high tag number, an
// indefinite or over-long length, or one that runs past `in`.
std::optional<Tlv> next_tlv(std::span<const unsigned char>& in)
{
  if (in.size() < 2 || (in[0] & 0x1F) == 0x1F) {
    return std::nullopt;
  }
  std::size_t length = in[1];
  std::size_t header = 2;
  if (length & 0x80) {
    const std::size_t bytes = length & 0x7F;
    if (bytes == 0 || bytes > 3 || in.size() < 2 + bytes) {
      return std::nullopt;
    }
    length = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
      length = (length << 8) | in[2 + i];
    }
    header += bytes;
  }
  if (in.size() - header < length) {
    return std::nullopt;
  }
  Tlv tlv{in[0], in.first(header + length), in.subspan(header, length)};
  in = in.subspan(header + length);
  return tlv;
}

// d2i of exactly the bytes of `tlv` with OpenSSL's own decoder for that type; null when it
// refuses them or leaves some over.
template <typename T, typename D2i>
std::unique_ptr<T, void (*)(T*)> d2i_exactly(const Tlv& tlv, D2i d2i, void (*free)(T*))
{
  const unsigned char* p = tlv.whole.data();
  std::unique_ptr<T, void (*)(T*)> out(d2i(nullptr, &p, static_cast<long>(tlv.whole.size())), free);
  if (out && p != tlv.whole.data() + tlv.whole.size()) {
    out.reset();
  }
  return out;
}

void free_extensions(X509_EXTENSIONS* extensions)
{
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
}

// The named curve of an EC key, made once per curve and thread (EC_GROUP_new_by_curve_name builds
// the group's tables; the point check needs it).
const EC_GROUP* curve_group(int nid)
{
  thread_local std::vector<std::pair<int, std::unique_ptr<EC_GROUP, void (*)(EC_GROUP*)>>> groups;
  for (const auto& [known, group] : groups) {
    if (known == nid) {
      return group.get();
    }
  }
  std::unique_ptr<EC_GROUP, void (*)(EC_GROUP*)> group(EC_GROUP_new_by_curve_name(nid), EC_GROUP_free);
  ERR_clear_error();
  if (!group) {
    return nullptr;
  }
  groups.emplace_back(nid, std::move(group));
  return groups.back().second.get();
}

// The key facts of a SubjectPublicKeyInfo, as decode_key gives them from OpenSSL's EVP_PKEY, for
// the key types whose decoding is plain: RSA, EC on a named curve with a NIST name, Ed25519,
// Ed448. nullopt for anything else (the caller lets OpenSSL decode the whole certificate).
struct PlainKey
{
  KeyInfo info;
  int nid = NID_undef;       // rsaEncryption, id-ecPublicKey, ED25519, ED448
  int curve = NID_undef;     // EC only
  std::span<const unsigned char> modulus, exponent; // RSA only: the INTEGERs' bytes
  std::span<const unsigned char> key;               // EC point, EdDSA key: the BIT STRING's bytes
};

std::optional<PlainKey> plain_key(const Tlv& spki)
{
  std::span<const unsigned char> in = spki.content;
  const auto alg_tlv = next_tlv(in);
  const auto key_tlv = next_tlv(in);
  if (!alg_tlv || !key_tlv || !in.empty() || alg_tlv->tag != 0x30 || key_tlv->tag != 0x03) {
    return std::nullopt;
  }
  const auto alg = d2i_exactly<X509_ALGOR>(*alg_tlv, d2i_X509_ALGOR, X509_ALGOR_free);
  const auto bits = d2i_exactly<ASN1_BIT_STRING>(*key_tlv, d2i_ASN1_BIT_STRING, ASN1_BIT_STRING_free);
  if (!alg || !bits || key_tlv->content.empty() || key_tlv->content[0] != 0) {
    return std::nullopt; // unused bits in the key: OpenSSL's re-encoding (its SPKI digest) masks them
  }
  unsigned char* encoded = nullptr;
  const int encoded_size = i2d_X509_ALGOR(alg.get(), &encoded);
  const bool canonical = encoded_size == static_cast<int>(alg_tlv->whole.size())
                         && std::equal(alg_tlv->whole.begin(), alg_tlv->whole.end(), encoded);
  OPENSSL_free(encoded);
  if (!canonical) {
    return std::nullopt; // the SPKI digest is of OpenSSL's re-encoding: only the same bytes will do
  }
  const ASN1_OBJECT* oid = nullptr;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  X509_ALGOR_get0(&oid, &param_type, &param, alg.get());
  // The key's bytes in the SPKI itself (after the BIT STRING's unused-bits byte, which is 0):
  // the spans outlive `bits`.
  const unsigned char* key = key_tlv->content.data() + 1;
  const std::size_t key_length = key_tlv->content.size() - 1;
  PlainKey plain;
  plain.nid = OBJ_obj2nid(oid);
  plain.key = std::span<const unsigned char>(key, key_length);
  KeyInfo& info = plain.info;
  info.spki_sha256 = digest_hex(Der(spki.whole.begin(), spki.whole.end()), fetched_digest("SHA256"));
  switch (OBJ_obj2nid(oid)) {
  case NID_rsaEncryption: {
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }; OpenSSL reads both as
    // unsigned big numbers and reports the modulus's bits.
    std::span<const unsigned char> rsa(key, key_length);
    const auto sequence = next_tlv(rsa);
    if (!sequence || sequence->tag != 0x30) {
      return std::nullopt;
    }
    std::span<const unsigned char> numbers = sequence->content;
    const auto modulus = next_tlv(numbers);
    const auto exponent = next_tlv(numbers);
    if (!modulus || !exponent || !numbers.empty() || modulus->tag != 0x02 || exponent->tag != 0x02
        || modulus->content.empty() || exponent->content.empty() || (modulus->content[0] & 0x80) != 0
        || (exponent->content[0] & 0x80) != 0) {
      return std::nullopt;
    }
    BignumPtr n(BN_bin2bn(modulus->content.data(), static_cast<int>(modulus->content.size()), nullptr));
    if (!n || BN_is_zero(n.get())) {
      return std::nullopt;
    }
    info.type = "RSA";
    info.bits = BN_num_bits(n.get());
    plain.modulus = modulus->content;
    plain.exponent = exponent->content;
    return plain;
  }
  case NID_X9_62_id_ecPublicKey: {
    if (param_type != V_ASN1_OBJECT || param == nullptr) {
      return std::nullopt; // explicit parameters: OpenSSL's decoder judges them
    }
    const int curve = OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(param));
    const char* nist = curve != NID_undef ? EC_curve_nid2nist(curve) : nullptr;
    const EC_GROUP* group = nist != nullptr ? curve_group(curve) : nullptr;
    if (group == nullptr) {
      return std::nullopt;
    }
    // The point must be on the curve, as OpenSSL's decoder requires.
    std::unique_ptr<EC_POINT, void (*)(EC_POINT*)> point(EC_POINT_new(group), EC_POINT_free);
    if (!point || EC_POINT_oct2point(group, point.get(), key, key_length, nullptr) != 1) {
      ERR_clear_error();
      return std::nullopt;
    }
    info.type = "EC";
    info.bits = EC_GROUP_order_bits(group);
    info.curve = nist;
    plain.curve = curve;
    return plain;
  }
  case NID_ED25519:
  case NID_ED448: {
    const bool ed25519 = OBJ_obj2nid(oid) == NID_ED25519;
    if (param_type != V_ASN1_UNDEF || key_length != (ed25519 ? 32U : 57U)) {
      return std::nullopt;
    }
    info.type = ed25519 ? "Ed25519" : "Ed448";
    info.bits = ed25519 ? 256 : 456; // what EVP_PKEY_get_bits says (OpenSSL 3.0)
    return plain;
  }
  default: return std::nullopt;
  }
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)>;

// A public key of `type` ("RSA", "EC") from the parameters in `build` (EVP_PKEY_fromdata); null
// when OpenSSL refuses them.
PkeyPtr import_public_key(const char* type, OSSL_PARAM_BLD* build)
{
  PkeyPtr key(nullptr, EVP_PKEY_free);
  std::unique_ptr<OSSL_PARAM, void (*)(OSSL_PARAM*)> params(OSSL_PARAM_BLD_to_param(build), OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr),
                                                             EVP_PKEY_CTX_free);
  EVP_PKEY* imported = nullptr;
  if (params && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1
      && EVP_PKEY_fromdata(ctx.get(), &imported, EVP_PKEY_PUBLIC_KEY, params.get()) == 1) {
    key.reset(imported);
  }
  ERR_clear_error();
  return key;
}

// An EC public key on the named curve `curve` at `point`. The thread's first key of each curve is
// imported from its numbers and kept, like curve_group's groups; every key is a copy of it given
// its own point (EVP_PKEY_set1_encoded_public_key decodes and checks the point as the import
// does). An import builds the curve's group, most of its 14 µs; a copy takes 3 µs.
PkeyPtr ec_public_key(int curve, std::span<const unsigned char> point)
{
  thread_local std::vector<std::pair<int, PkeyPtr>> templates;
  PkeyPtr none(nullptr, EVP_PKEY_free);
  const auto known = std::find_if(templates.begin(), templates.end(), [curve](const auto& t) { return t.first == curve; });
  EVP_PKEY* model = known != templates.end() ? known->second.get() : nullptr;
  if (model == nullptr) {
    std::unique_ptr<OSSL_PARAM_BLD, void (*)(OSSL_PARAM_BLD*)> build(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
    const char* group = OBJ_nid2sn(curve);
    if (!build || group == nullptr
        || OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1
        || OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
      return none;
    }
    PkeyPtr imported = import_public_key("EC", build.get());
    if (!imported) {
      return none;
    }
    model = templates.emplace_back(curve, std::move(imported)).second.get();
  }
  PkeyPtr key(EVP_PKEY_dup(model), EVP_PKEY_free);
  if (key && EVP_PKEY_set1_encoded_public_key(key.get(), point.data(), point.size()) != 1) {
    key.reset();
  }
  ERR_clear_error();
  return key;
}

// The public key of `plain` as an EVP_PKEY, built from its numbers, not decoded; null when OpenSSL
// refuses them.
PkeyPtr key_from_data(const PlainKey& plain)
{
  PkeyPtr none(nullptr, EVP_PKEY_free);
  if (plain.nid == NID_ED25519 || plain.nid == NID_ED448) {
    none.reset(EVP_PKEY_new_raw_public_key_ex(nullptr, plain.nid == NID_ED25519 ? "ED25519" : "ED448", nullptr,
                                              plain.key.data(), plain.key.size()));
    return none;
  }
  if (plain.nid == NID_X9_62_id_ecPublicKey) {
    return ec_public_key(plain.curve, plain.key);
  }
  if (plain.nid != NID_rsaEncryption) {
    return none;
  }
  std::unique_ptr<OSSL_PARAM_BLD, void (*)(OSSL_PARAM_BLD*)> build(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  const BignumPtr n(BN_bin2bn(plain.modulus.data(), static_cast<int>(plain.modulus.size()), nullptr));
  const BignumPtr e(BN_bin2bn(plain.exponent.data(), static_cast<int>(plain.exponent.size()), nullptr));
  if (!build || !n || !e || OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1
      || OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    ERR_clear_error();
    return none;
  }
  return import_public_key("RSA", build.get());
}

// What X509_verify(cert, its own key) answers, from the parts: the outer and inner signature
// algorithms must be the same, the signature's bit string whole, the algorithm's key type the
// key's, its digest one OpenSSL has; then the signature over the TBSCertificate's bytes as sent.
bool verifies_itself(const Tlv& tbs, const X509_ALGOR* tbs_alg, const X509_ALGOR* sig_alg,
                     const ASN1_BIT_STRING* signature, int md_nid, int pk_nid, EVP_PKEY* key)
{
  if (X509_ALGOR_cmp(sig_alg, tbs_alg) != 0 || (signature->flags & 0x7) != 0 || pk_nid == NID_undef
      || EVP_PKEY_is_a(key, OBJ_nid2sn(pk_nid)) != 1) {
    return false;
  }
  const EVP_MD* md = nullptr;
  if (md_nid != NID_undef && (md = EVP_get_digestbynid(md_nid)) == nullptr) {
    return false;
  }
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return ctx
         && EVP_DigestVerifyInit_ex(ctx.get(), nullptr, md != nullptr ? EVP_MD_get0_name(md) : nullptr, nullptr, nullptr,
                                    key, nullptr) == 1
         && EVP_DigestVerify(ctx.get(), ASN1_STRING_get0_data(signature), static_cast<std::size_t>(ASN1_STRING_length(signature)),
                             tbs.whole.data(), tbs.whole.size()) == 1;
}

// Decodes a certificate without building OpenSSL's X509 object, whose decoding of the public key
// sets up OpenSSL 3.0's provider decoders each time (most of a certificate's CPU): the DER is
// split into its parts here and each part decoded by OpenSSL's own decoder for that type, the key
// read by plain_key (and, for a self-issued certificate, built from its numbers to verify its own
// signature as X509_verify does). nullopt whenever the certificate is anything but plain DER of
// the shape every decoder accepts, uses RSA-PSS, a signature without a hash other than EdDSA, or an
// unusual key: the caller then parses it with d2i_X509, as before. When it answers, the facts are
// those decode_certificate(X509) would give (tests compare the two on every certificate they make
// and on thousands of mutations).
std::optional<CertificateInfo> decode_plain(const Der& der)
{
  std::span<const unsigned char> in(der);
  const auto certificate = next_tlv(in);
  if (!certificate || !in.empty() || certificate->tag != 0x30) {
    return std::nullopt;
  }
  std::span<const unsigned char> parts = certificate->content;
  const auto tbs = next_tlv(parts);
  const auto outer_alg = next_tlv(parts);
  const auto signature = next_tlv(parts);
  if (!tbs || !outer_alg || !signature || !parts.empty() || tbs->tag != 0x30 || outer_alg->tag != 0x30
      || signature->tag != 0x03) {
    return std::nullopt;
  }
  std::span<const unsigned char> fields = tbs->content;
  auto field = next_tlv(fields);
  if (field && field->tag == 0xA0) { // [0] EXPLICIT version
    std::span<const unsigned char> inner = field->content;
    const auto version = next_tlv(inner);
    if (!version || !inner.empty() || version->tag != 0x02
        || !d2i_exactly<ASN1_INTEGER>(*version, d2i_ASN1_INTEGER, ASN1_INTEGER_free)) {
      return std::nullopt;
    }
    field = next_tlv(fields);
  }
  const auto serial_tlv = field;
  const auto inner_alg = next_tlv(fields);
  const auto issuer_tlv = next_tlv(fields);
  const auto validity = next_tlv(fields);
  const auto subject_tlv = next_tlv(fields);
  const auto spki = next_tlv(fields);
  if (!serial_tlv || !inner_alg || !issuer_tlv || !validity || !subject_tlv || !spki || serial_tlv->tag != 0x02
      || inner_alg->tag != 0x30 || issuer_tlv->tag != 0x30 || validity->tag != 0x30 || subject_tlv->tag != 0x30
      || spki->tag != 0x30) {
    return std::nullopt;
  }
  std::unique_ptr<X509_EXTENSIONS, void (*)(X509_EXTENSIONS*)> extensions(nullptr, free_extensions);
  if (!fields.empty()) {
    const auto tagged = next_tlv(fields);
    if (!tagged || !fields.empty() || tagged->tag != 0xA3) { // issuer/subject unique IDs: OpenSSL's way
      return std::nullopt;
    }
    std::span<const unsigned char> inner = tagged->content;
    const auto list = next_tlv(inner);
    if (!list || !inner.empty() || list->tag != 0x30) {
      return std::nullopt;
    }
    extensions = d2i_exactly<X509_EXTENSIONS>(*list, d2i_X509_EXTENSIONS, free_extensions);
    if (!extensions) {
      return std::nullopt;
    }
  }
  std::span<const unsigned char> times = validity->content;
  const auto not_before_tlv = next_tlv(times);
  const auto not_after_tlv = next_tlv(times);
  if (!not_before_tlv || !not_after_tlv || !times.empty()) {
    return std::nullopt;
  }
  const auto serial = d2i_exactly<ASN1_INTEGER>(*serial_tlv, d2i_ASN1_INTEGER, ASN1_INTEGER_free);
  const auto tbs_alg = d2i_exactly<X509_ALGOR>(*inner_alg, d2i_X509_ALGOR, X509_ALGOR_free);
  const auto sig_alg = d2i_exactly<X509_ALGOR>(*outer_alg, d2i_X509_ALGOR, X509_ALGOR_free);
  const auto issuer = d2i_exactly<X509_NAME>(*issuer_tlv, d2i_X509_NAME, X509_NAME_free);
  const auto subject = d2i_exactly<X509_NAME>(*subject_tlv, d2i_X509_NAME, X509_NAME_free);
  const auto not_before = d2i_exactly<ASN1_TIME>(*not_before_tlv, d2i_ASN1_TIME, ASN1_TIME_free);
  const auto not_after = d2i_exactly<ASN1_TIME>(*not_after_tlv, d2i_ASN1_TIME, ASN1_TIME_free);
  const auto signature_bits = d2i_exactly<ASN1_BIT_STRING>(*signature, d2i_ASN1_BIT_STRING, ASN1_BIT_STRING_free);
  if (!serial || !tbs_alg || !sig_alg || !issuer || !subject || !not_before || !not_after || !signature_bits) {
    ERR_clear_error();
    return std::nullopt;
  }
  const bool self_issued = X509_NAME_cmp(subject.get(), issuer.get()) == 0;
  const ASN1_OBJECT* sig_oid = nullptr;
  X509_ALGOR_get0(&sig_oid, nullptr, nullptr, sig_alg.get());
  const int sig_nid = OBJ_obj2nid(sig_oid);
  int md_nid = NID_undef;
  int pk_nid = NID_undef;
  SignatureInfo sig;
  if (sig_nid == NID_rsassaPss) {
    return std::nullopt; // the hash is in the parameters: OpenSSL reads them
  }
  if (OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid) != 1) {
    sig.algorithm = signature_algorithm_text(sig_nid, sig_alg.get());
    sig.label = sig.algorithm;
  } else if (md_nid == NID_undef && pk_nid != NID_ED25519 && pk_nid != NID_ED448) {
    return std::nullopt;
  } else {
    sig = signature_of(signature_algorithm_text(sig_nid, sig_alg.get()), md_nid, pk_nid);
  }
  std::optional<PlainKey> key = plain_key(*spki);
  if (!key) {
    ERR_clear_error();
    return std::nullopt;
  }
  bool self_signed = false;
  if (self_issued) {
    // Self-signed needs its own key to verify its signature (decode_certificate's X509_verify).
    const auto own_key = key_from_data(*key);
    if (!own_key) {
      ERR_clear_error();
      return std::nullopt;
    }
    self_signed = verifies_itself(*tbs, tbs_alg.get(), sig_alg.get(), signature_bits.get(), md_nid, pk_nid,
                                  own_key.get());
  }

  CertificateInfo info;
  info.sha256 = digest_hex(der, fetched_digest("SHA256"));
  info.sha1 = digest_hex(der, fetched_digest("SHA1"));
  info.md5 = digest_hex(der, fetched_digest("MD5"));
  info.parsed = true;
  info.subject = name_text(subject.get());
  info.issuer = name_text(issuer.get());
  fill_common_name(subject.get(), info);
  decode_san(extensions.get(), info);
  info.serial = serial_text(serial.get());
  info.not_before = time_value(not_before.get());
  info.not_after = time_value(not_after.get());
  info.signature = std::move(sig);
  info.key = std::move(key->info);
  info.self_signed = self_signed;
  ERR_clear_error();
  return info;
}

} // namespace

CertificateInfo decode_certificate(const X509& cert, const Der& der)
{
  X509* x = const_cast<X509*>(&cert); // OpenSSL 3's getters take const; X509_verify does not
  CertificateInfo info;
  info.sha256 = digest_hex(der, fetched_digest("SHA256"));
  info.sha1 = digest_hex(der, fetched_digest("SHA1"));
  info.md5 = digest_hex(der, fetched_digest("MD5"));
  info.parsed = true;
  info.subject = name_text(X509_get_subject_name(x));
  info.issuer = name_text(X509_get_issuer_name(x));

  fill_common_name(X509_get_subject_name(x), info);

  decode_san(X509_get0_extensions(x), info);
  info.serial = serial_text(X509_get0_serialNumber(x));
  info.not_before = time_value(X509_get0_notBefore(x));
  info.not_after = time_value(X509_get0_notAfter(x));
  info.signature = decode_signature(x);
  info.key = decode_key(x);

  EVP_PKEY* own_key = X509_get0_pubkey(x);
  info.self_signed = own_key != nullptr
                     && X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0
                     && X509_verify(x, own_key) == 1;
  ERR_clear_error(); // leave no stale errors for the TLS code that shares this thread
  return info;
}

void ParsedX509Free::operator()(X509* cert) const
{
  X509_free(cert);
}

ParsedCertificate parse_certificate(const Der& der)
{
  ParsedCertificate parsed;
  const unsigned char* p = der.data();
  parsed.x509.reset(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (parsed.x509) {
    parsed.info = decode_certificate(*parsed.x509, der);
    return parsed;
  }
  const unsigned long err = ERR_peek_last_error();
  std::array<char, 256> buf{};
  ERR_error_string_n(err, buf.data(), buf.size());
  parsed.info.parse_error = err != 0 ? buf.data() : "not a DER certificate";
  ERR_clear_error();
  parsed.info.sha256 = digest_hex(der, fetched_digest("SHA256"));
  parsed.info.sha1 = digest_hex(der, fetched_digest("SHA1"));
  parsed.info.md5 = digest_hex(der, fetched_digest("MD5"));
  return parsed;
}

CertificateInfo decode_certificate(const Der& der)
{
  return parse_certificate(der).info;
}

ParsedChain parse_chain(const std::vector<Der>& chain)
{
  ParsedChain parsed;
  parsed.certificates.reserve(chain.size());
  parsed.infos.reserve(chain.size());
  for (const Der& der : chain) {
    ParsedCertificate one = parse_certificate(der);
    parsed.certificates.push_back(std::move(one.x509));
    parsed.infos.push_back(std::move(one.info));
  }
  return parsed;
}

namespace {

// True when `cert` encodes to exactly `der`.
bool encodes_to(const X509& cert, const Der& der)
{
  if (i2d_X509(&cert, nullptr) != static_cast<int>(der.size())) {
    ERR_clear_error();
    return false;
  }
  Der encoded(der.size());
  unsigned char* out = encoded.data();
  const bool same = i2d_X509(&cert, &out) == static_cast<int>(der.size()) && encoded == der;
  ERR_clear_error();
  return same;
}

// The facts of the certificates decoded part by part most recently, by their bytes, shared by the
// scan threads. A fleet repeats certificates: a device presents the same one on its web and SIP
// ports, a vendor's devices the same intermediate, a shared generic certificate is on hundreds of
// devices. Two generations of at most k_generation certificates each (about 1.5 KB per entry, bytes
// and facts): a hit moves an entry into the current generation, a full current generation becomes
// the previous one and the oldest is dropped.
class DecodedCertificates
{
public:
  std::optional<CertificateInfo> find(const Der& der)
  {
    const std::string_view key(reinterpret_cast<const char*>(der.data()), der.size());
    const std::lock_guard<std::mutex> lock(m_mutex);
    if (const auto found = m_current.find(key); found != m_current.end()) {
      return found->second;
    }
    const auto found = m_previous.find(key);
    if (found == m_previous.end()) {
      return std::nullopt;
    }
    CertificateInfo info = found->second;
    insert_locked(m_previous.extract(found));
    return info;
  }

  void add(const Der& der, const CertificateInfo& info)
  {
    if (der.size() > k_largest) {
      return;
    }
    Map::node_type node;
    {
      Map one; // built outside the lock
      one.emplace(std::string(reinterpret_cast<const char*>(der.data()), der.size()), info);
      node = one.extract(one.begin());
    }
    const std::lock_guard<std::mutex> lock(m_mutex);
    insert_locked(std::move(node));
  }

private:
  struct Hash
  {
    using is_transparent = void;
    std::size_t operator()(std::string_view bytes) const { return std::hash<std::string_view>{}(bytes); }
  };
  using Map = std::unordered_map<std::string, CertificateInfo, Hash, std::equal_to<>>;
  static constexpr std::size_t k_generation = 2048;
  static constexpr std::size_t k_largest = 16 * 1024; // larger certificates are rare and not kept

  void insert_locked(Map::node_type node)
  {
    if (m_current.size() >= k_generation) {
      m_previous = std::move(m_current); // the old previous generation is freed here, under the lock
      m_current = Map();
    }
    m_current.insert(std::move(node));
  }

  std::mutex m_mutex;
  Map m_current;
  Map m_previous;
};

// decode_plain, once per distinct certificate while it stays in the cache.
std::optional<CertificateInfo> decode_plain_cached(const Der& der)
{
  static DecodedCertificates cache;
  if (std::optional<CertificateInfo> known = cache.find(der)) {
    return known;
  }
  std::optional<CertificateInfo> plain = decode_plain(der);
  if (plain) {
    cache.add(der, *plain);
  }
  return plain;
}

} // namespace

ParsedChain parse_chain(const std::vector<Der>& chain, std::vector<ParsedX509> already)
{
  ParsedChain parsed;
  parsed.certificates.reserve(chain.size());
  parsed.infos.reserve(chain.size());
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (already.size() == chain.size() && already[i] && encodes_to(*already[i], chain[i])) {
      parsed.infos.push_back(decode_certificate(*already[i], chain[i]));
      parsed.certificates.push_back(std::move(already[i]));
      continue;
    }
    if (std::optional<CertificateInfo> plain = decode_plain_cached(chain[i])) {
      parsed.infos.push_back(std::move(*plain));
      parsed.certificates.emplace_back(); // made by parse_chain(chain) when a verification needs it
      continue;
    }
    ParsedCertificate one = parse_certificate(chain[i]);
    parsed.certificates.push_back(std::move(one.x509));
    parsed.infos.push_back(std::move(one.info));
  }
  return parsed;
}

std::optional<CertificateInfo> decode_certificate_plain(const Der& der)
{
  return decode_plain(der);
}

std::string subject_text(const X509& cert)
{
  return name_text(X509_get_subject_name(&cert));
}

bool issued_by(const Der& certificate, const Der& issuer)
{
  const X509Ptr child = decode_x509(certificate);
  const X509Ptr parent = decode_x509(issuer);
  if (!child || !parent) {
    return false;
  }
  EVP_PKEY* key = X509_get0_pubkey(parent.get());
  const bool issued = key != nullptr
                      && X509_NAME_cmp(X509_get_subject_name(parent.get()), X509_get_issuer_name(child.get())) == 0
                      && X509_verify(child.get(), key) == 1;
  ERR_clear_error();
  return issued;
}

} // namespace fleetcert
