// The test certificate factory itself: the odd certificates other tests and the fleet simulator
// rely on really are what they claim to be.

#include "support/cert_factory.hpp"

#include <doctest/doctest.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <string>

using namespace fleetcert::testing;

namespace {

// Signature algorithm of `cert` as an OpenSSL short name ("sha1WithRSAEncryption" is long).
int signature_nid(const X509* cert)
{
  return X509_get_signature_nid(cert);
}

bool contains(const std::vector<unsigned char>& haystack, const std::vector<unsigned char>& needle)
{
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end())
         != haystack.end();
}

X509Ptr self_signed(const KeySpec& key_spec, const std::string& hash, PkeyPtr& key)
{
  key = generate_key(key_spec);
  CertSpec spec;
  spec.subject = parse_subject("/CN=factory-test");
  spec.hash = hash;
  return make_certificate(spec, key.get(), nullptr, key.get());
}

} // namespace

TEST_SUITE("support.cert_factory")
{
  TEST_CASE("RSA-1024 with SHA1 and RSA-512 with MD5")
  {
    PkeyPtr key;
    auto cert = self_signed({"rsa", 1024, ""}, "sha1", key);
    REQUIRE(cert);
    CHECK(signature_nid(cert.get()) == NID_sha1WithRSAEncryption);
    CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(cert.get())) == 1024);
    CHECK(X509_verify(cert.get(), key.get()) == 1);

    auto md5 = self_signed({"rsa", 512, ""}, "md5", key);
    CHECK(signature_nid(md5.get()) == NID_md5WithRSAEncryption);
    CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(md5.get())) == 512);
  }

  TEST_CASE("every key type signs")
  {
    struct Case
    {
      KeySpec key;
      std::string hash;
      int nid;
    };
    const Case cases[] = {
        {{"ec", 0, "P-256"}, "sha256", NID_ecdsa_with_SHA256},
        {{"ec", 0, "P-384"}, "sha384", NID_ecdsa_with_SHA384},
        {{"ec", 0, "P-521"}, "sha512", NID_ecdsa_with_SHA512},
        {{"ec", 0, "P-256"}, "sha1", NID_ecdsa_with_SHA1},
        {{"rsa", 1024, ""}, "sha224", NID_sha224WithRSAEncryption},
        {{"ed25519", 0, ""}, "sha256", NID_ED25519},
        {{"ed448", 0, ""}, "", NID_ED448},
        {{"rsa-pss", 2048, ""}, "sha256", NID_rsassaPss},
        {{"dsa", 1024, ""}, "sha1", NID_dsaWithSHA1},
    };
    for (const Case& c : cases) {
      CAPTURE(key_label(c.key));
      CAPTURE(c.hash);
      PkeyPtr key;
      auto cert = self_signed(c.key, c.hash, key);
      REQUIRE(cert);
      CHECK(signature_nid(cert.get()) == c.nid);
      CHECK(X509_verify(cert.get(), key.get()) == 1);
    }
    CHECK(key_label({"ec", 0, "prime256v1"}) == "ec:P-256");
    CHECK(key_label({"rsa", 2048, ""}) == "rsa:2048");
    CHECK(key_label({"ed25519", 0, ""}) == "ed25519");
  }

  TEST_CASE("chain: a CA issues a leaf")
  {
    auto ca_key = generate_key({"ec", 0, "P-384"});
    CertSpec ca_spec;
    ca_spec.subject = parse_subject("/C=DE/O=Example/CN=Example CA");
    ca_spec.hash = "sha384";
    ca_spec.ca = true;
    auto ca = make_certificate(ca_spec, ca_key.get(), nullptr, ca_key.get());

    auto leaf_key = generate_key({"rsa", 1024, ""});
    CertSpec leaf_spec;
    leaf_spec.subject = parse_subject("/CN=7C2F80123456");
    leaf_spec.san = {"DNS:7c2f80123456.example", "IP:127.0.0.1"};
    auto leaf = make_certificate(leaf_spec, leaf_key.get(), ca.get(), ca_key.get());

    CHECK(X509_check_ca(ca.get()) >= 1);
    CHECK(X509_check_ca(leaf.get()) == 0);
    CHECK(X509_verify(leaf.get(), ca_key.get()) == 1);
    CHECK(X509_NAME_cmp(X509_get_issuer_name(leaf.get()), X509_get_subject_name(ca.get())) == 0);
    CHECK(X509_check_host(leaf.get(), "7c2f80123456.example", 0, 0, nullptr) == 1);
    CHECK(sha256_hex(leaf.get()).size() == 64);
    CHECK(to_pem(leaf.get()).rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
  }

  TEST_CASE("raw CN bytes reach the DER unchanged")
  {
    auto key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = {{"O", "Hostile", 0}, {"CN", "\xE9t\xE9", V_ASN1_UTF8STRING}};
    auto cert = make_certificate(spec, key.get(), nullptr, key.get());
    const auto der = to_der(cert.get());
    // UTF8String (0x0C), length 3, the Latin-1 bytes as given: in subject and issuer.
    CHECK(contains(der, {0x0C, 0x03, 0xE9, 0x74, 0xE9}));
    const std::vector<unsigned char> valid_utf8{0x0C, 0x03, 'A', 'A', 'A'};
    CHECK_FALSE(contains(der, valid_utf8));
    CHECK(X509_verify(cert.get(), key.get()) == 1);

    // A NUL byte inside a CN, in a certificate OpenSSL can still parse.
    spec.subject = {{"CN", std::string("evil\0.example", 13), V_ASN1_IA5STRING}};
    auto nul = make_certificate(spec, key.get(), nullptr, key.get());
    const auto nul_der = to_der(nul.get());
    CHECK(contains(nul_der, {0x16, 0x0D, 'e', 'v', 'i', 'l', 0x00, '.'}));
    const unsigned char* cursor = nul_der.data();
    X509Ptr parsed(d2i_X509(nullptr, &cursor, static_cast<long>(nul_der.size())));
    CHECK(parsed);
  }

  TEST_CASE("negative and explicit serials")
  {
    auto key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = parse_subject("/CN=serial");
    spec.serial_hex = "-1A2B";
    auto cert = make_certificate(spec, key.get(), nullptr, key.get());
    BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
    REQUIRE(serial != nullptr);
    CHECK(BN_is_negative(serial) == 1);
    char* hex = BN_bn2hex(serial);
    CHECK(std::string(hex) == "-1A2B");
    OPENSSL_free(hex);
    BN_free(serial);
    // Negative INTEGER -0x1A2B in DER: 02 02 E5 D5.
    CHECK(contains(to_der(cert.get()), {0x02, 0x02, 0xE5, 0xD5}));
  }

  TEST_CASE("validity from 1950 to 9999")
  {
    auto key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = parse_subject("/CN=dates");
    spec.not_before_text = "1950-01-01T00:00:00Z";
    spec.not_after_text = "99991231235959Z";
    auto cert = make_certificate(spec, key.get(), nullptr, key.get());
    const ASN1_TIME* not_before = X509_get0_notBefore(cert.get());
    const ASN1_TIME* not_after = X509_get0_notAfter(cert.get());
    CHECK(ASN1_STRING_type(not_before) == V_ASN1_UTCTIME);
    CHECK(ASN1_STRING_type(not_after) == V_ASN1_GENERALIZEDTIME);
    CHECK(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(not_after))) == "99991231235959Z");

    // The same year 9999 reached with an offset from now.
    CertSpec offset_spec;
    offset_spec.subject = parse_subject("/CN=offset");
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    offset_spec.not_after_offset_seconds = 253402300799LL - now;
    offset_spec.not_before_offset_seconds = -now - 20LL * 365 * 86400;
    auto offset_cert = make_certificate(offset_spec, key.get(), nullptr, key.get());
    struct tm after{};
    REQUIRE(ASN1_TIME_to_tm(X509_get0_notAfter(offset_cert.get()), &after) == 1);
    CHECK(after.tm_year + 1900 == 9999);
    struct tm before{};
    REQUIRE(ASN1_TIME_to_tm(X509_get0_notBefore(offset_cert.get()), &before) == 1);
    CHECK(before.tm_year + 1900 == 1950);
  }

  TEST_CASE("parse_subject")
  {
    const auto entries =
        parse_subject("/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net");
    REQUIRE(entries.size() == 6);
    CHECK(entries[3].field == "O");
    CHECK(entries[3].value == "Gigaset Communications GmbH");
    CHECK(entries[5].value == "Gigaset.net");
    const auto single = parse_subject("CN=Einstein2");
    REQUIRE(single.size() == 1);
    CHECK(single[0].value == "Einstein2");
    const auto escaped = parse_subject("/CN=a\\/b");
    REQUIRE(escaped.size() == 1);
    CHECK(escaped[0].value == "a/b");
    CHECK_THROWS(parse_subject("/nonsense"));
    CHECK(from_hex("e9:74:E9") == std::vector<unsigned char>{0xE9, 0x74, 0xE9});
    CHECK_THROWS(from_hex("abc"));
  }

  TEST_CASE("padding extension, empty subject and 40-byte serial")
  {
    PkeyPtr key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.padding_bytes = 1400;
    spec.serial_hex = "7F" + std::string(78, 'A');
    auto cert = make_certificate(spec, key.get(), nullptr, key.get());
    REQUIRE(cert);
    CHECK(X509_NAME_entry_count(X509_get_subject_name(cert.get())) == 0);
    CHECK(X509_NAME_entry_count(X509_get_issuer_name(cert.get())) == 0);
    CHECK(to_der(cert.get()).size() > 1400);
    CHECK(to_der(cert.get()).size() < 2000);
    ASN1_OBJECT* padding_oid = OBJ_txt2obj(k_padding_extension_oid, 1);
    CHECK(X509_get_ext_by_OBJ(cert.get(), padding_oid, -1) >= 0);
    ASN1_OBJECT_free(padding_oid);
    CHECK(ASN1_STRING_length(X509_get0_serialNumber(cert.get())) == 40);
    CHECK(X509_verify(cert.get(), key.get()) == 1);
  }

  TEST_CASE("an unknown signature algorithm OID of the same length, for RSA and ECDSA signers")
  {
    for (const KeySpec& key_spec : {KeySpec{"rsa", 1024, ""}, KeySpec{"ec", 0, "P-256"}, KeySpec{"ec", 0, "P-384"}}) {
      CAPTURE(key_label(key_spec));
      PkeyPtr key;
      auto cert = self_signed(key_spec, key_spec.type == "ec" && key_spec.curve == "P-384" ? "sha384" : "sha256", key);
      auto unknown = with_unknown_signature_algorithm(cert.get());
      REQUIRE(unknown);
      CHECK(to_der(unknown.get()).size() == to_der(cert.get()).size());
      CHECK(X509_get_signature_nid(unknown.get()) == NID_undef);
      CHECK(signature_oid_text(unknown.get()).rfind("1.3.6.1.4.1.99999", 0) == 0);
      // The TBSCertificate's copy was rewritten too.
      const X509_ALGOR* inner = X509_get0_tbs_sigalg(unknown.get());
      const ASN1_OBJECT* inner_oid = nullptr;
      X509_ALGOR_get0(&inner_oid, nullptr, nullptr, inner);
      CHECK(OBJ_obj2nid(inner_oid) == NID_undef);
      CHECK(sha256_hex(unknown.get()) != sha256_hex(cert.get()));
    }
    PkeyPtr key;
    auto edwards = self_signed({"ed25519", 0, ""}, "", key);
    CHECK_THROWS(with_unknown_signature_algorithm(edwards.get()));
  }
}
