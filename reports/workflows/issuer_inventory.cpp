// The issuers and sent CA certificates of a saved report (see issuer_inventory.hpp).

#include "reports/workflows/issuer_inventory.hpp"

#include "reports/encoding/record_json.hpp"
#include "reports/encoding/text_safety.hpp"
#include "scanner/assessment/assessment.hpp"
#include "scanner/certificate/distinguished_name.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/text.hpp"
#include "scanner/util/time.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace fleetcert {
namespace {

using json = nlohmann::json;

// A leaf issuer while the report is read: device addresses instead of counts.
struct IssuerTally
{
  LeafIssuer issuer;
  std::set<std::string> devices;
  std::set<std::string> factory_candidates;
  std::set<std::string> issuing_cas;
  std::map<std::string, std::size_t> provenance;
};

struct CaTally
{
  SentCaCertificate certificate;
  std::set<std::string> devices;
  std::set<std::string> issued_devices;
};

struct VendorTally
{
  VendorIssuers vendor;
  std::set<std::string> self_signed_devices;
  std::map<std::string, IssuerTally> issuers; // by issuer name
  std::map<std::string, CaTally> cas;         // by SHA-256
};

// The provenance word of an endpoint as reports write it ("factory/chain"), "none" when absent.
std::string provenance_word(const ReportEndpoint& endpoint)
{
  const std::string word = endpoint.provenance();
  return word.empty() ? std::string("none") : word;
}

// The index of the certificate after the leaf that signed it, 0 when none did.
std::size_t issuing_index(const std::vector<Der>& chain)
{
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (issued_by(chain.front(), chain[i])) {
      return i;
    }
  }
  return 0;
}

void add_endpoint(VendorTally& tally, const std::string& device, const ReportEndpoint& endpoint)
{
  VendorIssuers& vendor = tally.vendor;
  ++vendor.endpoints_with_certificate;
  const bool has_chain = !endpoint.chain.empty();
  if (!has_chain) {
    ++vendor.endpoints_without_chain;
  }
  std::set<std::string> seen; // a certificate sent twice in one chain counts once
  for (std::size_t i = 1; i < endpoint.chain.size(); ++i) {
    const Der& der = endpoint.chain[i];
    const std::string sha256 = sha256_hex(der);
    if (!seen.insert(sha256).second) {
      continue;
    }
    auto [it, inserted] = tally.cas.try_emplace(sha256);
    CaTally& ca = it->second;
    if (inserted) {
      ca.certificate.der = der;
      ca.certificate.info = decode_certificate(der);
      ca.certificate.organization = name_organization(ca.certificate.info.subject);
      ca.certificate.common_name = name_common_name(ca.certificate.info.subject);
    }
    ca.devices.insert(device);
    ++ca.certificate.endpoints;
  }
  const std::size_t issuing = has_chain ? issuing_index(endpoint.chain) : 0;
  if (issuing != 0) {
    CaTally& ca = tally.cas.at(sha256_hex(endpoint.chain[issuing]));
    ca.issued_devices.insert(device);
    ++ca.certificate.issued_endpoints;
  }

  if (endpoint.self_signed) {
    ++vendor.self_signed_endpoints;
    tally.self_signed_devices.insert(device);
    return;
  }
  if (endpoint.issuer.empty()) {
    ++vendor.undecoded_endpoints;
    return;
  }
  auto [it, inserted] = tally.issuers.try_emplace(endpoint.issuer);
  IssuerTally& issuer = it->second;
  if (inserted) {
    issuer.issuer.issuer = endpoint.issuer;
    issuer.issuer.organization = name_organization(endpoint.issuer);
    issuer.issuer.common_name = name_common_name(endpoint.issuer);
  }
  ++issuer.issuer.endpoints;
  issuer.devices.insert(device);
  // A chain verified to another CA (--trust, or a pin mismatch) rules a factory issuer out; a
  // custom-ca decided from names alone is what unknown factory CAs look like under placeholder profiles.
  if (!(endpoint.provenance_kind == ProvenanceKind::custom_ca && endpoint.provenance_basis == ProvenanceBasis::chain)) {
    issuer.factory_candidates.insert(device);
  }
  ++issuer.provenance[provenance_word(endpoint)];
  if (!has_chain) {
    ++issuer.issuer.issuer_unknown;
  } else if (issuing == 0) {
    ++issuer.issuer.issuer_not_sent;
  } else {
    ++issuer.issuer.issuer_sent;
    issuer.issuing_cas.insert(sha256_hex(endpoint.chain[issuing]));
  }
}

