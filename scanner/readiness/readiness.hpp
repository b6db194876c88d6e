#pragma once
// Readiness before a CA root swap: would each device still be accepted once the server trusts
// only the new bundle, on the day of the swap, under the new policy? Pure: the bundle is parsed
// from text given by the caller; verification is OpenSSL's X509_verify_cert against that bundle,
// with the device's own chain as untrusted helpers and the swap instant as the verification time.
//
//   device ─ ports ─ chain (DER, as sent) ──> verify against the after-bundle at `at` ─┐
//                                   leaf + sent intermediates ──> signature, key, CN ──┼─> reasons ─> status
//   vendor profile ─────────────────────────────────────────────> remediation ─────────┘

#include "scanner/assessment/assessment.hpp"
#include "scanner/certificate/certificate.hpp"
#include "scanner/model/announced_identity.hpp"
#include "scanner/model/device_identity.hpp"
#include "scanner/model/result.hpp"
#include "scanner/assessment/vendor_profiles.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

// What the server will enforce after the swap.
struct ReadinessPolicy
{
  std::int64_t at = 0;                              // the swap instant, epoch seconds UTC
  std::set<std::string> rejected_hashes{"MD5", "SHA1"}; // upper-case, as in signature labels
  int min_rsa_bits = 2048;                          // RSA, RSA-PSS and DSA keys
  int min_ec_bits = 256;                            // EC keys (P-256, P-384, P-521 pass)
};

// Parses --reject: comma-separated hash names (md2, md4, md5, sha1, sha224, sha256, sha384,
// sha512, case-insensitive) or "none". Errors name the word.
Result<std::set<std::string>> parse_rejected_hashes(std::string_view text);

// The trust bundle the server will hold after the swap (roots and possibly intermediates).
class TrustAfter
{
public:
  TrustAfter();
  ~TrustAfter();
  TrustAfter(TrustAfter&&) noexcept;
  TrustAfter& operator=(TrustAfter&&) noexcept;

  // Every CERTIFICATE block of `pem_text`; errors name `source_name` and the block.
  static Result<TrustAfter> from_pem(std::string_view pem_text, std::string_view source_name);

  // One-line subjects of the bundle's certificates, in file order.
  const std::vector<std::string>& subjects() const;
  // SHA-256 (lower-case hex) of the bundle's certificates, in file order.
  const std::vector<std::string>& fingerprints() const;

  struct Impl;
  const Impl& impl() const { return *m_impl; }

private:
  std::unique_ptr<Impl> m_impl;
};

enum class Readiness
{
  ready,
  not_ready,
  unknown,
};
std::string_view to_string(Readiness readiness);

// Why a port (and so its device) is not ready, or why it is unknown. Codes: "not-chained",
// "expired", "not-yet-valid", "rejected-signature", "weak-key", "generic-cn", "unparseable";
// unknown: "no-chain" (a report without PEM chains), "no-certificate".
struct ReadinessReason
{
  std::string code;
  std::uint16_t port = 0;
  std::string message;     // about this certificate, names the certificate concerned
  std::string remediation; // the vendor's when its profile has one, else the generic text
};

// One port of a device as the scan saw it.
struct ReadinessEndpoint
{
  std::uint16_t port = 0;
  bool certificate_received = false;
  std::vector<Der> chain;                // leaf first, as sent; empty when the report carried no PEM
  std::optional<CnClass> cn_class;       // the scan's CN class, when known
  std::optional<ErrorClass> error_class; // when no certificate: why, when known
  std::optional<ProvenanceKind> provenance_kind; // the scan's provenance of the leaf, when known
  std::string provenance_vendor;                 // the vendor whose CA issued it (factory), when known
  std::optional<IdentityProtocol> identity_request; // the identity request the scan sent on this port
                                                    // (sip on --sip-ports), when one was sent
};

// One device (address) to evaluate.
struct ReadinessDeviceInput : DeviceIdentity
{
  bool in_inventory = false;
  std::vector<ReadinessEndpoint> endpoints;
};

struct PortReadiness
{
  std::uint16_t port = 0;
  Readiness status = Readiness::unknown;
  bool certificate_received = false;
  std::optional<ErrorClass> error_class;
  std::string leaf_subject;
  std::string leaf_sha256;
  std::vector<std::string> verified_chain; // one-line subjects, leaf first, when it chains
};

// What the device's vendor profile's firmware stages say beside the verdict (they never change the
// status). Codes: "sip-certificate-not-provisioning" (the certificate on the SIP port is not the one
// the provisioning server checks), "provisioning-needs-new-server-certificates", and
// "firmware-unknown" (the profile has firmware stages for the device but its firmware is unknown).
struct ReadinessNote
{
  std::string code;
  std::string message;
  bool applies = true; // false for firmware-unknown: a rule that could not be decided
};

// What readiness decided for one device.
struct DeviceReadiness : DeviceIdentity
{
  Readiness status = Readiness::unknown;
  std::vector<PortReadiness> ports;
  std::vector<ReadinessReason> reasons;  // every reason of every port, in port order
  std::vector<std::string> remediation;  // distinct remediation texts, in reason order
  std::vector<ReadinessNote> notes;      // the firmware stage's word, see ReadinessNote
};

// The notes of a device of `profile` (model and firmware from `device`): what its firmware stage
// says about which certificate provisioning checks; `sip_ports` are the ports it presented a
// certificate on that are SIP ports (those the scan sent a SIP OPTIONS on, else 5061), named in
// the message.
std::vector<ReadinessNote> firmware_notes(const VendorProfile& profile, const DeviceIdentity& device,
                                          const std::vector<std::uint16_t>& sip_ports);

// Evaluates one port. `profile` is the device's vendor profile (may be null); `profiles` gives
// the shared generic CNs of every vendor.
PortReadiness evaluate_port(const ReadinessEndpoint& endpoint, const TrustAfter& trust, const ReadinessPolicy& policy,
                            const VendorProfiles& profiles, const VendorProfile* profile,
                            std::vector<ReadinessReason>& reasons);

// Evaluates a device: ready only when every port that presented a certificate is ready;
// not-ready when any is not; unknown when no port presented one or one could not be evaluated.
DeviceReadiness evaluate_device(const ReadinessDeviceInput& device, const TrustAfter& trust,
                                const ReadinessPolicy& policy, const VendorProfiles& profiles);

// True when an address is a device worth counting: it presented a certificate, the inventory
// lists it, or something answered there (anything but refused, unreachable or dns on every port).
bool counts_as_device(const ReadinessDeviceInput& device);

// Devices per status in a group.
struct ReadinessCount
{
  std::size_t devices = 0;
  std::size_t ready = 0;
  std::size_t not_ready = 0;
  std::size_t unknown = 0;

  void add(Readiness status);
};

// Percentage of `part` in `whole`, rounded to one decimal; 0 when `whole` is 0.
double percent(std::size_t part, std::size_t whole);

// Totals overall and per vendor, model and site ("" stays "": writers show it as "(none)"),
// and the number of devices per reason code.
struct ReadinessTotals
{
  ReadinessCount overall;
  std::map<std::string, ReadinessCount> by_vendor;
  std::map<std::string, ReadinessCount> by_model;
  std::map<std::string, ReadinessCount> by_site;
  std::map<std::string, std::size_t> devices_by_reason;
  std::size_t addresses_skipped = 0; // addresses that were not devices (counts_as_device false)
};
ReadinessTotals tally_readiness(const std::vector<DeviceReadiness>& devices);

} // namespace fleetcert
