// The check of the given bundles over a scan.
//
//   record ──> which bundle verified its chain (Provenance::vendor_ca, trust_verified)
//          └─> which bundles it claims (device vendor, issuer names) ──> BundleUse counts ──> warnings

#include "scanner/assessment/bundle_check.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/text.hpp"

#include <utility>

namespace fleetcert {
namespace {

constexpr std::string_view k_vendor_ca_option = "--vendor-ca";
constexpr std::string_view k_trust_option = "--trust";

// The issuer as kept: its first k_max_issuer_bytes bytes.
std::string kept_issuer(std::string_view issuer)
{
  return std::string(issuer.substr(0, BundleCheck::k_max_issuer_bytes));
}

// Counts an unverified certificate under its issuer, keeping the list most frequent first.
void count_unverified(BundleUse& use, std::string_view issuer)
{
  const std::string name = kept_issuer(issuer);
  auto& issuers = use.unverified_issuers;
  for (std::size_t i = 0; i < issuers.size(); ++i) {
    if (issuers[i].first == name) {
      ++issuers[i].second;
      for (; i > 0 && issuers[i - 1].second < issuers[i].second; --i) {
        std::swap(issuers[i - 1], issuers[i]); // most frequent first
      }
      return;
    }
  }
  if (use.unverified_issuers.size() < BundleCheck::k_max_issuers) {
    use.unverified_issuers.emplace_back(name, 1);
  } else {
    ++use.unverified_other;
  }
}

void count(BundleUse& use, bool verified, std::string_view issuer)
{
  ++use.certificates;
  if (verified) {
    ++use.verified;
  } else {
    count_unverified(use, issuer);
  }
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many)
{
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string joined_files(const std::vector<std::string>& files)
{
  std::string text;
  for (const std::string& file : files) {
    text += (text.empty() ? "" : ", ") + quote_for_message(file);
  }
  return text;
}

// "'CN=A' (8), 'CN=B' (4) and 3 more certificates under other issuers".
std::string issuers_seen(const BundleUse& use)
{
  std::string text;
  for (const auto& [issuer, n] : use.unverified_issuers) {
    text += (text.empty() ? "" : ", ") + quote_for_message(issuer) + " (" + std::to_string(n) + ")";
  }
  if (use.unverified_other > 0) {
    text += " and " + plural(use.unverified_other, "more certificate", "more certificates") + " under other issuers";
  }
  return text;
}

} // namespace

BundleCheck::BundleCheck(const TrustStores& trust, const VendorProfiles& profiles) : m_profiles(&profiles)
{
  for (TrustBundleInfo& bundle : trust.bundles()) {
    BundleUse use;
    use.option = std::string(bundle.vendor.empty() ? k_trust_option : k_vendor_ca_option);
    use.vendor = std::move(bundle.vendor);
    use.files = std::move(bundle.files);
    use.ca_certificates = bundle.certificates;
    m_uses.push_back(std::move(use));
  }
}

void BundleCheck::add(const Record& record)
{
  const CertificateInfo* leaf = record.leaf();
  if (m_uses.empty() || leaf == nullptr || !leaf->parsed || leaf->self_signed) {
    return;
  }
  const Assessment& assessment = record.assessment;
  const Provenance& provenance = assessment.provenance;
  const bool verified_by_none = provenance.vendor_ca.empty() && !provenance.trust_verified;
  const VendorProfile* factory_issuer_profile = m_profiles->match_factory_issuer(leaf->issuer).profile;
  const VendorProfile* issuer_text_profile = verified_by_none ? m_profiles->by_name_text(leaf->issuer) : nullptr;
  const auto names = [](const VendorProfile* profile, std::string_view vendor) {
    return profile != nullptr && ascii_iequals(profile->name, vendor);
  };

  for (BundleUse& use : m_uses) {
    if (use.option == k_trust_option) {
      if (provenance.trust_verified || (verified_by_none && factory_issuer_profile == nullptr)) {
        count(use, provenance.trust_verified, leaf->issuer);
      }
      continue;
    }
    const bool verified = ascii_iequals(provenance.vendor_ca, use.vendor);
    const bool claims = verified
                        || (verified_by_none
                            && (ascii_iequals(assessment.vendor, use.vendor) || names(factory_issuer_profile, use.vendor)
                                || names(issuer_text_profile, use.vendor)));
    if (claims) {
      count(use, verified, leaf->issuer);
    }
  }
}

std::vector<ScanWarning> BundleCheck::warnings() const
{
  std::vector<ScanWarning> warnings;
  for (const BundleUse& use : m_uses) {
    if (use.certificates == 0 || use.verified != 0) {
      continue;
    }
    ScanWarning warning;
    if (use.option == k_trust_option) {
      warning.code = "trust-verified-none";
      warning.message = "--trust (" + joined_files(use.files) + ") verified none of the "
                        + plural(use.certificates, "certificate that is", "certificates that are")
                        + " neither self-signed nor from a vendor's factory CA: the bundle is stale, "
                          "incomplete (an intermediate missing) or not your CA's, so none of them is custom-ca by "
                          "its chain. Issuers seen: "
                        + issuers_seen(use);
    } else {
      warning.code = "vendor-ca-verified-none";
      warning.message = "--vendor-ca " + use.vendor + " (" + joined_files(use.files) + ") verified none of the "
                        + plural(use.certificates, "certificate", "certificates") + " of " + use.vendor
                        + " devices or with a " + use.vendor
                        + " issuer name: the bundle is stale, incomplete (an intermediate missing) or not "
                        + use.vendor + "'s, so none of them is factory by its chain. Issuers seen: "
                        + issuers_seen(use)
                        + ". `fleetcert issuers REPORT` lists the CA certificates the devices sent";
    }
    warnings.push_back(std::move(warning));
  }
  return warnings;
}

} // namespace fleetcert