// Counts, order and the facts that need every certificate of the vendor.
VendorIssuers finish_vendor(VendorTally& tally, std::optional<std::int64_t> at)
{
  VendorIssuers vendor = std::move(tally.vendor);
  vendor.self_signed_devices = tally.self_signed_devices.size();
  for (auto& [name, issuer] : tally.issuers) {
    issuer.issuer.devices = issuer.devices.size();
    issuer.issuer.factory_candidate_devices = issuer.factory_candidates.size();
    issuer.issuer.issuing_ca_sha256.assign(issuer.issuing_cas.begin(), issuer.issuing_cas.end());
    issuer.issuer.provenance.assign(issuer.provenance.begin(), issuer.provenance.end());
    vendor.leaf_issuers.push_back(std::move(issuer.issuer));
  }
  std::stable_sort(vendor.leaf_issuers.begin(), vendor.leaf_issuers.end(),
                   [](const LeafIssuer& a, const LeafIssuer& b) { return a.devices > b.devices; });

  for (auto& [sha256, ca] : tally.cas) {
    SentCaCertificate& certificate = ca.certificate;
    certificate.devices = ca.devices.size();
    certificate.issued_devices = ca.issued_devices.size();
    if (at && certificate.info.parsed) {
      AssessmentSettings settings;
      settings.now = *at;
      certificate.validity = assess(certificate.info, settings).validity;
    }
    vendor.ca_certificates.push_back(std::move(certificate));
  }
  // Whether each certificate's issuer was sent too: the names must match before a signature is checked.
  for (SentCaCertificate& certificate : vendor.ca_certificates) {
    certificate.issuer_sent =
        certificate.info.self_signed
        || std::any_of(vendor.ca_certificates.begin(), vendor.ca_certificates.end(), [&](const SentCaCertificate& other) {
             return &other != &certificate && other.info.parsed && other.info.subject == certificate.info.issuer
                    && issued_by(certificate.der, other.der);
           });
  }
  std::stable_sort(vendor.ca_certificates.begin(), vendor.ca_certificates.end(),
                   [](const SentCaCertificate& a, const SentCaCertificate& b) {
                     if (a.issued_devices != b.issued_devices) {
                       return a.issued_devices > b.issued_devices;
                     }
                     return a.devices > b.devices;
                   });
  return vendor;
}

std::string instant_text(std::optional<std::int64_t> instant)
{
  return instant ? format_iso8601(*instant) : std::string("unknown");
}

std::string plural(std::size_t count, const char* one, const char* many)
{
  return std::to_string(count) + " " + (count == 1 ? one : many);
}

// "sent", "not sent", "unknown (no PEM chain)", or the mix, per endpoint.
std::string issuer_certificate_text(const LeafIssuer& issuer)
{
  std::vector<std::string> parts;
  if (issuer.issuer_sent > 0) {
    parts.push_back("sent by " + plural(issuer.issuer_sent, "endpoint", "endpoints"));
  }
  if (issuer.issuer_not_sent > 0) {
    parts.push_back("NOT sent by " + plural(issuer.issuer_not_sent, "endpoint", "endpoints"));
  }
  if (issuer.issuer_unknown > 0) {
    parts.push_back("unknown for " + plural(issuer.issuer_unknown, "endpoint", "endpoints") + " (no PEM chain)");
  }
  std::string text;
  for (const std::string& part : parts) {
    text += (text.empty() ? "" : ", ") + part;
  }
  return text;
}

