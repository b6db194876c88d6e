#pragma once
// `fleetcert issuers`: the fleet's real PKI as a saved report shows it. Per device vendor, every
// distinct issuer of the devices' leaf certificates and every CA certificate the devices sent in
// their chains, with the counts, facts and thumbprints a user needs to write a vendor bundle or a
// profile; then the PEM bundle text per vendor and the profile snippet. Pure: the command writes.
//
//   ScanReport ──> build_issuer_inventory ──> IssuerInventory ──> issuer_inventory_text / _to_json
//                                                             ├─> vendor_bundles (PEM text per vendor)
//                                                             └─> profile_snippet (factory_issuers, issuer_pins)
//
// Everything here is what devices presented, never verified against a vendor's published roots.

#include "reports/workflows/report_reader.hpp"
#include "scanner/certificate/certificate.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// The vendor group of devices whose vendor the report does not know.
inline constexpr std::string_view k_unknown_vendor_group = "unknown";

// One distinct issuer name of the vendor's leaf certificates (self-signed leaves are counted apart).
struct LeafIssuer
{
  std::string issuer;       // the one-line name as the leaves carry it
  std::string organization; // its O; "" when it has none
  std::string common_name;  // its CN; "" when it has none
  std::size_t devices = 0;   // devices with a leaf it issued
  std::size_t endpoints = 0; // endpoints with a leaf it issued
  // Devices with such a leaf on a port whose provenance is not custom-ca/chain (verified to an
  // enterprise CA given with --trust, or a chain whose issuer matched no pin): the devices that may say "factory".
  std::size_t factory_candidate_devices = 0;
  // Per endpoint: the chain held the certificate whose key verifies the leaf's signature (sent),
  // did not (not sent: the user needs it from the vendor), or the report has no PEM chain (unknown).
  std::size_t issuer_sent = 0;
  std::size_t issuer_not_sent = 0;
  std::size_t issuer_unknown = 0;
  std::vector<std::string> issuing_ca_sha256; // the sent CA certificates that signed these leaves
  std::vector<std::pair<std::string, std::size_t>> provenance; // endpoints per provenance ("factory/chain", ...)
};

// One distinct certificate the vendor's devices sent after their leaf.
struct SentCaCertificate
{
  Der der;
  CertificateInfo info;      // decoded; info.parsed false: only the fingerprints are known
  std::string organization;  // of the subject
  std::string common_name;   // of the subject
  std::optional<Validity> validity; // at IssuerInventory::at; nullopt without an instant or dates
  bool issuer_sent = false;  // self-signed, or another certificate these devices sent signed it
  std::size_t devices = 0;   // devices that sent it
  std::size_t endpoints = 0;
  std::size_t issued_devices = 0; // devices whose leaf it signed
  std::size_t issued_endpoints = 0;

  bool expired() const { return validity == Validity::expired; }
  bool self_signed_root() const { return info.self_signed; }
};

// Everything of one device vendor.
struct VendorIssuers
{
  std::string vendor; // the devices' vendor as the report names it; k_unknown_vendor_group when none
  std::size_t devices = 0;                  // devices of the vendor in the report
  std::size_t devices_with_certificate = 0; // that sent a certificate on some port
  std::size_t endpoints_with_certificate = 0;
  std::size_t self_signed_devices = 0; // with a self-signed leaf on some port
  std::size_t self_signed_endpoints = 0;
  std::size_t undecoded_endpoints = 0;     // a leaf the report could not decode (no issuer name)
  std::size_t endpoints_without_chain = 0; // a certificate but no PEM chain in the report
  std::vector<LeafIssuer> leaf_issuers;           // most devices first
  std::vector<SentCaCertificate> ca_certificates; // leaf issuers first, then most devices first

  // CA certificates that decode: what a bundle can hold.
  std::size_t bundle_certificates() const;
};

struct IssuerInventory
{
  std::string report_path;
  std::string report_format; // "json" or "jsonl"
  std::string started_at;    // the report's scan start, "" when it has none (JSONL)
  bool interrupted = false;
  std::optional<std::int64_t> at; // the instant CA validity is judged at; nullopt: not judged
  std::string at_source;          // "scan" (the report's start) or "--at"; "" without an instant
  std::size_t devices = 0;
  std::size_t endpoints_with_certificate = 0;
  std::size_t endpoints_without_chain = 0;
  std::vector<VendorIssuers> vendors; // by name, case-insensitively; k_unknown_vendor_group last

  // The vendor named `name`, case-insensitively; null when no device has it.
  const VendorIssuers* find(std::string_view name) const;
  // "Gigaset, Grandstream, unknown": the vendors present, for messages.
  std::string vendor_names() const;
  // True when no endpoint with a certificate carried its chain as PEM (an older report).
  bool chains_unavailable() const { return endpoints_with_certificate > 0 && endpoints_without_chain == endpoints_with_certificate; }
};

// Learns the issuers and sent CA certificates of every device of `report`, grouped by the
// device's vendor. `at` is the instant CA certificates' validity is judged at (nullopt: the
// report's scan start, when it has one); `at_source` says where it came from.
IssuerInventory build_issuer_inventory(const ScanReport& report, std::optional<std::int64_t> at = std::nullopt);

// The terminal text: per vendor its leaf issuers and the CA certificates its devices sent, and
// what cannot be known from this report. Untrusted text is escaped (text_safety).
std::string issuer_inventory_text(const IssuerInventory& inventory);

// The whole inventory as the "fleetcert-issuers/1" JSON document (shape in reports/README.md).
nlohmann::json issuer_inventory_to_json(const IssuerInventory& inventory);

// One vendor's PEM bundle of the CA certificates its devices sent, each certificate preceded by
// '#' comment lines (subject, issuer, SHA-256, how many devices sent it, NOT verified).
struct VendorBundle
{
  std::string vendor;
  std::string file_name;     // "grandstream-sent-by-devices.pem": safe, unique within the inventory
  std::string text;
  std::size_t certificates = 0;
  std::size_t left_out = 0;  // certificates that do not decode (not written: OpenSSL would refuse the file)
};

// A file name made of the vendor's name: lower-case ASCII letters and digits, '-' between words,
// "-sent-by-devices.pem" after; "vendor" when nothing usable remains.
std::string bundle_file_name(std::string_view vendor);

// A bundle for every vendor whose devices sent a CA certificate that decodes; file names unique
// ("-2", "-3" added when two vendors' names make the same one).
std::vector<VendorBundle> vendor_bundles(const IssuerInventory& inventory);

// The `factory_issuers` / `issuer_pins` to paste into the vendor's profile, and what the user must
// know about them (names left out, pins unavailable); the notes go to stderr.
struct ProfileSnippet
{
  nlohmann::ordered_json json;
  std::vector<std::string> notes;
};

// factory_issuers: one {"o", "cn", "verified": false, "source"} per leaf issuer of the vendor that
// has a CN and factory-candidate devices; issuer_pins: {"sha256"} of each sent CA certificate that
// signed such a leaf.
ProfileSnippet profile_snippet(const IssuerInventory& inventory, const VendorIssuers& vendor);

} // namespace fleetcert
