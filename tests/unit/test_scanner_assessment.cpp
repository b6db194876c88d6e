// Tests for scanner/assessment (and the ErrorClass names of scanner/observation): vocabulary words, MAC
// normalization, CN classes and validity against a given "now".

#include "scanner/assessment/assessment.hpp"
#include "scanner/util/mac.hpp"
#include "scanner/model/observation.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>

using namespace fleetcert;

namespace {

constexpr std::int64_t k_day = 86400;
constexpr std::int64_t k_now = 1'800'000'000; // 2027-01-15T08:00:00Z

CertificateInfo leaf_with_cn(std::string cn)
{
  CertificateInfo leaf;
  leaf.parsed = true;
  leaf.has_cn = true;
  leaf.cn = std::move(cn);
  return leaf;
}

CertificateInfo leaf_valid_between(std::optional<std::int64_t> not_before, std::optional<std::int64_t> not_after)
{
  CertificateInfo leaf = leaf_with_cn("phone");
  leaf.not_before = not_before;
  leaf.not_after = not_after;
  return leaf;
}

Assessment assess_at(const CertificateInfo& leaf, std::int64_t now, int warning_days = 30)
{
  AssessmentSettings settings;
  settings.now = now;
  settings.expiry_warning_days = warning_days;
  return assess(leaf, settings);
}

} // namespace