std::string key_text(const KeyInfo& key)
{
  std::string text = key.type.empty() ? std::string("unknown key") : key.type;
  if (!key.curve.empty()) {
    text += " " + key.curve;
  } else if (key.bits > 0) {
    text += " " + std::to_string(key.bits);
  }
  return text;
}

std::string validity_text(const SentCaCertificate& certificate, const IssuerInventory& inventory)
{
  const CertificateInfo& info = certificate.info;
  std::string text = instant_text(info.not_before) + " to " + instant_text(info.not_after);
  if (!inventory.at) {
    return text + " (not judged: no scan time; give --at)";
  }
  if (!certificate.validity) {
    return text;
  }
  const std::string when = inventory.at_source == "scan" ? "at the scan time" : "on " + format_iso8601(*inventory.at);
  return text + ": " + std::string(to_string(*certificate.validity)) + " " + when;
}

void print_vendor(std::ostream& out, const VendorIssuers& vendor, const IssuerInventory& inventory)
{
  out << "\n== " << terminal_safe(vendor.vendor) << ": " << plural(vendor.devices, "device", "devices") << ", "
      << vendor.devices_with_certificate << " with a certificate ("
      << plural(vendor.endpoints_with_certificate, "endpoint", "endpoints") << ")\n";
  if (vendor.endpoints_with_certificate == 0) {
    out << "No certificate: nothing to learn about this vendor's issuers.\n";
    return;
  }
  out << "Leaf issuers:";
  if (vendor.leaf_issuers.empty()) {
    out << " none (every leaf is self-signed or could not be decoded)";
  }
  out << '\n';
  for (const LeafIssuer& issuer : vendor.leaf_issuers) {
    out << "  " << plural(issuer.devices, "device", "devices") << ", "
        << plural(issuer.endpoints, "endpoint", "endpoints") << ": O="
        << (issuer.organization.empty() ? std::string("(none)") : terminal_safe(issuer.organization))
        << ", CN=" << (issuer.common_name.empty() ? std::string("(none)") : terminal_safe(issuer.common_name)) << '\n';
    out << "    issuer       " << terminal_safe(issuer.issuer) << '\n';
    out << "    issuer cert  " << issuer_certificate_text(issuer)
        << (issuer.issuer_not_sent > 0 ? " (get it from the vendor: a bundle of what devices sent cannot verify these)"
                                       : "")
        << '\n';
    std::string provenance;
    for (const auto& [word, count] : issuer.provenance) {
      provenance += (provenance.empty() ? "" : ", ") + word + " " + std::to_string(count);
    }
    out << "    provenance   " << terminal_safe(provenance) << '\n';
  }
  if (vendor.self_signed_endpoints > 0) {
    out << "Self-signed leaves: " << plural(vendor.self_signed_devices, "device", "devices") << " ("
        << plural(vendor.self_signed_endpoints, "endpoint", "endpoints") << ")\n";
  }
  if (vendor.undecoded_endpoints > 0) {
    out << "Leaves that could not be decoded (no issuer name): "
        << plural(vendor.undecoded_endpoints, "endpoint", "endpoints") << '\n';
  }

  out << "CA certificates sent by devices:";
  if (vendor.endpoints_without_chain == vendor.endpoints_with_certificate) {
    out << " unavailable (the report holds no PEM chains for these devices)\n";
    return;
  }
  if (vendor.ca_certificates.empty()) {
    out << " none (the devices sent their leaf alone)";
  }
  out << '\n';
  std::size_t number = 0;
  for (const SentCaCertificate& certificate : vendor.ca_certificates) {
    const CertificateInfo& info = certificate.info;
    out << "  [" << ++number << "] ";
    if (!info.parsed) {
      out << "a certificate that does not decode (" << terminal_safe(info.parse_error) << ")\n";
      out << "      sha256     " << info.sha256 << "\n      sha1       " << info.sha1 << '\n';
      out << "      sent by    " << plural(certificate.devices, "device", "devices") << '\n';
      continue;
    }
    out << terminal_safe(certificate.common_name.empty() ? info.subject : certificate.common_name) << '\n';
    out << "      subject    " << terminal_safe(info.subject) << '\n';
    out << "      issuer     " << terminal_safe(info.issuer)
        << (certificate.issuer_sent ? "" : "  (not sent: get it from the vendor)") << '\n';
    out << "      key        " << terminal_safe(key_text(info.key)) << ", signature "
        << terminal_safe(info.signature.label) << '\n';
    out << "      validity   " << validity_text(certificate, inventory) << '\n';
    out << "      root       " << (certificate.self_signed_root() ? "yes (self-signed)" : "no") << '\n';
    out << "      sha256     " << info.sha256 << '\n';
    out << "      sha1       " << info.sha1 << '\n';
    out << "      sent by    " << plural(certificate.devices, "device", "devices") << " ("
        << plural(certificate.endpoints, "endpoint", "endpoints") << ")";
    if (certificate.issued_devices > 0) {
      out << "; signed the leaf of " << plural(certificate.issued_devices, "device", "devices");
    }
    out << '\n';
  }
  if (vendor.endpoints_without_chain > 0) {
    out << "  (" << plural(vendor.endpoints_without_chain, "endpoint", "endpoints")
        << " of this vendor have no PEM chain in the report: their CA certificates are not known)\n";
  }
}

