#include "reports/sinks/csv_report.hpp"

#include "reports/encoding/csv_file.hpp"

#include "reports/encoding/record_json.hpp"
#include "reports/sinks/csv_cells.hpp"
#include "reports/encoding/text_safety.hpp"

#include <cstdio>
#include <utility>

namespace fleetcert {

namespace {

const std::vector<std::string>& columns()
{
  static const std::vector<std::string> k_columns = {
    "ip",           "port",         "host",          "status",        "error_class",
    "error_stage",  "error_detail", "tls_version",   "tls_cipher",    "connect_ms",
    "handshake_ms", "handshake_complete", "alert",   "subject",       "issuer",
    "cn",           "san",          "serial",        "not_before",    "not_after",
    "sha256",       "sha1",         "md5",           "sig_algorithm", "sig_label",
    "sig_verdict",  "key_type",     "key_bits",      "key_curve",     "self_signed",
    "chain_length", "chain_sha256", "cn_class",      "mac",           "validity",
    "days_left",    "vendor",       "vendor_source", "provenance",    "provenance_basis",
    "provenance_vendor", "chain_incomplete", "issuer_verified", "findings", "worst_severity", "inventory_mac",
    "model",        "site",
    // Added in issue 12, after the earlier columns so that their positions stay.
    "host_name",    "worst_finding", "worst_message", "worst_remediation",
    // Added with the raw ClientHellos (issue 13): which hello the device answered, and the suite it
    // chose by IANA name (tls_cipher is OpenSSL's name, empty when a raw hello got the answer).
    "tls_hello",    "tls_cipher_suite",
    // Added with the identity probes (issue 14): what the device announced on this port.
    "identity_vendor", "identity_model", "identity_firmware", "identity_mac", "identity_source", "identity_error",
  };
  return k_columns;
}

std::string trusted(std::string_view text) { return csv_trusted(text); }
std::string untrusted(std::string_view text) { return csv_untrusted(text); }

std::string milliseconds(double ms)
{
  if (ms < 0) {
    return {};
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3f", ms);
  return buffer;
}

std::string boolean(bool value) { return value ? "true" : "false"; }

std::string date(const std::optional<std::int64_t>& epoch_seconds)
{
  return epoch_seconds ? format_iso8601(*epoch_seconds) : std::string();
}

std::string join(const std::vector<std::string>& items, std::string_view separator)
{
  return join_items(items, separator);
}

} // namespace

std::vector<std::string> csv_columns() { return columns(); }

std::vector<std::string> csv_row(const Record& record)
{
  const Observation& observation = record.observation;
  const RecordError error = record_error(record);
  std::vector<std::string> cells;
  cells.reserve(columns().size());

  cells.push_back(untrusted(observation.endpoint.ip));
  cells.push_back(trusted(std::to_string(observation.endpoint.port)));
  cells.push_back(untrusted(observation.endpoint.host));
  cells.push_back(trusted(record_status(record)));
  cells.push_back(trusted(to_string(error.error_class)));
  cells.push_back(untrusted(error.stage));
  // A skipped endpoint's reason and why, in the detail column: "excluded: localhost resolves to ...".
  cells.push_back(untrusted(record.skipped() ? std::string(to_string(observation.skipped)) + ": " + observation.skip_detail
                                             : error.detail));
  cells.push_back(untrusted(observation.tls_version));
  cells.push_back(untrusted(observation.cipher));
  cells.push_back(trusted(milliseconds(observation.connect_ms)));
  cells.push_back(trusted(milliseconds(observation.handshake_ms)));
  cells.push_back(trusted(boolean(observation.handshake_complete)));
  cells.push_back(untrusted(observation.alert));

  const CertificateInfo* leaf = record.leaf();
  const bool parsed = leaf != nullptr && leaf->parsed;
  const CertificateInfo empty;
  const CertificateInfo& cert = parsed ? *leaf : empty;
  cells.push_back(untrusted(cert.subject));
  cells.push_back(untrusted(cert.issuer));
  cells.push_back(untrusted(cert.has_cn ? cert.cn : std::string()));
  cells.push_back(untrusted(join(cert.san, " | ")));
  cells.push_back(untrusted(cert.serial));
  cells.push_back(trusted(date(cert.not_before)));
  cells.push_back(trusted(date(cert.not_after)));
  // Fingerprints are known even for a leaf OpenSSL could not parse.
  cells.push_back(untrusted(leaf != nullptr ? leaf->sha256 : std::string()));
  cells.push_back(untrusted(leaf != nullptr ? leaf->sha1 : std::string()));
  cells.push_back(untrusted(leaf != nullptr ? leaf->md5 : std::string()));
  cells.push_back(untrusted(cert.signature.algorithm));
  cells.push_back(untrusted(cert.signature.label));
  const std::optional<SignatureVerdict> verdict = parsed ? record.assessment.signature_verdict : std::nullopt;
  cells.push_back(trusted(verdict ? to_string(*verdict) : std::string_view()));
  cells.push_back(untrusted(cert.key.type));
  cells.push_back(trusted(cert.key.bits > 0 ? std::to_string(cert.key.bits) : std::string()));
  cells.push_back(untrusted(cert.key.curve));
  cells.push_back(trusted(parsed ? boolean(cert.self_signed) : std::string()));

  std::vector<std::string> chain_sha256;
  for (const CertificateInfo& certificate : record.chain) {
    chain_sha256.push_back(certificate.sha256);
  }
  cells.push_back(trusted(std::to_string(record.chain.size())));
  cells.push_back(untrusted(join(chain_sha256, " ")));

  const Assessment& assessment = record.assessment;
  cells.push_back(trusted(record.ok() ? to_string(assessment.cn_class) : std::string_view()));
  cells.push_back(untrusted(record.ok() ? assessment.mac : std::string()));
  cells.push_back(trusted(record.ok() && assessment.validity ? to_string(*assessment.validity)
                                                             : std::string_view()));
  cells.push_back(trusted(record.ok() && assessment.days_left ? std::to_string(*assessment.days_left)
                                                              : std::string()));

  // The vendor may be known without a certificate (from the inventory); provenance only with one.
  // Findings are this endpoint's own, worst first (rows are written as endpoints complete):
  // fleet-wide ones are in the device CSV and the JSON document.
  cells.push_back(untrusted(assessment.vendor));
  cells.push_back(trusted(assessment.vendor.empty() ? std::string() : assessment.vendor_source));
  const Provenance& provenance = assessment.provenance;
  cells.push_back(trusted(record.ok() ? to_string(provenance.kind) : std::string_view()));
  cells.push_back(trusted(record.ok() ? to_string(provenance.basis) : std::string_view()));
  cells.push_back(untrusted(record.ok() ? provenance.vendor : std::string()));
  cells.push_back(trusted(record.ok() ? boolean(provenance.chain_incomplete) : std::string()));
  cells.push_back(trusted(provenance.issuer_verified ? boolean(*provenance.issuer_verified) : std::string()));
  const std::vector<std::string> worst = csv_worst_finding_cells(assessment.findings);
  cells.push_back(csv_finding_codes(assessment.findings));
  cells.push_back(worst[0]); // worst_severity
  const std::optional<InventoryRow>& row = assessment.inventory;
  cells.push_back(untrusted(row ? row->mac : std::string()));
  cells.push_back(untrusted(row ? row->model : std::string()));
  cells.push_back(untrusted(record_identity(record).site)); // the inventory's, else --site

  cells.push_back(untrusted(csv_host_name(row, observation.endpoint.host)));
  cells.insert(cells.end(), worst.begin() + 1, worst.end()); // worst_finding, worst_message, worst_remediation

  // As the JSON writes tls.hello: once a ServerHello or a certificate arrived.
  const bool answered = !observation.tls_version.empty() || !observation.chain.empty();
  cells.push_back(trusted(answered ? to_string(observation.hello) : std::string_view()));
  cells.push_back(untrusted(observation.cipher_suite));

  const AnnouncedIdentity none;
  const AnnouncedIdentity& identity = record.identity ? *record.identity : none;
  cells.push_back(untrusted(identity.vendor));
  cells.push_back(untrusted(identity.model));
  cells.push_back(untrusted(identity.firmware));
  cells.push_back(untrusted(identity.mac));
  cells.push_back(trusted(identity.source ? to_string(*identity.source) : std::string_view()));
  cells.push_back(untrusted(identity.error));
  return cells;
}

CsvReport::CsvReport(std::string path) : m_file(std::move(path), columns()) {}

void CsvReport::begin(const ScanInfo& /*info*/) {}

void CsvReport::write(const Record& record)
{
  m_file.row(csv_row(record));
}

void CsvReport::finish(const ScanInfo& /*info*/, const ScanSummary& /*summary*/)
{
  m_file.commit();
}

} // namespace fleetcert
