// Tests for scanner/readiness: the policy words, the after-bundle, and the evaluation of ports and
// devices on chains made here (an old RSA+SHA256 root and a new ECDSA root with intermediates),
// at a fixed swap instant, so every date is absolute and the tests do not depend on the clock.

#include "scanner/readiness/readiness.hpp"
#include "scanner/assessment/vendor_profiles.hpp"
#include "support/cert_factory.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace fleetcert;
using namespace fleetcert::testing;

namespace {

const std::int64_t k_swap = *parse_iso8601("2026-11-23"); // the swap instant of every test

const KeySpec k_p256{"ec", 0, "P-256"};
const KeySpec k_p384{"ec", 0, "P-384"};

// One RSA-2048 key for every certificate where RSA-2048 is the point (making one is slow).
EVP_PKEY* rsa_2048()
{
  static const PkeyPtr key = generate_key({"rsa", 2048, ""});
  return key.get();
}

struct Options
{
  KeySpec key = k_p256;
  bool shared_rsa = false; // use rsa_2048() instead of a new key
  std::string hash = "sha256";
  std::string not_before = "2025-01-01T00:00:00Z";
  std::string not_after = "2030-01-01T00:00:00Z";
  bool ca = false;
};

Issued issue(const std::string& subject, const Issued* issuer, const Options& options)
{
  Issued issued;
  if (options.shared_rsa) {
    REQUIRE(EVP_PKEY_up_ref(rsa_2048()) == 1);
    issued.key.reset(rsa_2048());
  } else {
    issued.key = generate_key(options.key);
  }
  CertSpec spec;
  spec.subject = parse_subject(subject);
  spec.hash = options.hash;
  spec.ca = options.ca;
  spec.not_before_text = options.not_before;
  spec.not_after_text = options.not_after;
  issued.cert = make_certificate(spec, issued.key.get(), issuer != nullptr ? issuer->cert.get() : nullptr,
                                 issuer != nullptr ? issuer->key.get() : issued.key.get());
  return issued;
}

Options ca_options(Options options = {})
{
  options.ca = true;
  options.not_before = "2020-01-01T00:00:00Z";
  options.not_after = "2040-01-01T00:00:00Z";
  return options;
}

// The two PKIs of a swap: the old RSA+SHA256 root and the new ECDSA root, each with an issuing CA.
struct Pkis
{
  Issued old_root = issue("/O=Example Vendor/CN=Old Root CA", nullptr, ca_options({.shared_rsa = true}));
  Issued old_issuing = issue("/O=Example Vendor/CN=Old Device CA", &old_root, ca_options({.shared_rsa = true}));
  Issued new_root = issue("/O=Example Vendor/CN=New ECC Root CA", nullptr, ca_options({.key = k_p384, .hash = "sha384"}));
  Issued new_issuing =
      issue("/O=Example Vendor/CN=New ECC Device CA", &new_root, ca_options({.key = k_p384, .hash = "sha384"}));

  TrustAfter bundle(const std::string& pem) const
  {
    auto trust = TrustAfter::from_pem(pem, "after.pem");
    REQUIRE_MESSAGE(trust.ok(), trust.error());
    return std::move(*trust);
  }
  TrustAfter new_bundle() const { return bundle(new_root.pem()); }
};

const Pkis& pkis()
{
  static const Pkis p;
  return p;
}

const VendorProfiles& profiles()
{
  static const VendorProfiles p = VendorProfiles::builtin();
  return p;
}

ReadinessEndpoint endpoint(std::uint16_t port, std::vector<Der> chain)
{
  ReadinessEndpoint e;
  e.port = port;
  e.certificate_received = true;
  e.chain = std::move(chain);
  return e;
}

ReadinessEndpoint silent(std::uint16_t port, ErrorClass error_class)
{
  ReadinessEndpoint e;
  e.port = port;
  e.error_class = error_class;
  return e;
}

struct PortResult
{
  PortReadiness port;
  std::vector<ReadinessReason> reasons;