json key_json(const KeyInfo& key)
{
  json object = json::object();
  put_text(object, "type", key.type);
  object["bits"] = key.bits > 0 ? json(key.bits) : json(nullptr);
  object["curve"] = key.curve.empty() ? json(nullptr) : json(key.curve);
  return object;
}

json text_or_null(const std::string& text)
{
  return text.empty() ? json(nullptr) : json(to_valid_utf8(text));
}

json instant_json(std::optional<std::int64_t> instant)
{
  return instant ? json(format_iso8601(*instant)) : json(nullptr);
}

json leaf_issuer_json(const LeafIssuer& issuer)
{
  json object = json::object();
  put_text(object, "issuer", issuer.issuer);
  object["o"] = text_or_null(issuer.organization);
  object["cn"] = text_or_null(issuer.common_name);
  object["devices"] = issuer.devices;
  object["endpoints"] = issuer.endpoints;
  object["factory_candidate_devices"] = issuer.factory_candidate_devices;
  object["issuer_certificate"] = {
      {"sent", issuer.issuer_sent}, {"not_sent", issuer.issuer_not_sent}, {"unknown", issuer.issuer_unknown}};
  object["issuing_ca_sha256"] = issuer.issuing_ca_sha256;
  json provenance = json::object();
  for (const auto& [word, count] : issuer.provenance) {
    provenance[word] = count;
  }
  object["provenance"] = std::move(provenance);
  return object;
}

json ca_json(const SentCaCertificate& certificate)
{
  const CertificateInfo& info = certificate.info;
  json object = json::object();
  object["parsed"] = info.parsed;
  object["sha256"] = info.sha256;
  object["sha1"] = info.sha1;
  object["devices"] = certificate.devices;
  object["endpoints"] = certificate.endpoints;
  object["issued_leaves"] = {{"devices", certificate.issued_devices}, {"endpoints", certificate.issued_endpoints}};
  object["pem"] = der_to_pem(certificate.der);
  if (!info.parsed) {
    put_text(object, "parse_error", info.parse_error);
    return object;
  }
  put_text(object, "subject", info.subject);
  put_text(object, "issuer", info.issuer);
  object["o"] = text_or_null(certificate.organization);
  object["cn"] = text_or_null(certificate.common_name);
  object["key"] = key_json(info.key);
  put_text(object, "signature", info.signature.label);
  object["not_before"] = instant_json(info.not_before);
  object["not_after"] = instant_json(info.not_after);
  object["validity"] = certificate.validity ? json(std::string(to_string(*certificate.validity))) : json(nullptr);
  object["expired"] = certificate.validity ? json(certificate.expired()) : json(nullptr);
  object["self_signed_root"] = certificate.self_signed_root();
  object["issuer_sent"] = certificate.issuer_sent;
  return object;
}

