#pragma once
// The fleet description (JSON, see README.md) read into endpoints: one per device address and
// port, each with what it does and, for TLS, the certificate template it presents.

#include "support/cert_factory.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fleetcert::sim {

// What a listener does with each accepted connection.
enum class Behaviour { tls, tarpit, close, garbage, http, alert, reset, drip, reset_mid, raw_flight };

// "tls", "tarpit", "reset-mid", ...: the word used in the description and the truth file.
const char* to_string(Behaviour behaviour);

// True for the behaviours that need a certificate made for them (tls, drip, raw-flight).
bool has_certificate(Behaviour behaviour);

// A bad description: the message names where in the file the problem is.
struct DescriptionError : std::runtime_error
{
  using std::runtime_error::runtime_error;
};

// A TLS port's certificate before per-device substitution of {MAC}, {mac}, {mac:}, {ip}, {port}.
struct CertificateTemplate
{
  std::string subject = "/CN={ip}";
  std::string raw_cn_hex;              // not empty: the CN becomes these raw bytes
  int raw_cn_type = 12;                // V_ASN1_UTF8STRING
  std::vector<std::string> san;
  testing::KeySpec key;
  std::string hash = "sha256";
  std::string issuer = "self";         // "self" or a CA name
  bool send_chain = true;
  double valid_from_days = -30;
  double valid_days = 3650;
  std::string not_before;              // absolute, overrides valid_from_days
  std::string not_after;               // absolute, overrides valid_days
  std::string serial_hex;
  std::vector<std::string> tls;        // allowed versions, "1.0".."1.3", ascending
  bool request_client_cert = false;   // send a CertificateRequest (accept a client without a certificate)
  bool require_client_cert = false;   // send one and refuse a client without a certificate
  bool unique_key = false;
  bool empty_subject = false;          // no subject (nor issuer, when self-signed) at all
  int san_bytes = 0;                   // not 0: DNS SANs added until their text reaches this size
  int chain_padding = 0;               // self-signed certificates sent after the real chain
  bool unknown_signature_oid = false;  // signature algorithm OID rewritten after signing
};

// How a TLS port answers the identity request a client sends once the handshake is complete (a SIP
// OPTIONS or an HTTP GET): how, and the header values it announces (substituted per device).
enum class IdentityAnswer { normal, long_header, garbage, drip, status_only, reset, silence };

// "normal", "long-header", "garbage", "drip", "status-only", "reset", "silence".
const char* to_string(IdentityAnswer answer);

// The "identity" of a TLS port spec; absent: the port reads and discards whatever comes.
struct IdentityTemplate
{
  IdentityAnswer answer = IdentityAnswer::normal;
  std::string user_agent; // SIP User-Agent; empty: none
  std::string server;     // HTTP Server, and SIP Server without a user_agent; empty: none
  std::string title;      // HTTP page <title>; empty: none
  int status = 200;       // the status code of the answer
};

// One port of a device (or of every device in a group).
struct PortTemplate
{
  Behaviour behaviour = Behaviour::tls;
  CertificateTemplate certificate;     // meaningful for Behaviour::tls only
  std::uint16_t same_as = 0;           // not 0: present the certificate of this (described) port
  std::string same_as_endpoint;        // "IP:PORT": present another device's certificate (shared-certificate)
  // Behaviour::raw_flight: the suite its hand-built ServerHello chooses and the version it answers
  // with (0x0300 SSL 3.0 .. 0x0303 TLS 1.2).
  std::uint16_t raw_suite = 0;
  std::uint16_t raw_version = 0x0301;
  // Behaviour::tls: how the port answers a SIP OPTIONS or HTTP GET after the handshake.
  std::optional<IdentityTemplate> identity;
};

// A CA the simulator creates before the devices' certificates.
struct CaDescription
{
  std::string name;
  std::string subject;
  testing::KeySpec key;
  std::string hash = "sha256";
  std::string issuer = "self";
  double valid_from_days = -3650;
  double valid_days = 7300;
  std::string not_before;
  std::string not_after;
  std::string serial_hex;
};

// Informational device fields copied into the truth file.
using DeviceLabels = std::map<std::string, std::string>;

// One listening address and port, and (after issue_certificates) what it presents.
struct Endpoint
{
  std::string ip;                      // canonical text form
  bool ipv6 = false;
  std::uint16_t port = 0;              // after --port-map
  std::string mac;                     // 12 upper-case hex digits, or empty
  const PortTemplate* spec = nullptr;
  const DeviceLabels* labels = nullptr;
  // How the port answers an identity request: its own "identity", else (a "same_as" port without
  // one) its certificate source's; null: it reads and discards whatever comes.
  const IdentityTemplate* identity = nullptr;
  std::ptrdiff_t certificate_source = -1; // "same_as": index of the endpoint whose certificate we share

  // Filled in by issue_certificates() for Behaviour::tls.
  std::string subject;                 // substituted subject text
  testing::X509Ptr leaf;
  testing::PkeyPtr key;
  std::vector<X509*> chain;            // CA certificates sent after the leaf (owned by the fleet
                                       // or by `padding`)
  std::vector<testing::X509Ptr> padding; // chain_padding certificates (at the end of `chain`)
  std::size_t san_count = 0;           // subjectAltName entries of the leaf
  std::vector<std::string> chain_sha256; // leaf first, then `chain`
};

// The whole description, expanded.
struct FleetDescription
{
  int key_pool = 8;
  std::vector<CaDescription> cas;
  std::vector<std::unique_ptr<PortTemplate>> templates;  // stable addresses for Endpoint::spec
  std::vector<std::unique_ptr<DeviceLabels>> labels;     // stable addresses for Endpoint::labels
  std::vector<Endpoint> endpoints;
};

// Reads and expands a description. `port_map` renames ports (443 -> 10443). Throws
// DescriptionError for bad JSON, non-loopback addresses and duplicate endpoints.
FleetDescription load_fleet_description(const nlohmann::json& document,
                                        const std::map<std::uint16_t, std::uint16_t>& port_map);

// Replaces {MAC}, {mac}, {mac:}, {ip} and {port} in `text` for `endpoint`.
std::string substitute(const std::string& text, const Endpoint& endpoint);

// True for 127.0.0.0/8 and ::1, the only addresses the simulator will bind.
bool is_allowed_address(const std::string& ip);

} // namespace fleetcert::sim