  std::set<std::string> codes() const
  {
    std::set<std::string> out;
    for (const auto& r : reasons) {
      out.insert(r.code);
    }
    return out;
  }
  const ReadinessReason& reason(const std::string& code) const
  {
    auto it = std::find_if(reasons.begin(), reasons.end(), [&](const ReadinessReason& r) { return r.code == code; });
    REQUIRE_MESSAGE(it != reasons.end(), code);
    return *it;
  }
};

PortResult evaluate_endpoint(const ReadinessEndpoint& e, const TrustAfter& trust, const ReadinessPolicy& policy = {},
                             const std::string& vendor = "")
{
  ReadinessPolicy p = policy;
  p.at = k_swap;
  PortResult result;
  result.port = evaluate_port(e, trust, p, profiles(), vendor.empty() ? nullptr : profiles().find(vendor), result.reasons);
  return result;
}

PortResult evaluate(const std::vector<Der>& chain, const TrustAfter& trust, const ReadinessPolicy& policy = {},
                    const std::string& vendor = "")
{
  return evaluate_endpoint(endpoint(443, chain), trust, policy, vendor);
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("scanner.readiness")
{
  TEST_CASE("--reject words")
  {
    auto hashes = parse_rejected_hashes("sha1,md5");
    REQUIRE(hashes.ok());
    CHECK(*hashes == std::set<std::string>{"MD5", "SHA1"});
    hashes = parse_rejected_hashes(" SHA-1 , sha224,MD2 ");
    REQUIRE(hashes.ok());
    CHECK(*hashes == std::set<std::string>{"MD2", "SHA1", "SHA224"});
    hashes = parse_rejected_hashes("none");
    REQUIRE(hashes.ok());
    CHECK(hashes->empty());
    hashes = parse_rejected_hashes("sha1,whirlpool");
    REQUIRE_FALSE(hashes.ok());
    CHECK(contains(hashes.error(), "'whirlpool'"));
    CHECK_FALSE(parse_rejected_hashes("").ok());
    CHECK_FALSE(parse_rejected_hashes("sha1,none").ok());
  }

  TEST_CASE("the after-bundle: every certificate, errors name the file")
  {
    const auto trust = TrustAfter::from_pem(pkis().new_root.pem() + "comment\n" + pkis().new_issuing.pem(), "after.pem");
    REQUIRE(trust.ok());
    REQUIRE(trust->subjects().size() == 2);
    CHECK(contains(trust->subjects()[0], "CN=New ECC Root CA"));
    CHECK(trust->fingerprints()[1] == sha256_hex(pkis().new_issuing.cert.get()));

    auto bad = TrustAfter::from_pem("nothing here\n", "after.pem");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error() == "after.pem: no PEM certificate found");
    bad = TrustAfter::from_pem("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "after.pem");
    REQUIRE_FALSE(bad.ok());
    CHECK(contains(bad.error(), "after.pem"));
    bad = TrustAfter::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "after.pem");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error() == "after.pem: certificate 1 does not decode");
  }

  TEST_CASE("a leaf that chains to the new root is ready")
  {
    const Pkis& p = pkis();
    const Issued leaf = issue("/CN=000B82000001", &p.new_issuing, {});
    SUBCASE("the device sends its intermediate, the bundle holds the root")
    {
      const auto r = evaluate({leaf.der(), p.new_issuing.der()}, p.new_bundle());
      CHECK(r.port.status == Readiness::ready);
      CHECK(r.reasons.empty());
      REQUIRE(r.port.verified_chain.size() == 3);
      CHECK(contains(r.port.verified_chain[2], "CN=New ECC Root CA"));
    }
    SUBCASE("the device sends only its leaf, the bundle holds the intermediate")
    {
      const auto r = evaluate({leaf.der()}, p.bundle(p.new_issuing.pem()));
      CHECK(r.port.status == Readiness::ready);
    }
    SUBCASE("the device sends only its leaf and the bundle holds only the root: not chained")
    {
      const auto r = evaluate({leaf.der()}, p.new_bundle());
      CHECK(r.port.status == Readiness::not_ready);
      CHECK(r.codes() == std::set<std::string>{"not-chained"});
      CHECK(contains(r.reason("not-chained").message, "New ECC Device CA")); // its issuer is named
    }
    SUBCASE("the device also sends the new root")
    {
      const auto r = evaluate({leaf.der(), p.new_issuing.der(), p.new_root.der()}, p.new_bundle());
      CHECK(r.port.status == Readiness::ready);
    }
  }

  TEST_CASE("a leaf that chains to the old root only is not ready, and says what it chains to")
  {
    const Pkis& p = pkis();
    const Issued leaf = issue("/CN=000B82000002", &p.old_issuing, {.shared_rsa = true});
    auto r = evaluate({leaf.der(), p.old_issuing.der()}, p.new_bundle());
    CHECK(r.port.status == Readiness::not_ready);
    CHECK(r.codes() == std::set<std::string>{"not-chained"});
    const std::string& message = r.reason("not-chained").message;
    CHECK(contains(message, "does not chain to the new roots"));
    CHECK(contains(message, "unable to get local issuer certificate"));
    CHECK(contains(message, "CN=Old Device CA"));
    CHECK(contains(message, "CN=Old Root CA"));
    CHECK(contains(r.reason("not-chained").remediation, "chains to the new roots"));
    CHECK(r.reason("not-chained").port == 443);

    // With the old root sent too, the chain ends at a self-signed root that is not in the bundle.
    r = evaluate({leaf.der(), p.old_issuing.der(), p.old_root.der()}, p.new_bundle());
    CHECK(r.codes() == std::set<std::string>{"not-chained"});
    CHECK(contains(r.reason("not-chained").message, "self-signed 'O=Example Vendor, CN=Old Root CA'"));

    // A server that keeps both roots during a transition accepts it.
    r = evaluate({leaf.der(), p.old_issuing.der()}, p.bundle(p.old_root.pem() + p.new_root.pem()));
    CHECK(r.port.status == Readiness::ready);
  }