// The lines before one certificate of a bundle: '#' comments, each line of untrusted text escaped
// so that it cannot end the comment or start a PEM block.
std::string bundle_comment(const SentCaCertificate& certificate, const std::string& vendor)
{
  std::string text;
  text += "# subject: " + terminal_safe(certificate.info.subject) + "\n";
  text += "# issuer:  " + terminal_safe(certificate.info.issuer) + "\n";
  text += "# SHA-256: " + certificate.info.sha256 + "\n";
  text += "# sent by " + plural(certificate.devices, "device", "devices") + " of " + terminal_safe(vendor)
          + "; NOT verified: check against the vendor's published root before trusting it\n";
  return text;
}

} // namespace

std::size_t VendorIssuers::bundle_certificates() const
{
  return static_cast<std::size_t>(std::count_if(ca_certificates.begin(), ca_certificates.end(),
                                                [](const SentCaCertificate& c) { return c.info.parsed; }));
}

const VendorIssuers* IssuerInventory::find(std::string_view name) const
{
  for (const VendorIssuers& vendor : vendors) {
    if (ascii_iequals(vendor.vendor, name)) {
      return &vendor;
    }
  }
  return nullptr;
}

std::string IssuerInventory::vendor_names() const
{
  std::string names;
  for (const VendorIssuers& vendor : vendors) {
    names += (names.empty() ? "" : ", ") + vendor.vendor;
  }
  return names.empty() ? std::string("none") : names;
}

IssuerInventory build_issuer_inventory(const ScanReport& report, std::optional<std::int64_t> at)
{
  IssuerInventory inventory;
  inventory.report_path = report.path;
  inventory.report_format = report.format;
  inventory.started_at = report.started_at;
  inventory.interrupted = report.interrupted;
  if (at) {
    inventory.at = at;
    inventory.at_source = "--at";
  } else if (const auto started = parse_iso8601(report.started_at)) {
    inventory.at = started;
    inventory.at_source = "scan";
  }

  std::map<std::string, VendorTally> tallies; // by folded vendor name
  for (const ReportDevice& device : report.fleet_devices()) { // the document's devices: no address that only refused
    const std::string name = device.vendor.empty() ? std::string(k_unknown_vendor_group) : device.vendor;
    VendorTally& tally = tallies[ascii_lower(name)];
    if (tally.vendor.vendor.empty()) {
      tally.vendor.vendor = name;
    }
    ++tally.vendor.devices;
    ++inventory.devices;
    bool answered = false;
    for (const ReportEndpoint* endpoint : device.endpoints) {
      if (!endpoint->ok) {
        continue;
      }
      answered = true;
      add_endpoint(tally, device.address(), *endpoint);
    }
    if (answered) {
      ++tally.vendor.devices_with_certificate;
    }
  }
  for (auto& [key, tally] : tallies) {
    VendorIssuers vendor = finish_vendor(tally, inventory.at);
    inventory.endpoints_with_certificate += vendor.endpoints_with_certificate;
    inventory.endpoints_without_chain += vendor.endpoints_without_chain;
    inventory.vendors.push_back(std::move(vendor));
  }
  std::stable_partition(inventory.vendors.begin(), inventory.vendors.end(), [](const VendorIssuers& vendor) {
    return !ascii_iequals(vendor.vendor, k_unknown_vendor_group);
  });
  return inventory;
}

std::string issuer_inventory_text(const IssuerInventory& inventory)
{
  std::ostringstream out;
  out << "Issuers in " << terminal_safe(inventory.report_path) << " ("
      << (inventory.started_at.empty() ? std::string("no scan time recorded")
                                       : "scan of " + terminal_safe(inventory.started_at))
      << "): " << plural(inventory.devices, "device", "devices") << ", "
      << plural(inventory.endpoints_with_certificate, "endpoint", "endpoints") << " with a certificate\n";
  out << "What devices presented, NOT verified: check CA certificates against the vendor's published roots.\n";
  if (inventory.interrupted) {
    out << "The scan was interrupted: devices it did not reach are missing.\n";
  }
  if (inventory.chains_unavailable()) {
    out << "CA certificates unavailable: the report holds no PEM chains (issuer names only); scan again with "
           "this fleetcert to learn them.\n";
  } else if (inventory.endpoints_without_chain > 0) {
    out << plural(inventory.endpoints_without_chain, "endpoint has", "endpoints have")
        << " no PEM chain in the report: their CA certificates are not known.\n";
  }
  if (!inventory.at && inventory.endpoints_with_certificate > 0) {
    out << "CA validity not judged: the report records no scan time (give --at).\n";
  }
  if (inventory.vendors.empty()) {
    out << "\nNo device in the report.\n";
  }
  for (const VendorIssuers& vendor : inventory.vendors) {
    print_vendor(out, vendor, inventory);
  }
  return out.str();
}

