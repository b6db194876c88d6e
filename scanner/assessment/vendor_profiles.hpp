#pragma once
// Vendor profiles: what fleetcert knows of each vendor, as data (scanner/assessment/profiles/*.json, built in;
// more or overrides from --profiles DIR). Pure lookups, no I/O but load_directory.

#include "scanner/assessment/identity_pattern.hpp"
#include "scanner/certificate/certificate.hpp"
#include "scanner/model/result.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetcert {

class OuiRegistry;
struct InventoryRow;

// A thumbprint of a factory issuing CA certificate, as a vendor documents it.
struct IssuerPin
{
  std::string algorithm; // "sha256", "sha1" or "md5"
  std::string hex;       // lower-case hex, no separators
};

// A factory CA's issuer name, as a profile gives it: a certificate's issuer matches when its CN
// is `cn` and, when `o` is given, its O is `o` (case-insensitive, runs of blanks as one), whatever
// its other attributes say.
struct FactoryIssuer
{
  std::string o;         // organisation; empty: any
  std::string cn;        // common name; never empty
  bool verified = false; // documented by the vendor or checked against real devices
  std::string source;    // where the name is documented; may be empty
};

// "O=Gigaset Communications GmbH, CN=Gigaset.net": the entry in fleetcert's one-line form (RFC 2253
// escapes), for messages and as an issuer name that matches it.
std::string factory_issuer_text(const FactoryIssuer& issuer);

// A span of a vendor's firmware versions that changes what its certificates mean (profile key
// firmware_stages): it applies to the models listed (every model of the vendor when none is) whose
// firmware is at least `from` and below `below` (compare_versions; either may be empty, not both).
struct FirmwareStage
{
  std::string name;                // short and stable: "second-certificate", "generated-ecdsa"
  std::vector<std::string> models; // as devices announce them; compared by same_model
  std::string from;                // inclusive; "" : from the first version
  std::string below;               // exclusive; "" : to the last version
  // false: the certificate a device presents on its SIP port is not the one provisioning checks.
  bool sip_certificate_is_provisioning_certificate = true;
  // true: provisioning servers need the vendor's new server certificates for these devices.
  bool provisioning_needs_new_server_certificates = false;
  // true: a self-signed certificate on such a device is one the device generated itself.
  bool self_signed_generated = false;
  std::string note;                // what the stage means, in one or two sentences
};

struct VendorProfile
{
  std::string name;                         // "Grandstream"
  std::vector<std::string> aliases;         // organisation names meaning this vendor (IEEE, O=)
  std::vector<std::string> mac_prefixes;    // upper-case hex, 6 to 9 digits
  std::vector<FactoryIssuer> factory_issuers; // issuer names of the factory CAs
  std::vector<IssuerPin> issuer_pins;       // optional: the issuing CA must match one
  std::vector<std::string> generic_cns;     // shared CNs ("Einstein2")
  std::vector<std::string> current_generation; // signature labels of the current generation
  std::vector<std::string> legacy_generation;  // signature labels of the legacy generation
  std::string sha1_rejected_from;           // firmware that rejects SHA1, e.g. "2.57"; may be empty
  // The part of an announced firmware after this marker is its version (Gigaset's "83.V2.43.0"
  // with ".V" is "2.43.0"); empty: the whole text.
  std::string firmware_version_after;
  std::vector<FirmwareStage> firmware_stages; // in profile order; the first that matches applies
  // Models whose factory certificate the vendor's portal replaces (Grandstream's update guide);
  // empty: the profile does not say.
  std::vector<std::string> portal_models;
  // Words a model name may carry before or after the model itself, ignored when models are
  // compared (Gigaset's "IP PRO" in "N870 IP PRO", Yealink's "SIP" in "SIP-T54W").
  std::vector<std::string> model_decorations;
  std::map<std::string, std::string> remediation; // finding code -> what to do, for this vendor
  // How the vendor's devices announce themselves in SIP and HTTP answers (issue 14), in file order.
  std::vector<IdentityPattern> identity_patterns;
  std::string source;                       // "built-in" or the file it came from
};

// A certificate issuer that is one of a profile's factory issuers; both null when none is.
struct FactoryIssuerMatch
{
  const VendorProfile* profile = nullptr;
  const FactoryIssuer* issuer = nullptr; // the entry of profile->factory_issuers that matched
};