  TEST_CASE("Grandstream's legacy generation gets the vendor's remediation: request the ECDSA certificate")
  {
    const Pkis& p = pkis();
    const Issued leaf = issue("/CN=000B82000003", &p.old_issuing, {.shared_rsa = true});
    ReadinessEndpoint factory = endpoint(443, {leaf.der(), p.old_issuing.der()});
    factory.provenance_kind = ProvenanceKind::factory;
    factory.provenance_vendor = "Grandstream";
    const auto r = evaluate_endpoint(factory, p.new_bundle(), {}, "Grandstream");
    REQUIRE(r.codes() == std::set<std::string>{"not-chained"});
    CHECK(contains(r.reason("not-chained").remediation, "Request the ECDSA+SHA384 certificate"));
    // Another vendor without a legacy generation gets the generic text.
    const auto generic = evaluate_endpoint(factory, p.new_bundle(), {}, "Polycom");
    CHECK(contains(generic.reason("not-chained").remediation, "chains to the new roots"));
    // The same algorithms on a certificate that is not Grandstream's factory one (enterprise-issued,
    // or provenance unknown): the portal cannot replace it, so the generic text.
    ReadinessEndpoint enterprise = factory;
    enterprise.provenance_kind = ProvenanceKind::custom_ca;
    enterprise.provenance_vendor.clear();
    CHECK(contains(evaluate_endpoint(enterprise, p.new_bundle(), {}, "Grandstream").reason("not-chained").remediation,
                   "chains to the new roots"));
    CHECK(contains(evaluate({leaf.der(), p.old_issuing.der()}, p.new_bundle(), {}, "Grandstream")
                       .reason("not-chained")
                       .remediation,
                   "chains to the new roots"));
  }

  TEST_CASE("a self-signed leaf does not chain unless the bundle holds it")
  {
    const Issued leaf = issue("/CN=0004F2000005", nullptr, {});
    auto r = evaluate({leaf.der()}, pkis().new_bundle(), {}, "Polycom");
    CHECK(r.codes() == std::set<std::string>{"not-chained"});
    CHECK(contains(r.reason("not-chained").message, "it is self-signed"));
    CHECK(contains(r.reason("not-chained").remediation, "generated this one itself")); // Polycom's self-signed text
    r = evaluate({leaf.der()}, pkis().bundle(leaf.pem()));
    CHECK(r.port.status == Readiness::ready);
  }