json issuer_inventory_to_json(const IssuerInventory& inventory)
{
  json document = json::object();
  document["schema"] = "fleetcert-issuers/1";
  json report = json::object();
  put_text(report, "path", inventory.report_path);
  report["format"] = inventory.report_format;
  report["started_at"] = text_or_null(inventory.started_at);
  report["interrupted"] = inventory.interrupted;
  document["report"] = std::move(report);
  document["at"] = instant_json(inventory.at);
  document["at_source"] = inventory.at_source.empty() ? json(nullptr) : json(inventory.at_source);
  document["verified"] = false;
  document["devices"] = inventory.devices;
  document["endpoints_with_certificate"] = inventory.endpoints_with_certificate;
  document["endpoints_without_chain"] = inventory.endpoints_without_chain;
  document["ca_certificates_available"] = !inventory.chains_unavailable();
  std::map<std::string, std::string> bundle_names;
  for (const VendorBundle& bundle : vendor_bundles(inventory)) {
    bundle_names[bundle.vendor] = bundle.file_name;
  }
  json vendors = json::array();
  for (const VendorIssuers& vendor : inventory.vendors) {
    json object = json::object();
    put_text(object, "vendor", vendor.vendor);
    object["devices"] = vendor.devices;
    object["devices_with_certificate"] = vendor.devices_with_certificate;
    object["endpoints_with_certificate"] = vendor.endpoints_with_certificate;
    object["endpoints_without_chain"] = vendor.endpoints_without_chain;
    object["self_signed_leaves"] = {{"devices", vendor.self_signed_devices},
                                    {"endpoints", vendor.self_signed_endpoints}};
    object["undecoded_leaves"] = vendor.undecoded_endpoints;
    json issuers = json::array();
    for (const LeafIssuer& issuer : vendor.leaf_issuers) {
      issuers.push_back(leaf_issuer_json(issuer));
    }
    object["leaf_issuers"] = std::move(issuers);
    json cas = json::array();
    for (const SentCaCertificate& certificate : vendor.ca_certificates) {
      cas.push_back(ca_json(certificate));
    }
    object["ca_certificates"] = std::move(cas);
    const auto bundle = bundle_names.find(vendor.vendor);
    object["bundle_file"] = bundle == bundle_names.end() ? json(nullptr) : json(bundle->second);
    vendors.push_back(std::move(object));
  }
  document["vendors"] = std::move(vendors);
  return document;
}

std::string bundle_file_name(std::string_view vendor)
{
  std::string stem;
  bool gap = false;
  for (char c : vendor) {
    const char lower = ascii_lower(c);
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) {
      if (gap && !stem.empty()) {
        stem.push_back('-');
      }
      stem.push_back(lower);
      gap = false;
    } else {
      gap = true;
    }
    if (stem.size() >= 64) {
      break;
    }
  }
  return (stem.empty() ? std::string("vendor") : stem) + "-sent-by-devices.pem";
}

