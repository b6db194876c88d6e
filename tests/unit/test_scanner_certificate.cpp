// Certificate decoding and signature labels, on certificates generated here with OpenSSL.

#include "scanner/certificate/certificate.hpp"
#include "support/cert_factory.hpp"

#include <doctest/doctest.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;

namespace {

CertificateInfo self_signed(const KeySpec& key_spec, const std::string& hash, const std::string& subject = "/CN=test")
{
  auto key = generate_key(key_spec);
  CertSpec spec;
  spec.subject = parse_subject(subject);
  spec.hash = hash;
  auto cert = make_certificate(spec, key.get(), nullptr, key.get());
  return decode_certificate(to_der(cert.get()));
}

} // namespace

TEST_SUITE("scanner.certificate")
{
  TEST_CASE("signature algorithm, label, key and hash")
  {
    struct Case
    {
      KeySpec key;
      std::string digest;
      std::string label;
      std::string key_kind;
      std::string hash;
      std::string algorithm;
    };
    const Case cases[] = {
        {{"rsa", 2048, ""}, "sha256", "RSA+SHA256", "RSA", "SHA256", "sha256WithRSAEncryption"},
        {{"rsa", 1024, ""}, "sha1", "RSA+SHA1", "RSA", "SHA1", "sha1WithRSAEncryption"},
        {{"rsa", 1024, ""}, "md5", "RSA+MD5", "RSA", "MD5", "md5WithRSAEncryption"},
        {{"rsa", 1024, ""}, "sha224", "RSA+SHA224", "RSA", "SHA224", "sha224WithRSAEncryption"},
        {{"ec", 0, "P-384"}, "sha384", "ECDSA+SHA384", "ECDSA", "SHA384", "ecdsa-with-SHA384"},
        {{"ec", 0, "P-256"}, "sha256", "ECDSA+SHA256", "ECDSA", "SHA256", "ecdsa-with-SHA256"},
        {{"ec", 0, "P-256"}, "sha1", "ECDSA+SHA1", "ECDSA", "SHA1", "ecdsa-with-SHA1"},
        {{"ed25519", 0, ""}, "sha256", "Ed25519", "Ed25519", "", "ED25519"},
        {{"rsa-pss", 2048, ""}, "sha256", "RSA-PSS+SHA256", "RSA-PSS", "SHA256", "rsassaPss"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.label);
      const CertificateInfo info = self_signed(c.key, c.digest);
      REQUIRE(info.parsed);
      CHECK(info.signature.label == c.label);
      CHECK(info.signature.key == c.key_kind);
      CHECK(info.signature.hash == c.hash);
      CHECK(hash_of_label(info.signature.label) == c.hash);
      CHECK(info.signature.algorithm == c.algorithm);
      CHECK(info.self_signed);
    }
  }

  TEST_CASE("key type, size and curve")
  {
    CHECK(self_signed({"rsa", 1024, ""}, "sha256").key.bits == 1024);
    CHECK(self_signed({"rsa", 1024, ""}, "sha256").key.type == "RSA");
    const auto ec = self_signed({"ec", 0, "P-384"}, "sha384");
    CHECK(ec.key.type == "EC");
    CHECK(ec.key.bits == 384);
    CHECK(ec.key.curve == "P-384");
    CHECK(self_signed({"ec", 0, "P-256"}, "sha256").key.curve == "P-256");
    CHECK(self_signed({"ed25519", 0, ""}, "sha256").key.type == "Ed25519");
    CHECK(self_signed({"rsa", 1024, ""}, "sha256").key.curve.empty());
  }

  TEST_CASE("names, SAN, serial, dates and fingerprints")
  {
    auto ca_key = generate_key({"ec", 0, "P-256"});
    CertSpec ca_spec;
    ca_spec.subject = parse_subject(
        "/C=DE/ST=Germany/L=Bocholt/O=Gigaset Communications GmbH/OU=Certificate Authority/CN=Gigaset.net");
    ca_spec.ca = true;
    auto ca = make_certificate(ca_spec, ca_key.get(), nullptr, ca_key.get());

    auto key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = parse_subject("/O=Gigaset/CN=7C2F80ABCDEF");
    spec.san = {"DNS:phone.example", "IP:127.0.0.9", "email:admin@example.org", "IP:2001:DB8:0:0:1:0:0:1",
                "IP:0:0:0:0:0:ffff:c000:201"};
    spec.serial_hex = "-0123456789ABCDEF";
    auto cert = make_certificate(spec, key.get(), ca.get(), ca_key.get());
    const auto der = to_der(cert.get());
    const CertificateInfo info = decode_certificate(der);

    REQUIRE(info.parsed);
    CHECK(info.subject == "O=Gigaset, CN=7C2F80ABCDEF");
    CHECK(info.issuer
          == "C=DE, ST=Germany, L=Bocholt, O=Gigaset Communications GmbH, OU=Certificate Authority, CN=Gigaset.net");
    CHECK(info.has_cn);
    CHECK(info.cn == "7C2F80ABCDEF");
    REQUIRE(info.san.size() == 5);
    CHECK(info.san[0] == "DNS:phone.example");
    CHECK(info.san[1] == "IP:127.0.0.9");
    CHECK(info.san[2] == "email:admin@example.org");
    CHECK(info.san[3] == "IP:2001:db8::1:0:0:1"); // IPv6 as every address is written: RFC 5952
    CHECK(info.san[4] == "IP:::ffff:192.0.2.1");
    CHECK(info.serial == "-0123456789abcdef");
    CHECK_FALSE(info.self_signed);
    CHECK(info.sha256 == fleetcert::testing::sha256_hex(cert.get()));
    CHECK(info.sha256.size() == 64);
    CHECK(info.sha1.size() == 40);
    CHECK(info.md5.size() == 32);
    REQUIRE(info.not_before.has_value());
    REQUIRE(info.not_after.has_value());
    const auto now = static_cast<std::int64_t>(time(nullptr));
    CHECK(*info.not_before <= now);
    CHECK(*info.not_after > now + 364 * 86400);
  }

  TEST_CASE("subject equal to issuer but signed by another key is not self-signed")
  {
    auto other = generate_key({"ec", 0, "P-256"});
    CertSpec issuer_spec;
    issuer_spec.subject = parse_subject("/CN=0004F2000001");
    auto issuer = make_certificate(issuer_spec, other.get(), nullptr, other.get());

    auto key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = parse_subject("/CN=0004F2000001");
    auto cert = make_certificate(spec, key.get(), issuer.get(), other.get());
    const auto info = decode_certificate(to_der(cert.get()));
    REQUIRE(info.parsed);
    CHECK(info.subject == info.issuer);
    CHECK_FALSE(info.self_signed);
  }

  TEST_CASE("extreme validity dates")
  {
    auto key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = parse_subject("/CN=old");
    const auto now = static_cast<std::int64_t>(time(nullptr));
    spec.not_before_offset_seconds = -now - 20 * 365 * 86400LL; // about 1950
    spec.not_after_offset_seconds = 253402300799LL - now;        // 9999-12-31T23:59:59Z
    auto cert = make_certificate(spec, key.get(), nullptr, key.get());
    const auto info = decode_certificate(to_der(cert.get()));
    REQUIRE(info.parsed);
    REQUIRE(info.not_after.has_value());
    CHECK(format_iso8601(*info.not_after) == "9999-12-31T23:59:59Z");
    REQUIRE(info.not_before.has_value());
    CHECK(format_iso8601(*info.not_before).substr(0, 2) == "19");
  }

  TEST_CASE("Latin-1 bytes: a T61String converts, an invalid UTF8String is refused but fingerprinted")
  {
    auto key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = {{"CN", "Caf\xE9", V_ASN1_T61STRING}};
    auto cert = make_certificate(spec, key.get(), nullptr, key.get());
    const auto info = decode_certificate(to_der(cert.get()));
    REQUIRE(info.parsed);
    CHECK(info.cn == "Caf\xC3\xA9");

    spec.subject = {{"CN", "Caf\xE9", V_ASN1_UTF8STRING}};
    auto bad = make_certificate(spec, key.get(), nullptr, key.get());
    const auto der = to_der(bad.get());
    const auto bad_info = decode_certificate(der);
    // OpenSSL 3 refuses a UTF8String that is not UTF-8 when it decodes names; the bytes still get
    // their fingerprints and the reason, so the device is not lost.
    CHECK_FALSE(bad_info.parsed);
    CHECK_FALSE(bad_info.parse_error.empty());
    CHECK(bad_info.sha256 == sha256_hex(der));
    CHECK(bad_info.md5.size() == 32);
  }

  TEST_CASE("bytes that are not a certificate keep their fingerprints")
  {
    const Der garbage{0x30, 0x03, 0x02, 0x01, 0x05};
    const auto info = decode_certificate(garbage);
    CHECK_FALSE(info.parsed);
    CHECK_FALSE(info.parse_error.empty());
    CHECK(info.sha256 == sha256_hex(garbage));
    CHECK(info.sha256.size() == 64);
    CHECK(decode_certificate(Der{}).parsed == false);
  }

  TEST_CASE("der_to_pem and pem_to_ders round-trip any bytes")
  {
    CHECK(der_to_pem(Der{0x00, 0x01, 0x02}) == "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n");
    for (std::size_t size : {1u, 47u, 48u, 49u, 95u, 96u, 1000u}) {
      CAPTURE(size);
      Der der(size); // not a certificate: a device may send bytes OpenSSL refuses, and they are kept
      for (std::size_t i = 0; i < size; ++i) {
        der[i] = static_cast<unsigned char>(i * 7 + size);
      }
      const std::string pem = der_to_pem(der);
      CHECK(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);
      for (std::size_t at = 0, end = 0; (end = pem.find('\n', at)) != std::string::npos; at = end + 1) {
        CHECK(end - at <= 64); // base64 in lines of 64
      }
      auto back = pem_to_ders("junk before\n" + pem + pem + "junk after");
      REQUIRE_MESSAGE(back, back.error());
      REQUIRE(back->size() == 2);
      CHECK((*back)[0] == der);
      CHECK((*back)[1] == der);
    }
  }

  TEST_CASE("der_to_pem writes what PEM_write_bio writes, for every length from 0 to 400 bytes and for 40 KB")
  {
    std::mt19937 rng(4242);
    std::vector<std::size_t> sizes;
    CHECK(der_to_pem(Der{}).empty()); // PEM_write_bio refuses nothing to write, and wrote nothing
    for (std::size_t size = 1; size <= 400; ++size) {
      sizes.push_back(size);
    }
    sizes.push_back(40000);
    for (const std::size_t size : sizes) {
      CAPTURE(size);
      Der der(size);
      for (auto& byte : der) {
        byte = static_cast<unsigned char>(rng());
      }
      const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
      REQUIRE(PEM_write_bio(bio.get(), PEM_STRING_X509, "", der.data(), static_cast<long>(der.size())) > 0);
      char* text = nullptr;
      const long length = BIO_get_mem_data(bio.get(), &text);
      REQUIRE(der_to_pem(der) == std::string(text, static_cast<std::size_t>(length)));
    }
  }

  TEST_CASE("der_to_pem writes what OpenSSL writes for a certificate")
  {
    auto key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = parse_subject("/CN=000B82000001");
    const auto cert = make_certificate(spec, key.get(), nullptr, key.get());
    CHECK(der_to_pem(to_der(cert.get())) == to_pem(cert.get()));
    const auto back = pem_to_ders(to_pem(cert.get()));
    REQUIRE(back);
    REQUIRE(back->size() == 1);
    CHECK(back->front() == to_der(cert.get()));
  }

  TEST_CASE("pem_to_ders: blocks of other types are skipped, a bad block is an error naming it")
  {
    const std::string good = der_to_pem(Der{0x30, 0x03, 0x02, 0x01, 0x05});
    SUBCASE("nothing to read")
    {
      for (const std::string text : {"", "no certificate here", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}) {
        CAPTURE(text);
        const auto none = pem_to_ders(text);
        REQUIRE(none);
        CHECK(none->empty());
      }
    }
    SUBCASE("indented or unclosed BEGIN text is not a block")
    {
      const auto ders = pem_to_ders("  -----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE\n" + good);
      REQUIRE_MESSAGE(ders, ders.error());
      CHECK(ders->size() == 1);
    }
    SUBCASE("other block types around certificates")
    {
      const auto ders = pem_to_ders("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" + good + "# c\n" + good);
      REQUIRE(ders);
      CHECK(ders->size() == 2);
    }
    SUBCASE("broken blocks")
    {
      const std::string broken[] = {
          "-----BEGIN CERTIFICATE-----\nAAAA\n",                                   // no END line
          "-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n",       // not base64
          "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n",        // cut short
          "-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n",       // END of another type
          "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",             // empty
      };
      for (const std::string& text : broken) {
        CAPTURE(text);
        const auto alone = pem_to_ders(text);
        REQUIRE_FALSE(alone);
        CHECK(alone.error().find("PEM block 1 ") == 0);
        const auto after_good = pem_to_ders(good + text);
        REQUIRE_FALSE(after_good);
        CHECK(after_good.error().find("PEM block 2 ") == 0);
        const auto before_good = pem_to_ders(text + good); // OpenSSL alone would skip a block cut short
        REQUIRE_FALSE(before_good);
        CHECK(before_good.error().find("PEM block 1 ") == 0);
      }
    }
  }

  TEST_CASE("read_certificate_bundle: at least one certificate, every one decodes")
  {
    auto key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = parse_subject("/CN=Root");
    const std::string root = to_pem(make_certificate(spec, key.get(), nullptr, key.get()).get());
    const auto bundle = read_certificate_bundle("roots\n" + root + root, "roots.pem");
    REQUIRE(bundle);
    CHECK(bundle->size() == 2);

    const auto none = read_certificate_bundle("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "k.pem");
    REQUIRE_FALSE(none);
    CHECK(none.error() == "k.pem: no PEM certificate found");
    const auto garbage = read_certificate_bundle(root + der_to_pem(Der{0x30, 0x00}), "roots.pem");
    REQUIRE_FALSE(garbage);
    CHECK(garbage.error() == "roots.pem: certificate 2 does not decode");
    const auto broken = read_certificate_bundle(root + "-----BEGIN CERTIFICATE-----\nAA*A\n", "roots.pem");
    REQUIRE_FALSE(broken);
    CHECK(broken.error() == "roots.pem: PEM block 2 is not valid base64 or has no END line");
  }

  TEST_CASE("issued_by: the issuer's name and its key's signature, not the name alone")
  {
    auto root_key = generate_key({"ec", 0, "P-256"});
    CertSpec root_spec;
    root_spec.subject = parse_subject("/O=Vendor/CN=Device CA");
    root_spec.ca = true;
    const auto root = make_certificate(root_spec, root_key.get(), nullptr, root_key.get());
    auto other_key = generate_key({"ec", 0, "P-256"});
    const auto same_name = make_certificate(root_spec, other_key.get(), nullptr, other_key.get());
    auto leaf_key = generate_key({"ec", 0, "P-256"});
    CertSpec leaf_spec;
    leaf_spec.subject = parse_subject("/CN=000B82000001");
    const auto leaf = make_certificate(leaf_spec, leaf_key.get(), root.get(), root_key.get());

    CHECK(issued_by(to_der(leaf.get()), to_der(root.get())));
    CHECK_FALSE(issued_by(to_der(leaf.get()), to_der(same_name.get()))); // same name, another key
    CHECK_FALSE(issued_by(to_der(root.get()), to_der(leaf.get())));
    CHECK(issued_by(to_der(root.get()), to_der(root.get()))); // a self-signed root issued itself
    CHECK_FALSE(issued_by(to_der(leaf.get()), Der{0x30, 0x00}));
    CHECK_FALSE(issued_by(Der{}, to_der(root.get())));
  }

  TEST_CASE("parse_certificate: one parse gives the object and the same facts as decode_certificate")
  {
    auto key = generate_key(KeySpec{"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = parse_subject("/O=Example/CN=device-1");
    spec.san = {"DNS:device-1.example", "IP:127.0.0.1"};
    const auto cert = make_certificate(spec, key.get(), nullptr, key.get());
    const Der der = to_der(cert.get());

    const ParsedCertificate parsed = parse_certificate(der);
    REQUIRE(parsed.x509 != nullptr);
    const CertificateInfo expected = decode_certificate(der);
    const auto same = [&](const CertificateInfo& info) {
      CHECK(info.parsed);
      CHECK(info.subject == expected.subject);
      CHECK(info.issuer == expected.issuer);
      CHECK(info.cn == expected.cn);
      CHECK(info.san == expected.san);
      CHECK(info.serial == expected.serial);
      CHECK(info.not_after == expected.not_after);
      CHECK(info.sha256 == expected.sha256);
      CHECK(info.sha1 == expected.sha1);
      CHECK(info.md5 == expected.md5);
      CHECK(info.signature.label == expected.signature.label);
      CHECK(info.key.spki_sha256 == expected.key.spki_sha256);
      CHECK(info.self_signed == expected.self_signed);
    };
    same(parsed.info);
    same(decode_certificate(*parsed.x509, der));
    CHECK(subject_text(*parsed.x509) == expected.subject);
    CHECK(expected.sha256 == sha256_hex(cert.get()));
    CHECK(expected.self_signed);

    SUBCASE("a chain: one object and one set of facts per certificate, null where it does not decode")
    {
      const Der garbage{0x30, 0x03, 0x02, 0x01, 0x01};
      const ParsedChain chain = parse_chain({der, garbage, der});
      REQUIRE(chain.certificates.size() == 3);
      REQUIRE(chain.infos.size() == 3);
      CHECK(chain.certificates[0] != nullptr);
      CHECK(chain.certificates[1] == nullptr);
      CHECK(chain.certificates[2] != nullptr);
      CHECK(chain.certificates[0].get() != chain.certificates[2].get()); // each its own object
      same(chain.infos[0]);
      CHECK_FALSE(chain.infos[1].parsed);
      CHECK_FALSE(chain.infos[1].parse_error.empty());
      CHECK(chain.infos[1].parse_error == decode_certificate(garbage).parse_error);
      CHECK(chain.infos[1].sha256 == sha256_hex_bytes(garbage));
    }
    SUBCASE("a chain with objects already parsed: each used when it encodes to its bytes, else the bytes are parsed")
    {
      auto other_key = generate_key(KeySpec{"ec", 0, "P-256"});
      CertSpec other_spec;
      other_spec.subject = parse_subject("/O=Example/CN=device-2");
      const auto other = make_certificate(other_spec, other_key.get(), nullptr, other_key.get());
      const Der garbage{0x30, 0x03, 0x02, 0x01, 0x01};
      const std::vector<Der> ders{der, der, garbage, der};
      // Each object as OpenSSL would hand it over: a reference of its own.
      const auto reference = [](X509* x) {
        REQUIRE(X509_up_ref(x) == 1);
        return ParsedX509(x);
      };
      std::vector<ParsedX509> already;
      already.push_back(reference(cert.get()));  // the same certificate: used as it is
      already.push_back(reference(other.get())); // another one: decoded from the bytes instead
      already.push_back(nullptr);                // none: decoded from the bytes
      already.push_back(reference(cert.get()));

      const ParsedChain chain = parse_chain(ders, std::move(already));
      REQUIRE(chain.certificates.size() == 4);
      REQUIRE(chain.infos.size() == 4);
      CHECK(chain.certificates[0].get() == cert.get());
      CHECK(chain.certificates[1] == nullptr); // a plain certificate: decoded part by part, no object
      CHECK(chain.certificates[2] == nullptr);
      CHECK(chain.certificates[3].get() == cert.get());
      same(chain.infos[0]);
      same(chain.infos[1]);
      same(chain.infos[3]);
      CHECK_FALSE(chain.infos[2].parsed);
      CHECK(chain.infos[2].parse_error == decode_certificate(garbage).parse_error);

      SUBCASE("a different count: every certificate is parsed from its bytes")
      {
        std::vector<ParsedX509> one;
        one.push_back(reference(cert.get()));
        const ParsedChain parsed_again = parse_chain({der, der}, std::move(one));
        REQUIRE(parsed_again.certificates.size() == 2);
        CHECK(parsed_again.certificates[0] == nullptr);
        CHECK(parsed_again.certificates[1] == nullptr);
        same(parsed_again.infos[0]);
        same(parsed_again.infos[1]);
      }
    }
  }
}

namespace {

// Every fact of a CertificateInfo as one text: the two decodings compared whole.
std::string facts(const CertificateInfo& i)
{
  std::string out = std::to_string(i.parsed) + "|" + i.parse_error + "|" + i.subject + "|" + i.issuer + "|" + i.cn + "|"
                    + std::to_string(i.has_cn) + "|" + std::to_string(i.san_truncated) + "|" + i.serial + "|"
                    + (i.not_before ? std::to_string(*i.not_before) : "-") + "|"
                    + (i.not_after ? std::to_string(*i.not_after) : "-") + "|" + i.sha256 + "|" + i.sha1 + "|" + i.md5
                    + "|" + i.signature.algorithm + "|" + i.signature.label + "|" + i.signature.key + "|"
                    + i.signature.hash + "|" + i.key.type + "|" + std::to_string(i.key.bits) + "|" + i.key.curve + "|"
                    + i.key.spki_sha256 + "|" + std::to_string(i.self_signed);
  for (const auto& san : i.san) {
    out += "|" + san;
  }
  return out;
}

} // namespace

TEST_SUITE("scanner.certificate")
{
  TEST_CASE("the part-by-part decoding gives decode_certificate's facts, or declines")
  {
    auto ca_key = generate_key({"ec", 0, "P-256"});
    CertSpec ca_spec;
    ca_spec.subject = parse_subject("/O=Example Vendor/CN=Example Device CA");
    ca_spec.ca = true;
    const auto ca = make_certificate(ca_spec, ca_key.get(), nullptr, ca_key.get());
    const std::vector<KeySpec> keys = {{"rsa", 1024, ""}, {"rsa", 2048, ""}, {"ec", 0, "P-256"}, {"ec", 0, "P-384"},
                                       {"ec", 0, "P-521"}, {"ed25519", 0, ""}, {"ed448", 0, ""}, {"rsa-pss", 2048, ""},
                                       {"dsa", 2048, ""}};
    std::vector<std::vector<unsigned char>> certificates;
    int answered = 0;
    for (const KeySpec& key_spec : keys) {
      CAPTURE(key_label(key_spec));
      auto key = generate_key(key_spec);
      for (const char* hash : {"sha256", "sha1", "md5", "sha384", "sha512", "sha224"}) {
        CertSpec spec;
        spec.subject = parse_subject("/C=DE/O=Example/CN=000B82ABCDEF");
        spec.san = {"DNS:phone.example.net", "IP:127.0.0.1", "email:a@b.example"};
        spec.hash = hash;
        // Combinations OpenSSL cannot sign (ECDSA with MD5, EdDSA with a hash) are left out.
        for (const bool self : {false, true}) {
          try {
            certificates.push_back(to_der(
                make_certificate(spec, key.get(), self ? nullptr : ca.get(), self ? key.get() : ca_key.get()).get()));
          } catch (const std::runtime_error&) {
          }
        }
      }
    }
    // Odd names, serials, dates and sizes, under the EC CA.
    auto leaf_key = generate_key({"ec", 0, "P-256"});
    std::vector<CertSpec> odd(6);
    odd[0].subject = {{"CN", std::string("caf\xe9", 4), V_ASN1_T61STRING}};
    odd[1].subject = {{"CN", std::string("a\0b", 3), V_ASN1_UTF8STRING}, {"O", "two\nlines"}};
    odd[2].serial_hex = "-01";
    odd[2].subject = parse_subject("/CN=negative");
    odd[3].not_before_text = "1950-01-01T00:00:00Z";
    odd[3].not_after_text = "9999-12-31T23:59:59Z";
    odd[3].subject = parse_subject("/CN=extreme");
    odd[4].padding_bytes = 40000;
    odd[4].subject = parse_subject("/CN=large");
    odd[5].subject = {};
    for (const CertSpec& spec : odd) {
      certificates.push_back(to_der(make_certificate(spec, leaf_key.get(), ca.get(), ca_key.get()).get()));
    }
    certificates.push_back(to_der(with_unknown_signature_algorithm(
        make_certificate(odd[2], leaf_key.get(), ca.get(), ca_key.get()).get()).get()));
    certificates.push_back(to_der(ca.get()));

    // Every certificate, then a few thousand copies of one with a byte changed (a fixed sequence):
    // wherever the plain decoding answers, it says what OpenSSL's whole parse says.
    // (the first, issued by the CA, the second, self-signed, and a self-signed EC one, whose key is
    // a copy of the thread's first key of its curve with its own point)
    const auto self_signed_ec = std::find_if(certificates.begin(), certificates.end(), [](const auto& der) {
      const CertificateInfo info = decode_certificate(der);
      return info.self_signed && info.key.type == "EC";
    });
    REQUIRE(self_signed_ec != certificates.end());
    const std::vector<unsigned char> bases[] = {certificates[0], certificates[1], *self_signed_ec};
    std::uint32_t state = 12345;
    for (int i = 0; i < 6000; ++i) {
      state = state * 1103515245U + 12345U;
      std::vector<unsigned char> mutated = bases[i % 3];
      mutated[(state >> 8) % mutated.size()] ^= static_cast<unsigned char>(1U << ((state >> 4) % 8));
      certificates.push_back(std::move(mutated));
    }
    for (std::size_t i = 0; i < certificates.size(); ++i) {
      CAPTURE(i);
      const std::optional<CertificateInfo> plain = decode_certificate_plain(certificates[i]);
      if (plain) {
        ++answered;
        CHECK(facts(*plain) == facts(decode_certificate(certificates[i])));
      }
    }
    // It answers for the common case: RSA, EC, EdDSA leaves under a CA, with any hash OpenSSL names.
    CHECK(answered > 500);
    CHECK(decode_certificate_plain(certificates[0]).has_value());
    const std::optional<CertificateInfo> self = decode_certificate_plain(certificates[1]);
    REQUIRE(self.has_value());
    CHECK(self->self_signed); // its own key, built from its numbers, verifies its signature
  }

  TEST_CASE("parse_chain remembers decoded certificates by their bytes: a repeat gets the same facts, a certificate a bit apart its own")
  {
    auto key = generate_key({"ec", 0, "P-256"});
    CertSpec spec;
    spec.subject = parse_subject("/O=Example/CN=000B82ABCDEF");
    const std::vector<unsigned char> base = to_der(make_certificate(spec, key.get(), nullptr, key.get()).get());
    // 4500 certificates a bit apart from the base (more than the cache holds), each followed by the
    // base again and by one seen 2500 certificates before (by then dropped, or not).
    struct Seen
    {
      std::vector<unsigned char> der;
      std::string facts; // OpenSSL's whole parse
    };
    std::vector<Seen> seen;
    const Seen first{base, facts(decode_certificate(base))};
    std::uint32_t state = 777;
    int plain = 0;
    for (int i = 0; i < 4500; ++i) {
      state = state * 1103515245U + 12345U;
      std::vector<unsigned char> mutated = base;
      mutated[(state >> 8) % mutated.size()] ^= static_cast<unsigned char>(1U << ((state >> 4) % 8));
      const std::string expected = facts(decode_certificate(mutated));
      seen.push_back(Seen{std::move(mutated), expected});
      const Seen& earlier = seen[seen.size() > 2500 ? seen.size() - 2500 : 0];
      for (const Seen* one : std::array<const Seen*, 3>{&seen.back(), &first, &earlier}) {
        const ParsedChain chain = parse_chain(std::vector<Der>{one->der}, {});
        REQUIRE(chain.infos.size() == 1);
        plain += chain.certificates[0] == nullptr && chain.infos[0].parsed ? 1 : 0;
        REQUIRE(facts(chain.infos[0]) == one->facts);
      }
    }
    CHECK(plain > 4500); // the base and most of the others are decoded part by part
    const ParsedChain again = parse_chain(std::vector<Der>{base}, {});
    CHECK(again.infos[0].self_signed);
  }
}