  TEST_CASE("validity on the swap date: the leaf, an intermediate, the bundle's root")
  {
    const Pkis& p = pkis();
    SUBCASE("a leaf that expires before the swap")
    {
      const Issued leaf = issue("/CN=000B82000004", &p.new_issuing, {.not_after = "2026-10-01T00:00:00Z"});
      const auto r = evaluate({leaf.der(), p.new_issuing.der()}, p.new_bundle());
      CHECK(r.port.status == Readiness::not_ready);
      CHECK(r.codes() == std::set<std::string>{"expired"});
      CHECK(r.reason("expired").message == "the leaf expires 2026-10-01T00:00:00Z, before 2026-11-23T00:00:00Z");
      CHECK(contains(r.reason("expired").remediation, "Renew"));
      // The day before it expires, the same chain is ready.
      ReadinessPolicy earlier;
      earlier.at = *parse_iso8601("2026-09-30");
      std::vector<ReadinessReason> reasons;
      const auto port = evaluate_port(endpoint(443, {leaf.der(), p.new_issuing.der()}), p.new_bundle(), earlier,
                                      profiles(), nullptr, reasons);
      CHECK(port.status == Readiness::ready);
    }
    SUBCASE("a leaf that is not valid yet on the swap date")
    {
      const Issued leaf = issue("/CN=000B82000005", &p.new_issuing, {.not_before = "2027-01-01T00:00:00Z"});
      const auto r = evaluate({leaf.der(), p.new_issuing.der()}, p.new_bundle());
      CHECK(r.codes() == std::set<std::string>{"not-yet-valid"});
      CHECK(contains(r.reason("not-yet-valid").message, "not valid before 2027-01-01T00:00:00Z"));
    }
    SUBCASE("an intermediate the device sends expires before the swap")
    {
      const Issued issuing = issue("/O=Example Vendor/CN=Short Device CA", &p.new_root,
                                   {.key = k_p384, .hash = "sha384", .not_before = "2020-01-01T00:00:00Z",
                                    .not_after = "2026-06-30T00:00:00Z", .ca = true});
      const Issued leaf = issue("/CN=000B82000006", &issuing, {});
      const auto r = evaluate({leaf.der(), issuing.der()}, p.new_bundle());
      CHECK(r.codes() == std::set<std::string>{"expired"});
      CHECK(contains(r.reason("expired").message, "the chain certificate 'O=Example Vendor, CN=Short Device CA' expires"));
    }
    SUBCASE("the new root itself ends before the swap")
    {
      const Issued root = issue("/CN=Short Root", nullptr,
                                {.not_before = "2020-01-01T00:00:00Z", .not_after = "2026-01-01T00:00:00Z", .ca = true});
      const Issued leaf = issue("/CN=000B82000007", &root, {});
      const auto r = evaluate({leaf.der()}, p.bundle(root.pem()));
      CHECK(r.codes() == std::set<std::string>{"expired"});
      CHECK(contains(r.reason("expired").message, "the new bundle's certificate 'CN=Short Root'"));
      CHECK(contains(r.reason("expired").remediation, "bundle"));
    }
    SUBCASE("an expired leaf that does not chain either: both reasons")
    {
      const Issued leaf = issue("/CN=000B82000008", &p.old_issuing, {.shared_rsa = true, .not_after = "2026-10-01T00:00:00Z"});
      const auto r = evaluate({leaf.der(), p.old_issuing.der()}, p.new_bundle());
      CHECK(r.codes() == std::set<std::string>{"not-chained", "expired"});
    }
  }

