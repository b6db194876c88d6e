#include "scanner/assessment/findings.hpp"

#include "scanner/util/text.hpp"

#include <algorithm>
#include <tuple>

namespace fleetcert {

namespace {

constexpr VocabularyWord<Severity> k_severities[] = {
    {Severity::info, "info"}, {Severity::low, "low"},           {Severity::medium, "medium"},
    {Severity::high, "high"}, {Severity::critical, "critical"},
};

} // namespace

std::string_view to_string(Severity severity)
{
  return vocabulary_word(k_severities, severity);
}

std::optional<Severity> parse_severity(std::string_view text)
{
  return vocabulary_value(k_severities, text);
}

const std::vector<FindingKind>& finding_kinds()
{
  static const std::vector<FindingKind> kinds = {
      {"weak-signature", Severity::critical,
       "Replace the certificate: an MD5 (or weaker) signature can be forged. Install a certificate from the vendor's "
       "current generation or your own CA."},
      {"shared-key", Severity::critical,
       "The same private key is on several devices: anyone who extracts it from one can impersonate all of them. Give "
       "each device its own key: request per-device certificates from the vendor or issue your own."},
      {"sha1-rejected", Severity::high,
       "Replace the certificate with a SHA-256 (or better) one: current TLS stacks and firmware reject SHA1 "
       "signatures. Update the firmware so the device makes or receives a current certificate."},
      {"generic-cn", Severity::high,
       "The CN is a name shared by many devices, so a server cannot tell them apart. Request a per-device certificate "
       "from the vendor or install your own client certificate."},
      {"self-signed", Severity::high,
       "The device has no factory certificate: mutual-TLS provisioning that expects the vendor's CA will fail. "
       "Restore the factory certificate (vendor support) or install a certificate from your own CA and trust it."},
      {"expired", Severity::high,
       "Renew the certificate: servers that check validity reject it. Factory certificates are renewed through the "
       "vendor; custom ones through your CA."},
      {"weak-key", Severity::high,
       "Replace the key: RSA below 2048 bits (or an equally weak key) is rejected by current TLS stacks and can be "
       "factored."},
      {"mac-mismatch", Severity::high,
       "The certificate was issued to another device (its CN names another MAC than this device's, from the inventory "
       "or a DHCP lease): it was most likely copied from that device. Give this device its own certificate (a factory "
       "certificate is requested for this device's own MAC); if the inventory or lease is wrong, correct it."},
      {"shared-certificate", Severity::high,
       "The same certificate is on several devices: give each device its own certificate (and key)."},
      {"issuer-pin-mismatch", Severity::high,
       "The chain reaches the vendor's roots through an issuing CA whose thumbprint is not one the vendor documents: "
       "treat it as not factory-installed until the vendor confirms the issuer."},
      {"certificate-unparseable", Severity::high,
       "The certificate does not decode (invalid encoding): most TLS stacks will refuse it. Replace it."},
      {"unknown-issuer", Severity::medium,
       "The issuer is neither a known vendor CA nor in your trust bundles: identify who issued it, then add that CA "
       "with --trust or --vendor-ca, or replace the certificate."},
      {"expiring", Severity::medium, "Renew the certificate before it expires."},
      {"not-yet-valid", Severity::medium,
       "The certificate is not valid yet: check the device's clock (NTP) and the certificate's dates."},
      {"vendor-mismatch", Severity::medium,
       "The device's vendor (inventory or MAC prefix) is not the vendor whose factory CA issued its certificate, or not "
       "the vendor the device announces itself as (SIP User-Agent or Server, HTTP Server or page title): check "
       "whether the certificate was copied from another vendor's device, whether the inventory is right, and whether "
       "the --vendor-ca bundle holds that vendor's CA certificates (a mislabelled bundle names the wrong vendor)."},
      {"identity-mac-mismatch", Severity::medium,
       "The MAC the device announces (SIP User-Agent or Server, HTTP Server) is not the MAC in its certificate's CN or "
       "in the inventory: the certificate or the configuration was copied from another device, another device answers "
       "at this address, or the inventory row is wrong. Check the device's label, then correct the inventory or give "
       "the device its own certificate."},
      {"model-mismatch", Severity::low,
       "The model the device announces is not the inventory's: another device answers at this address or the inventory "
       "is out of date. Vendor rules that depend on the model (certificate portals, firmware stages) follow the "
       "inventory's model: correct it."},
      {"legacy-generation", Severity::medium,
       "The device carries the vendor's previous certificate generation: request the current one from the vendor."},
      {"chain-incomplete", Severity::medium,
       "The device does not send the intermediate CA certificate its certificate needs: clients without it cannot "
       "verify the device. Install the full chain on the device, or the intermediate on the servers."},
      {"not-answering", Severity::medium,
       "A device of the inventory presented no certificate on any port: check that it is powered, reachable and "
       "that the inventory is current."},
      {"not-in-inventory", Severity::low,
       "A device answered that the inventory does not list: add it to the inventory or find out what it is."},
  };
  return kinds;
}

const FindingKind* find_finding_kind(std::string_view code)
{
  for (const auto& kind : finding_kinds()) {
    if (kind.code == code) {
      return &kind;
    }
  }
  return nullptr;
}

namespace {

// True when `a` is worse than `b` (sort_findings' order).
bool worse(const Finding& a, const Finding& b)
{
  if (a.severity != b.severity) {
    return a.severity > b.severity;
  }
  return std::tie(a.code, a.message, a.remediation) < std::tie(b.code, b.message, b.remediation);
}

} // namespace

void sort_findings(std::vector<Finding>& findings)
{
  std::stable_sort(findings.begin(), findings.end(), worse);
}

const Finding* worst_finding(const std::vector<Finding>& findings)
{
  const auto worst = std::min_element(findings.begin(), findings.end(), worse);
  return worst == findings.end() ? nullptr : &*worst;
}

} // namespace fleetcert