// How the vendor of a device was found.
struct VendorMatch
{
  std::string vendor; // profile name, or the IEEE organisation name; empty when unknown
  std::string source; // "inventory", "mac-prefix", "ieee-registry", "issuer-name", "subject-name"
  const VendorProfile* profile = nullptr; // when the vendor has a profile
};

// True when two model names are one model: compared case-insensitively with every character that
// is not a letter or digit ignored ("GXP-2170" = "gxp2170", "VVX_450" = "VVX 450"), and either may
// carry one of `decorations` at its start or end ("N870 IP PRO" = "N870" with "IP PRO"; never
// "N870E" = "N870").
bool same_model(std::string_view a, std::string_view b, const std::vector<std::string>& decorations = {});

// Whether a firmware-dependent rule could be decided for a device.
enum class RuleStatus
{
  applies,        // the device's model and firmware put it in the stage
  not_applicable, // its model is not one the rule covers, or no stage covers its firmware
  unknown,        // its firmware (or, for a rule limited to some models, its model) is unknown
};
std::string_view to_string(RuleStatus status);

// The firmware stage of `profile` a device with `model` and `firmware` is in. `stage` is set only
// with status applies; `version` is the version compared (after firmware_version_after).
struct FirmwareStageMatch
{
  RuleStatus status = RuleStatus::not_applicable;
  const FirmwareStage* stage = nullptr;
  std::string version;
};
FirmwareStageMatch firmware_stage(const VendorProfile& profile, std::string_view model, std::string_view firmware);

// Whether the vendor's portal can replace the certificate of a `model` device: applies (listed),
// not_applicable (not listed), unknown (no model known, or the profile lists no models).
RuleStatus portal_eligibility(const VendorProfile& profile, std::string_view model);

// A profile's names in the folded form matching compares (lower case, blanks collapsed, trimmed),
// folded once when the profile is added rather than at every certificate.
struct FoldedProfileNames
{
  std::string name;
  std::vector<std::string> aliases;
  std::vector<FactoryIssuer> factory_issuers; // o and cn folded; the rest as in the profile
};

class VendorProfiles
{
public:
  // The profiles shipped with fleetcert (compiled in from scanner/assessment/profiles/*.json).
  static VendorProfiles builtin();
  // Parses one profile file (format in the README); errors name the source and the field.
  static Result<VendorProfile> parse(std::string_view json_text, std::string_view source_name);
  // Adds every *.json of `dir`; a profile whose name (case-insensitive) exists replaces it.
  Result<std::size_t> load_directory(const std::string& dir);
  // A profile file load_directory read, and the SHA-256 of its content (the report's audit settings).
  struct LoadedFile
  {
    std::string path;
    std::string sha256;
  };
  const std::vector<LoadedFile>& loaded_files() const { return m_loaded_files; }
  // SHA-256 over the built-in profiles (each file's name and text, in file-name order): which
  // built-in set a scan used.
  static std::string builtin_sha256();
  void add(VendorProfile profile);

  const std::vector<VendorProfile>& all() const { return m_profiles; }
  // By name or alias, case-insensitive.
  const VendorProfile* find(std::string_view name) const;
  // The profile whose MAC prefix is the longest match of `mac` (12 upper-case hex digits).
  const VendorProfile* by_mac(std::string_view mac) const;
  // The profile and entry whose factory issuer the one-line name `issuer` matches (CN, and O when
  // the entry gives one); entries with an O are tried first, then profiles in order.
  FactoryIssuerMatch match_factory_issuer(std::string_view issuer) const;
  // The profile of match_factory_issuer(issuer); null when none.
  const VendorProfile* by_factory_issuer(std::string_view issuer) const;
  // The profile one of whose names or aliases appears in the O= or CN= of a one-line name.
  const VendorProfile* by_name_text(std::string_view one_line_name) const;

  // The vendor of a device, in order: inventory, MAC prefix (profiles, then the IEEE registry),
  // the leaf's issuer, then its subject. `mac` may be empty; `row` and `leaf` may be null.
  VendorMatch detect(const InventoryRow* row, std::string_view mac, const CertificateInfo* leaf,
                     const OuiRegistry& registry) const;

private:
  std::vector<VendorProfile> m_profiles;
  std::vector<FoldedProfileNames> m_folded; // of m_profiles, index for index
  std::vector<LoadedFile> m_loaded_files;
};

} // namespace fleetcert