  TEST_CASE("one after-bundle store serves every port: the same verdicts in any order, at any date, from many threads")
  {
    const Pkis& p = pkis();
    const TrustAfter trust = p.new_bundle(); // its store is built once, here
    const Issued expiring = issue("/CN=000B82000011", &p.new_issuing, {.not_after = "2026-10-01T00:00:00Z"});
    const Issued fine = issue("/CN=000B82000012", &p.new_issuing, {});
    const Issued old = issue("/CN=000B82000013", &p.old_issuing, {.shared_rsa = true});
    const std::vector<std::vector<Der>> chains = {
        {expiring.der(), p.new_issuing.der()}, {fine.der(), p.new_issuing.der()}, {old.der(), p.old_issuing.der()}};
    ReadinessPolicy earlier;
    earlier.at = *parse_iso8601("2026-09-30");
    ReadinessPolicy swap;
    swap.at = k_swap;
    // A port's verdict, reasons and verified chain as one text.
    const auto verdict = [&](const std::vector<Der>& chain, const ReadinessPolicy& policy) {
      std::vector<ReadinessReason> reasons;
      const PortReadiness port = evaluate_port(endpoint(443, chain), trust, policy, profiles(), nullptr, reasons);
      std::string text = std::string(to_string(port.status));
      for (const auto& reason : reasons) {
        text += "|" + reason.code + ":" + reason.message;
      }
      for (const auto& subject : port.verified_chain) {
        text += "|" + subject;
      }
      return text;
    };
    std::vector<std::string> at_swap;
    std::vector<std::string> before_swap;
    for (const auto& chain : chains) {
      at_swap.push_back(verdict(chain, swap));
      before_swap.push_back(verdict(chain, earlier));
    }
    CHECK(at_swap[0].starts_with("not-ready|expired:"));
    CHECK(before_swap[0].starts_with("ready|"));
    CHECK(at_swap[1] == "ready|CN=000B82000012|O=Example Vendor, CN=New ECC Device CA|O=Example Vendor, CN=New ECC Root CA");
    CHECK(at_swap[2].starts_with("not-ready|not-chained:"));

    SUBCASE("again, dates alternating: the store keeps no date of a verification")
    {
      for (int round = 0; round < 2; ++round) {
        for (std::size_t i = chains.size(); i-- > 0;) {
          CAPTURE(i);
          CHECK(verdict(chains[i], earlier) == before_swap[i]);
          CHECK(verdict(chains[i], swap) == at_swap[i]);
        }
      }
    }
    SUBCASE("from many threads at once")
    {
      std::atomic<int> mismatches{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
          for (int round = 0; round < 15; ++round) {
            const std::size_t i = static_cast<std::size_t>(t + round) % chains.size();
            const bool at = (t + round) % 2 == 0;
            if (verdict(chains[i], at ? swap : earlier) != (at ? at_swap[i] : before_swap[i])) {
              ++mismatches;
            }
          }
        });
      }
      for (auto& thread : threads) {
        thread.join();
      }
      CHECK(mismatches.load() == 0);
    }
  }

  TEST_CASE("a fresh after-bundle's anchors are first used by many threads at once (TSan: no race)")
  {
    // OpenSSL 3.0 fills a certificate's extension cache on first use, and two threads doing that at
    // once race; from_pem fills it. Each round's first verifications come from threads started
    // together (CI runs the unit tests under TSan, where a race fails the test).
    const Pkis& p = pkis();
    const Issued fine = issue("/CN=000B82000014", &p.new_issuing, {});
    const std::vector<Der> chain{fine.der(), p.new_issuing.der()};
    ReadinessPolicy swap;
    swap.at = k_swap;
    constexpr int k_threads = 4;
    for (int store_round = 0; store_round < 12; ++store_round) {
      const TrustAfter trust = p.new_bundle();
      std::atomic<int> waiting{k_threads};
      std::atomic<int> ready{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&] {
          const ReadinessEndpoint e = endpoint(443, chain);
          std::vector<ReadinessReason> reasons;
          --waiting;
          while (waiting.load() > 0) {
            std::this_thread::yield();
          }
          if (evaluate_port(e, trust, swap, profiles(), nullptr, reasons).status == Readiness::ready) {
            ++ready;
          }
        });
      }
      for (auto& thread : threads) {
        thread.join();
      }
      CHECK(ready.load() == k_threads);
    }
  }

  TEST_CASE("rejected signatures: the leaf, an intermediate it sends, never a root's self-signature")
  {
    const Pkis& p = pkis();
    SUBCASE("a SHA1 leaf")
    {
      const Issued leaf = issue("/CN=7C2F80000001", &p.new_issuing, {.hash = "sha1"});
      auto r = evaluate({leaf.der(), p.new_issuing.der()}, p.new_bundle());
      CHECK(r.codes() == std::set<std::string>{"rejected-signature"});
      CHECK(r.reason("rejected-signature").message == "the leaf is signed with ECDSA+SHA1 (SHA1 is rejected after the swap)");
      r = evaluate({leaf.der(), p.new_issuing.der()}, p.new_bundle(), {}, "Gigaset");
      CHECK(contains(r.reason("rejected-signature").remediation, "2.57"));
      ReadinessPolicy md5_only;
      md5_only.rejected_hashes = {"MD5"};
      CHECK(evaluate({leaf.der(), p.new_issuing.der()}, p.new_bundle(), md5_only).port.status == Readiness::ready);
    }
    SUBCASE("a SHA1 intermediate the device sends")
    {
      const Issued issuing = issue("/O=Example Vendor/CN=SHA1 Device CA", &p.new_root, ca_options({.hash = "sha1"}));
      const Issued leaf = issue("/CN=7C2F80000002", &issuing, {});
      const auto r = evaluate({leaf.der(), issuing.der()}, p.new_bundle());
      CHECK(r.codes() == std::set<std::string>{"rejected-signature"});
      CHECK(contains(r.reason("rejected-signature").message, "'O=Example Vendor, CN=SHA1 Device CA' is signed with ECDSA+SHA1"));
    }
    SUBCASE("a root's SHA1 self-signature does not count, in the bundle or sent by the device")
    {
      const Issued root = issue("/CN=SHA1 Root", nullptr, ca_options({.hash = "sha1"}));
      const Issued leaf = issue("/CN=7C2F80000003", &root, {});
      CHECK(evaluate({leaf.der()}, p.bundle(root.pem())).port.status == Readiness::ready);
      CHECK(evaluate({leaf.der(), root.der()}, p.bundle(root.pem())).port.status == Readiness::ready);
      // Sent with a chain that does not reach the new roots, it is in the (partial) chain the
      // verification built, and still only the chain is the problem.
      const auto r = evaluate({leaf.der(), root.der()}, p.new_bundle());
      CHECK(r.codes() == std::set<std::string>{"not-chained"});
      CHECK(contains(r.reason("not-chained").message, "self-signed 'CN=SHA1 Root'"));
    }
    SUBCASE("MD5")
    {
      const Issued leaf = issue("/CN=7C2F80000004", &p.old_issuing, {.key = {"rsa", 1024, ""}, .hash = "md5"});
      ReadinessPolicy policy;
      policy.min_rsa_bits = 1024;
      const auto r = evaluate({leaf.der(), p.old_issuing.der()}, p.bundle(p.old_root.pem()), policy);
      CHECK(r.codes() == std::set<std::string>{"rejected-signature"});
      CHECK(contains(r.reason("rejected-signature").remediation, "MD5"));
    }
  }

  TEST_CASE("keys: RSA below --min-rsa-bits, EC below 256 bits, Ed25519 and P-384 pass")
  {
    const Pkis& p = pkis();
    const Issued rsa1024 = issue("/CN=0004F2000010", &p.new_issuing, {.key = {"rsa", 1024, ""}});
    auto r = evaluate({rsa1024.der(), p.new_issuing.der()}, p.new_bundle());
    CHECK(r.codes() == std::set<std::string>{"weak-key"});
    CHECK(r.reason("weak-key").message == "the leaf: RSA key of 1024 bits (at least 2048 required)");
    ReadinessPolicy lenient;
    lenient.min_rsa_bits = 1024;
    CHECK(evaluate({rsa1024.der(), p.new_issuing.der()}, p.new_bundle(), lenient).port.status == Readiness::ready);

    const Issued p224 = issue("/CN=0004F2000011", &p.new_issuing, {.key = {"ec", 0, "P-224"}});
    r = evaluate({p224.der(), p.new_issuing.der()}, p.new_bundle());
    CHECK(r.codes() == std::set<std::string>{"weak-key"});
    CHECK(contains(r.reason("weak-key").message, "224 bits"));

    const Issued ed = issue("/CN=0004F2000012", &p.new_issuing, {.key = {"ed25519", 0, ""}});
    CHECK(evaluate({ed.der(), p.new_issuing.der()}, p.new_bundle()).port.status == Readiness::ready);
    const Issued p384 = issue("/CN=0004F2000013", &p.new_issuing, {.key = k_p384});
    CHECK(evaluate({p384.der(), p.new_issuing.der()}, p.new_bundle()).port.status == Readiness::ready);
  }

  TEST_CASE("a generic CN (Gigaset's Einstein2) is not ready, with Gigaset's remediation")
  {
    const Pkis& p = pkis();
    const Issued leaf = issue("/CN=Einstein2", &p.new_issuing, {});
    const auto r = evaluate({leaf.der(), p.new_issuing.der()}, p.new_bundle());
    CHECK(r.codes() == std::set<std::string>{"generic-cn"});
    CHECK(contains(r.reason("generic-cn").message, "'Einstein2'"));
    CHECK(contains(r.reason("generic-cn").remediation, "CN=Einstein2")); // the vendor text, found by the CN

    // The scan's CN class counts too (a CN a site's own profile lists).
    ReadinessPolicy policy;
    policy.at = k_swap;
    const Issued other = issue("/CN=shared-name", &p.new_issuing, {});
    ReadinessEndpoint e = endpoint(5061, {other.der(), p.new_issuing.der()});
    e.cn_class = CnClass::generic;
    std::vector<ReadinessReason> reasons;
    CHECK(evaluate_port(e, p.new_bundle(), policy, profiles(), nullptr, reasons).status == Readiness::not_ready);
    REQUIRE(reasons.size() == 1);
    CHECK(reasons[0].port == 5061);
  }

  TEST_CASE("every reason at once")
  {
    const Pkis& p = pkis();
    const Issued leaf = issue("/CN=Einstein2", &p.old_issuing,
                              {.key = {"rsa", 1024, ""}, .hash = "sha1", .not_after = "2026-11-01T00:00:00Z"});
    const auto r = evaluate({leaf.der(), p.old_issuing.der()}, p.new_bundle(), {}, "Gigaset");
    CHECK(r.port.status == Readiness::not_ready);
    CHECK(r.codes() == std::set<std::string>{"not-chained", "expired", "rejected-signature", "weak-key", "generic-cn"});
    for (const auto& reason : r.reasons) {
      CHECK_FALSE(reason.message.empty());
      CHECK_FALSE(reason.remediation.empty());
    }
  }

  TEST_CASE("devices: every port that presented a certificate must be ready")
  {
    const Pkis& p = pkis();
    const Issued good = issue("/CN=000B82000020", &p.new_issuing, {});
    const Issued old = issue("/CN=000B82000020", &p.old_issuing, {.shared_rsa = true});
    ReadinessPolicy policy;
    policy.at = k_swap;
    const TrustAfter trust = p.new_bundle();
    ReadinessDeviceInput device;
    device.ip = "127.0.9.1";
    device.vendor = "Grandstream";
    device.model = "GXP2170";
    device.site = "HQ";

    SUBCASE("one port ready, the other refused: ready")
    {
      device.endpoints = {silent(5061, ErrorClass::refused), endpoint(443, {good.der(), p.new_issuing.der()})};
      const auto d = evaluate_device(device, trust, policy, profiles());
      CHECK(d.status == Readiness::ready);
      REQUIRE(d.ports.size() == 2);
      CHECK(d.ports[0].port == 443); // in port order
      CHECK(d.reasons.empty());
      CHECK(d.remediation.empty());
    }
    SUBCASE("one port ready, the other not: not ready, the reason names the port")
    {
      ReadinessEndpoint legacy = endpoint(5061, {old.der(), p.old_issuing.der()});
      legacy.provenance_kind = ProvenanceKind::factory; // as the scan decided it
      legacy.provenance_vendor = "Grandstream";
      device.endpoints = {endpoint(443, {good.der(), p.new_issuing.der()}), legacy};
      const auto d = evaluate_device(device, trust, policy, profiles());
      CHECK(d.status == Readiness::not_ready);
      REQUIRE(d.reasons.size() == 1);
      CHECK(d.reasons[0].port == 5061);
      REQUIRE(d.remediation.size() == 1);
      CHECK(contains(d.remediation[0], "ECDSA+SHA384")); // Grandstream's legacy generation
    }
    SUBCASE("no certificate on any port: unknown")
    {
      device.endpoints = {silent(443, ErrorClass::timeout), silent(5061, ErrorClass::refused)};
      const auto d = evaluate_device(device, trust, policy, profiles());
      CHECK(d.status == Readiness::unknown);
      REQUIRE(d.reasons.size() == 1);
      CHECK(d.reasons[0].code == "no-certificate");
      CHECK(d.reasons[0].message == "no certificate on any port (443:timeout;5061:refused)");
    }
    SUBCASE("a report without PEM chains: unknown, with a reason")
    {
      device.endpoints = {endpoint(443, {})};
      const auto d = evaluate_device(device, trust, policy, profiles());
      CHECK(d.status == Readiness::unknown);
      REQUIRE(d.reasons.size() == 1);
      CHECK(d.reasons[0].code == "no-chain");
    }
    SUBCASE("a certificate that does not decode: not ready")
    {
      device.endpoints = {endpoint(443, {Der{0x30, 0x03, 0x02, 0x01, 0x01}})};
      const auto d = evaluate_device(device, trust, policy, profiles());
      CHECK(d.status == Readiness::not_ready);
      REQUIRE(d.reasons.size() == 1);
      CHECK(d.reasons[0].code == "unparseable");
    }
  }

  TEST_CASE("which addresses are devices, totals and percentages")
  {
    ReadinessDeviceInput nothing;
    nothing.endpoints = {silent(443, ErrorClass::refused), silent(5061, ErrorClass::unreachable)};
    CHECK_FALSE(counts_as_device(nothing));
    ReadinessDeviceInput listed = nothing;
    listed.in_inventory = true;
    CHECK(counts_as_device(listed));
    ReadinessDeviceInput tarpit;
    tarpit.endpoints = {silent(443, ErrorClass::timeout), silent(5061, ErrorClass::refused)};
    CHECK(counts_as_device(tarpit));

    auto device = [](const std::string& vendor, const std::string& site, Readiness status, const std::string& code) {
      DeviceReadiness d;
      d.vendor = vendor;
      d.site = site;
      d.status = status;
      if (!code.empty()) {
        d.reasons.push_back({code, 443, "m", "r"});
        d.reasons.push_back({code, 5061, "m", "r"}); // counted once per device
      }
      return d;
    };
    const auto totals = tally_readiness({device("Grandstream", "HQ", Readiness::ready, ""),
                                         device("Grandstream", "HQ", Readiness::not_ready, "not-chained"),
                                         device("Grandstream", "Branch", Readiness::not_ready, "not-chained"),
                                         device("Gigaset", "Branch", Readiness::unknown, "no-certificate")});
    CHECK(totals.overall.devices == 4);
    CHECK(totals.overall.ready == 1);
    CHECK(totals.overall.not_ready == 2);
    CHECK(totals.overall.unknown == 1);
    CHECK(totals.by_vendor.at("Grandstream").devices == 3);
    CHECK(totals.by_vendor.at("Grandstream").not_ready == 2);
    CHECK(totals.by_site.at("Branch").unknown == 1);
    CHECK(totals.by_model.at("").devices == 4);
    CHECK(totals.devices_by_reason.at("not-chained") == 2);
    CHECK(percent(1, 3) == doctest::Approx(33.3));
    CHECK(percent(2, 3) == doctest::Approx(66.7));
    CHECK(percent(0, 0) == 0.0);
    CHECK(percent(3, 3) == 100.0);
  }

  TEST_CASE("vocabulary")
  {
    CHECK(to_string(Readiness::ready) == "ready");
    CHECK(to_string(Readiness::not_ready) == "not-ready");
    CHECK(to_string(Readiness::unknown) == "unknown");
  }

  TEST_CASE("firmware notes: Gigaset's stages say which certificate provisioning checks")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const VendorProfile* gigaset = profiles.find("Gigaset");
    REQUIRE(gigaset != nullptr);
    DeviceIdentity device;
    device.ip = "127.0.9.1";
    device.model = "N870";
    device.model_source = "inventory";
    auto codes = [&](const std::string& firmware) {
      device.firmware = firmware;
      device.firmware_source = "sip-user-agent";
      std::vector<std::string> out;
      for (const ReadinessNote& note : firmware_notes(*gigaset, device, {5061})) {
        out.push_back(note.code);
      }
      return out;
    };
    CHECK(codes("2.43").empty()); // the factory certificate for everything: the verdict covers provisioning
    CHECK(codes("83.V2.58.0") == std::vector<std::string>{"sip-certificate-not-provisioning"});
    CHECK(codes("2.61") ==
          std::vector<std::string>{"sip-certificate-not-provisioning", "provisioning-needs-new-server-certificates"});
    SUBCASE("the message names the firmware, its source and the SIP port")
    {
      device.firmware = "2.59";
      const std::vector<ReadinessNote> notes = firmware_notes(*gigaset, device, {5061});
      REQUIRE(notes.size() == 1);
      CHECK(notes[0].applies);
      CHECK(notes[0].message.find("'2.59' (sip-user-agent)") != std::string::npos);
      CHECK(notes[0].message.find("SIP port (5061)") != std::string::npos);
    }
    SUBCASE("unknown firmware is said, not guessed")
    {
      device.firmware.clear();
      const std::vector<ReadinessNote> notes = firmware_notes(*gigaset, device, {});
      REQUIRE(notes.size() == 1);
      CHECK(notes[0].code == "firmware-unknown");
      CHECK_FALSE(notes[0].applies);
      CHECK(notes[0].message.find("firmware is unknown") != std::string::npos);
      CHECK(notes[0].message.find("2.57, 2.61") != std::string::npos);
    }
    SUBCASE("another vendor's profile or model has nothing to say")
    {
      device.firmware = "2.61";
      device.model = "C430A GO";
      CHECK(firmware_notes(*gigaset, device, {5061}).empty());
      device.model = "GXP2170";
      const VendorProfile* grandstream = profiles.find("Grandstream");
      REQUIRE(grandstream != nullptr);
      CHECK(firmware_notes(*grandstream, device, {5061}).empty());
    }
  }

  TEST_CASE("firmware notes name the ports the scan sent a SIP OPTIONS on, else 5061")
  {
    const Pkis& p = pkis();
    const Issued cert = issue("/CN=7C2F80000020", &p.new_issuing, {});
    ReadinessPolicy policy;
    policy.at = k_swap;
    const TrustAfter trust = p.new_bundle();
    ReadinessDeviceInput device;
    device.ip = "127.0.9.1";
    device.vendor = "Gigaset";
    device.model = "N870";
    device.firmware = "2.59";
    device.firmware_source = "sip-user-agent";
    const auto note_message = [&] {
      const auto d = evaluate_device(device, trust, policy, profiles());
      REQUIRE(d.notes.size() == 1);
      CHECK(d.notes[0].code == "sip-certificate-not-provisioning");
      return d.notes[0].message;
    };
    SUBCASE("no identity request: the SIP port is 5061")
    {
      device.endpoints = {endpoint(443, {cert.der()}), endpoint(5061, {cert.der()})};
      CHECK(contains(note_message(), "SIP port (5061)"));
    }
    SUBCASE("a SIP OPTIONS on 5063 and 5065 (--sip-ports), GET / on 443")
    {
      ReadinessEndpoint web = endpoint(443, {cert.der()});
      web.identity_request = IdentityProtocol::http;
      ReadinessEndpoint first = endpoint(5063, {cert.der()});
      first.identity_request = IdentityProtocol::sip;
      ReadinessEndpoint second = endpoint(5065, {cert.der()});
      second.identity_request = IdentityProtocol::sip;
      device.endpoints = {second, web, first};
      CHECK(contains(note_message(), "SIP port (5063, 5065)"));
    }
    SUBCASE("5061 asked with GET / is not a SIP port")
    {
      ReadinessEndpoint web = endpoint(5061, {cert.der()});
      web.identity_request = IdentityProtocol::http;
      device.endpoints = {web};
      const std::string message = note_message();
      CHECK(contains(message, "the certificate on the SIP port is not"));
    }
  }
}