TEST_SUITE("scanner.assessment")
{
  TEST_CASE("vocabulary names")
  {
    CHECK(to_string(CnClass::mac) == "mac");
    CHECK(to_string(CnClass::generic) == "generic");
    CHECK(to_string(CnClass::other) == "other");
    CHECK(to_string(CnClass::none) == "none");
    CHECK(to_string(Validity::valid) == "valid");
    CHECK(to_string(Validity::expiring) == "expiring");
    CHECK(to_string(Validity::expired) == "expired");
    CHECK(to_string(Validity::not_yet_valid) == "not-yet-valid");
    CHECK(to_string(ErrorClass::none).empty());
    CHECK(to_string(ErrorClass::refused) == "refused");
    CHECK(to_string(ErrorClass::timeout) == "timeout");
    CHECK(to_string(ErrorClass::reset) == "reset");
    CHECK(to_string(ErrorClass::not_tls) == "not-tls");
    CHECK(to_string(ErrorClass::tls_alert) == "tls-alert");
    CHECK(to_string(ErrorClass::protocol) == "protocol");
    CHECK(to_string(ErrorClass::unreachable) == "unreachable");
    CHECK(to_string(ErrorClass::dns) == "dns");
  }

  TEST_CASE("vocabulary names parse back")
  {
    for (const CnClass c : {CnClass::mac, CnClass::generic, CnClass::other, CnClass::none}) {
      CHECK(parse_cn_class(to_string(c)) == c);
    }
    for (const Validity v : {Validity::valid, Validity::expiring, Validity::expired, Validity::not_yet_valid}) {
      CHECK(parse_validity(to_string(v)) == v);
    }
    for (const SignatureVerdict v : {SignatureVerdict::current, SignatureVerdict::legacy, SignatureVerdict::rejected}) {
      CHECK(parse_signature_verdict(to_string(v)) == v);
    }
    for (const ErrorClass e : {ErrorClass::refused, ErrorClass::timeout, ErrorClass::reset, ErrorClass::not_tls,
                               ErrorClass::tls_alert, ErrorClass::protocol, ErrorClass::unreachable, ErrorClass::dns}) {
      CHECK(parse_error_class(to_string(e)) == e);
    }
    CHECK_FALSE(parse_error_class("").has_value()); // none is no class a report names
    CHECK_FALSE(parse_error_class("not_tls").has_value());
    for (const ProvenanceKind k :
         {ProvenanceKind::factory, ProvenanceKind::self_signed, ProvenanceKind::custom_ca, ProvenanceKind::unknown}) {
      CHECK(parse_provenance_kind(to_string(k)) == k);
    }
    for (const ProvenanceBasis b : {ProvenanceBasis::chain, ProvenanceBasis::issuer_name, ProvenanceBasis::none}) {
      CHECK(parse_provenance_basis(to_string(b)) == b);
    }
    CHECK(provenance_text(ProvenanceKind::factory, ProvenanceBasis::chain) == "factory/chain");
    CHECK(provenance_text(ProvenanceKind::custom_ca, std::nullopt) == "custom-ca");
    CHECK(provenance_text(std::nullopt, ProvenanceBasis::chain).empty());
    CHECK_FALSE(parse_cn_class("MAC").has_value());
    CHECK_FALSE(parse_validity("not_yet_valid").has_value());
    CHECK_FALSE(parse_validity("revoked").has_value());
    CHECK_FALSE(parse_signature_verdict("").has_value());
  }

  TEST_CASE("judge_signature: the verdict on decoded signature facts")
  {
    struct Case
    {
      SignatureInfo signature;
      SignatureVerdict verdict;
    };
    const Case cases[] = {
        {{"sha256WithRSAEncryption", "RSA+SHA256", "RSA", "SHA256"}, SignatureVerdict::current},
        {{"ecdsa-with-SHA384", "ECDSA+SHA384", "ECDSA", "SHA384"}, SignatureVerdict::current},
        {{"rsassaPss", "RSA-PSS+SHA256", "RSA-PSS", "SHA256"}, SignatureVerdict::current},
        {{"ED25519", "Ed25519", "Ed25519", ""}, SignatureVerdict::current},
        {{"ED448", "Ed448", "Ed448", ""}, SignatureVerdict::current},
        {{"sha224WithRSAEncryption", "RSA+SHA224", "RSA", "SHA224"}, SignatureVerdict::legacy},
        {{"dsa_with_SHA256", "DSA+SHA256", "DSA", "SHA256"}, SignatureVerdict::legacy},
        {{"x", "+SHA256", "", "SHA256"}, SignatureVerdict::legacy}, // a key type OpenSSL does not name
        {{"sha1WithRSAEncryption", "RSA+SHA1", "RSA", "SHA1"}, SignatureVerdict::rejected},
        {{"ecdsa-with-SHA1", "ECDSA+SHA1", "ECDSA", "SHA1"}, SignatureVerdict::rejected},
        {{"md5WithRSAEncryption", "RSA+MD5", "RSA", "MD5"}, SignatureVerdict::rejected},
        {{"md2WithRSAEncryption", "RSA+MD2", "RSA", "MD2"}, SignatureVerdict::rejected},
        {{"mdc2WithRSA", "RSA+MDC2", "RSA", "MDC2"}, SignatureVerdict::rejected},
        {{"ripemd160WithRSA", "RSA+RIPEMD160", "RSA", "RIPEMD160"}, SignatureVerdict::rejected},
        {{"rsaEncryption", "RSA", "RSA", ""}, SignatureVerdict::rejected},   // no hash, not EdDSA
        {{"1.2.3.4", "1.2.3.4", "", ""}, SignatureVerdict::rejected},       // unknown algorithm
    };
    for (const Case& c : cases) {
      CAPTURE(c.signature.label);
      CHECK(judge_signature(c.signature) == c.verdict);
    }
  }

  TEST_CASE("assess: the signature verdict of a leaf that decodes")
  {
    CertificateInfo leaf = leaf_with_cn("phone");
    leaf.signature = {"sha1WithRSAEncryption", "RSA+SHA1", "RSA", "SHA1"};
    CHECK(assess_at(leaf, k_now).signature_verdict == SignatureVerdict::rejected);
    leaf.signature = {"ecdsa-with-SHA384", "ECDSA+SHA384", "ECDSA", "SHA384"};
    CHECK(assess_at(leaf, k_now).signature_verdict == SignatureVerdict::current);
    leaf.parsed = false;
    CHECK_FALSE(assess_at(leaf, k_now).signature_verdict.has_value());
  }

  TEST_CASE("normalize_mac")
  {
    SUBCASE("any separators, any case")
    {
      CHECK(normalize_mac("0004F2ABCDEF") == "0004F2ABCDEF");
      CHECK(normalize_mac("0004f2abcdef") == "0004F2ABCDEF");
      CHECK(normalize_mac("00:04:f2:ab:cd:ef") == "0004F2ABCDEF");
      CHECK(normalize_mac("0004f2:ab:cd:ef") == "0004F2ABCDEF");
      CHECK(normalize_mac("00-04-F2-AB-CD-EF") == "0004F2ABCDEF");
      CHECK(normalize_mac("0004.f2ab.cdef") == "0004F2ABCDEF");
      CHECK(normalize_mac("00 04 f2 ab cd ef") == "0004F2ABCDEF");
      CHECK(normalize_mac("00:04-f2.ab cd:Ef") == "0004F2ABCDEF");
    }
    SUBCASE("not a MAC")
    {
      CHECK_FALSE(normalize_mac(""));
      CHECK_FALSE(normalize_mac("0004F2ABCDE"));   // 11 digits
      CHECK_FALSE(normalize_mac("0004F2ABCDEF0")); // 13 digits
      CHECK_FALSE(normalize_mac("0004F2ABCDEG"));  // not hex
      CHECK_FALSE(normalize_mac("Custom-0004F2ABCDEF"));
      CHECK_FALSE(normalize_mac("SEP0004F2ABCDEF"));
      CHECK_FALSE(normalize_mac("Einstein2"));
      CHECK_FALSE(normalize_mac(":::"));
    }
    SUBCASE("separators only between digits")
    {
      CHECK_FALSE(normalize_mac(":0004F2ABCDEF"));
      CHECK_FALSE(normalize_mac("0004F2ABCDEF:"));
      CHECK_FALSE(normalize_mac(" 0004F2ABCDEF"));
      CHECK_FALSE(normalize_mac("00::04:F2:AB:CD:EF"));
      CHECK_FALSE(normalize_mac("00:-04:F2:AB:CD:EF"));
      CHECK_FALSE(normalize_mac("00_04_F2_AB_CD_EF")); // '_' is no separator
    }
  }

  TEST_CASE("classify_cn")
  {
    CHECK(classify_cn(leaf_with_cn("0004F2ABCDEF")) == CnClass::mac);
    CHECK(classify_cn(leaf_with_cn("00:04:f2:ab:cd:ef")) == CnClass::mac);
    CHECK(classify_cn(leaf_with_cn("Einstein2")) == CnClass::generic);
    CHECK(classify_cn(leaf_with_cn("einstein2")) == CnClass::generic);
    CHECK(classify_cn(leaf_with_cn("EINSTEIN2")) == CnClass::generic);
    CHECK(classify_cn(leaf_with_cn("Einstein2 ")) == CnClass::other);
    CHECK(classify_cn(leaf_with_cn("Einstein")) == CnClass::other);
    CHECK(classify_cn(leaf_with_cn("Custom-0004F2ABCDEF")) == CnClass::other);
    CHECK(classify_cn(leaf_with_cn("phone.example.net")) == CnClass::other);
    CHECK(classify_cn(leaf_with_cn("")) == CnClass::none);

    CertificateInfo no_cn;
    no_cn.parsed = true;
    CHECK(classify_cn(no_cn) == CnClass::none);
    no_cn.cn = "stale"; // has_cn decides
    CHECK(classify_cn(no_cn) == CnClass::none);
  }

  TEST_CASE("assess: CN class and MAC")
  {
    const Assessment mac = assess_at(leaf_with_cn("00-04-f2-ab-cd-ef"), k_now);
    CHECK(mac.cn_class == CnClass::mac);
    CHECK(mac.mac == "0004F2ABCDEF");

    const Assessment generic = assess_at(leaf_with_cn("Einstein2"), k_now);
    CHECK(generic.cn_class == CnClass::generic);
    CHECK(generic.mac.empty());
  }

  TEST_CASE("assess: validity boundaries")
  {
    const std::int64_t not_before = k_now - 365 * k_day;
    const std::int64_t not_after = k_now + 100 * k_day;
    const CertificateInfo leaf = leaf_valid_between(not_before, not_after);

    SUBCASE("well inside the period")
    {
      const Assessment a = assess_at(leaf, k_now);
      CHECK(a.validity == Validity::valid);
      CHECK(a.days_left == 100);
    }
    SUBCASE("exactly at not_after: still inside the period, expiring, 0 days left")
    {
      const Assessment a = assess_at(leaf, not_after);
      CHECK(a.validity == Validity::expiring);
      CHECK(a.days_left == 0);
    }
    SUBCASE("one second before not_after")
    {
      const Assessment a = assess_at(leaf, not_after - 1);
      CHECK(a.validity == Validity::expiring);
      CHECK(a.days_left == 0);
    }
    SUBCASE("one second after not_after: expired, days_left floors to -1")
    {
      const Assessment a = assess_at(leaf, not_after + 1);
      CHECK(a.validity == Validity::expired);
      CHECK(a.days_left == -1);
    }
    SUBCASE("days_left floors for negatives")
    {
      CHECK(assess_at(leaf, not_after + k_day).days_left == -1);
      CHECK(assess_at(leaf, not_after + k_day + 1).days_left == -2);
      CHECK(assess_at(leaf, not_after + 10 * k_day - 1).days_left == -10);
      CHECK(assess_at(leaf, not_after + 10 * k_day).days_left == -10);
      CHECK(assess_at(leaf, not_after + 10 * k_day + 1).days_left == -11);
    }
    SUBCASE("days_left floors for positives")
    {
      CHECK(assess_at(leaf, not_after - k_day).days_left == 1);
      CHECK(assess_at(leaf, not_after - k_day + 1).days_left == 0);
      CHECK(assess_at(leaf, not_after - 2 * k_day + 1).days_left == 1);
    }
    SUBCASE("edges of the expiry warning window")
    {
      const std::int64_t window_start = not_after - 30 * k_day;
      CHECK(assess_at(leaf, window_start).validity == Validity::valid); // exactly 30 days left
      CHECK(assess_at(leaf, window_start + 1).validity == Validity::expiring);
      CHECK(assess_at(leaf, window_start - 1).validity == Validity::valid);
      CHECK(assess_at(leaf, window_start + 1).days_left == 29);
    }
    SUBCASE("the warning window is a setting")
    {
      CHECK(assess_at(leaf, not_after - 50 * k_day, 60).validity == Validity::expiring);
      CHECK(assess_at(leaf, not_after - 50 * k_day, 30).validity == Validity::valid);
      CHECK(assess_at(leaf, not_after, 0).validity == Validity::valid);
      CHECK(assess_at(leaf, not_after + 1, 0).validity == Validity::expired);
      CHECK(assess_at(leaf, k_now, 100000).validity == Validity::expiring); // no int overflow
    }
    SUBCASE("not yet valid")
    {
      CHECK(assess_at(leaf, not_before - 1).validity == Validity::not_yet_valid);
      CHECK(assess_at(leaf, not_before).validity == Validity::valid);
      CHECK(assess_at(leaf, not_before - 1).days_left == 465);
    }
    SUBCASE("not yet valid wins over a short period already over")
    {
      // A certificate whose not_after precedes its not_before is never valid.
      const CertificateInfo odd = leaf_valid_between(k_now + k_day, k_now - k_day);
      CHECK(assess_at(odd, k_now).validity == Validity::not_yet_valid);
    }
  }

  TEST_CASE("assess: no validity without dates")
  {
    SUBCASE("dates missing")
    {
      for (const auto& leaf : {leaf_valid_between(std::nullopt, k_now + k_day),
                               leaf_valid_between(k_now - k_day, std::nullopt),
                               leaf_valid_between(std::nullopt, std::nullopt)}) {
        const Assessment a = assess_at(leaf, k_now);
        CHECK_FALSE(a.validity);
        CHECK_FALSE(a.days_left);
        CHECK(a.cn_class == CnClass::other);
      }
    }
    SUBCASE("the leaf did not parse")
    {
      CertificateInfo leaf = leaf_valid_between(k_now - k_day, k_now + k_day);
      leaf.parsed = false;
      leaf.parse_error = "invalid string encoding";
      const Assessment a = assess_at(leaf, k_now);
      CHECK_FALSE(a.validity);
      CHECK_FALSE(a.days_left);
    }
  }
}