std::vector<VendorBundle> vendor_bundles(const IssuerInventory& inventory)
{
  std::vector<VendorBundle> bundles;
  std::set<std::string> names;
  for (const VendorIssuers& vendor : inventory.vendors) {
    if (vendor.bundle_certificates() == 0) {
      continue;
    }
    VendorBundle bundle;
    bundle.vendor = vendor.vendor;
    const std::string base = bundle_file_name(vendor.vendor);
    bundle.file_name = base;
    for (int n = 2; !names.insert(bundle.file_name).second; ++n) {
      bundle.file_name = base.substr(0, base.size() - 4) + "-" + std::to_string(n) + ".pem";
    }
    bundle.text = "# CA certificates that " + terminal_safe(vendor.vendor) + " devices sent in their chains, from "
                  + terminal_safe(std::filesystem::path(inventory.report_path).filename().string()) + ".\n"
                  + "# Sent by devices, NOT verified: compare each with the vendor's published CA certificates\n"
                  + "# (by SHA-256) before giving this file to --vendor-ca or --trust.\n";
    for (const SentCaCertificate& certificate : vendor.ca_certificates) {
      if (!certificate.info.parsed) {
        ++bundle.left_out;
        continue;
      }
      bundle.text += "\n" + bundle_comment(certificate, vendor.vendor) + der_to_pem(certificate.der);
      ++bundle.certificates;
    }
    bundles.push_back(std::move(bundle));
  }
  return bundles;
}

ProfileSnippet profile_snippet(const IssuerInventory& inventory, const VendorIssuers& vendor)
{
  ProfileSnippet snippet;
  const std::string file = std::filesystem::path(inventory.report_path).filename().string();
  const std::string date = inventory.started_at.size() >= 10 ? inventory.started_at.substr(0, 10) : std::string();
  const std::string when = date.empty() ? std::string("scan date not recorded") : date;

  nlohmann::ordered_json issuers = nlohmann::ordered_json::array();
  std::set<std::string> pins;
  for (const LeafIssuer& issuer : vendor.leaf_issuers) {
    const std::string shown = quote_for_message(issuer.issuer);
    if (issuer.factory_candidate_devices == 0) {
      snippet.notes.push_back("left out " + shown + ": every leaf it issued chains to another CA (custom-ca/chain: "
                                                    "an enterprise CA given with --trust, or a pin mismatch)");
      continue;
    }
    if (issuer.common_name.empty()) {
      snippet.notes.push_back("left out " + shown + ": it has no CN, which a factory_issuers entry requires");
      continue;
    }
    if (!is_valid_utf8(issuer.common_name) || !is_valid_utf8(issuer.organization)) {
      snippet.notes.push_back("left out " + shown + ": its name is not valid UTF-8, so JSON cannot hold it exactly");
      continue;
    }
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    if (!issuer.organization.empty()) {
      entry["o"] = issuer.organization;
    }
    entry["cn"] = issuer.common_name;
    entry["verified"] = false;
    entry["source"] = "seen on " + plural(issuer.factory_candidate_devices, "device", "devices") + " in "
                      + to_valid_utf8(file) + " (" + when + ")";
    issuers.push_back(std::move(entry));
    pins.insert(issuer.issuing_ca_sha256.begin(), issuer.issuing_ca_sha256.end());
  }
  nlohmann::ordered_json pin_array = nlohmann::ordered_json::array();
  // The vendor's CA certificates in their own order (those that signed the most devices' leaves first).
  for (const SentCaCertificate& certificate : vendor.ca_certificates) {
    if (pins.count(certificate.info.sha256) != 0) {
      pin_array.push_back({{"sha256", certificate.info.sha256}});
    }
  }
  snippet.json["factory_issuers"] = std::move(issuers);
  snippet.json["issuer_pins"] = std::move(pin_array);

  snippet.notes.push_back("these names and thumbprints are what " + vendor.vendor
                          + " devices presented, NOT verified: check them against the vendor's published CA "
                            "certificates before relying on them");
  if (vendor.endpoints_without_chain == vendor.endpoints_with_certificate && vendor.endpoints_with_certificate > 0) {
    snippet.notes.push_back("no issuer_pins: the report holds no PEM chains, so the issuing CA certificates are unknown");
  } else if (pins.empty() && !snippet.json["factory_issuers"].empty()) {
    snippet.notes.push_back("no issuer_pins: the devices did not send the certificates that issued their leaves; get "
                            "them from the vendor");
  }
  return snippet;
}

} // namespace fleetcert
