// CAs first (each after its issuer), then key pools for the slow key types (RSA, RSA-PSS, DSA),
// then one leaf per TLS endpoint. Pools and leaves are made by `threads` workers pulling
// indices from a shared cursor; EVP_PKEY and the CA certificates are only read while they run.

#include "fleet_certificates.hpp"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace fleetcert::sim {
namespace {

using testing::KeySpec;
using testing::PkeyPtr;
using testing::X509Ptr;

constexpr double k_seconds_per_day = 86400.0;
// Extension bytes in each chain_padding certificate: about 1.75 KB per certificate in all.
constexpr std::size_t k_padding_certificate_bytes = 1400;

// Runs body(0..count-1) on `threads` threads; rethrows the first exception after all stop.
void parallel_for(std::size_t count, unsigned threads, const std::function<void(std::size_t)>& body)
{
  std::atomic<std::size_t> cursor{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (std::size_t i = cursor++; i < count && !failed; i = cursor++) {
      try {
        body(i);
      } catch (...) {
        const std::lock_guard lock(error_mutex);
        if (!first_error) {
          first_error = std::current_exception();
        }
        failed = true;
      }
    }
  };
  const unsigned workers = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(count)));
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < workers; ++i) {
    pool.emplace_back(worker);
  }
  worker();
  for (std::thread& thread : pool) {
    thread.join();
  }
  if (first_error) {
    std::rethrow_exception(first_error);
  }
}

bool pooled(const KeySpec& key)
{
  return key.type == "rsa" || key.type == "rsa-pss" || key.type == "dsa";
}

PkeyPtr share(const PkeyPtr& key)
{
  EVP_PKEY_up_ref(key.get());
  return PkeyPtr(key.get());
}

std::string upper(std::string text)
{
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::int64_t day_offset(double days)
{
  return static_cast<std::int64_t>(days * k_seconds_per_day);
}

// "RSA+SHA256", "ECDSA+SHA384", "Ed25519": DESIGN.md's signature label for the signer's key.
std::string signature_label(const KeySpec& signer, const std::string& hash)
{
  if (signer.type == "ed25519") {
    return "Ed25519";
  }
  if (signer.type == "ed448") {
    return "Ed448";
  }
  const std::string key = signer.type == "ec" ? "ECDSA" : upper(signer.type);
  return key + "+" + upper(hash);
}

bool edwards(const KeySpec& key)
{
  return key.type == "ed25519" || key.type == "ed448";
}

std::string iso_time(const ASN1_TIME* time)
{
  struct tm parts{};
  if (ASN1_TIME_to_tm(time, &parts) != 1) {
    return "";
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
  return buffer;
}

std::string serial_text(const X509* cert)
{
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (serial == nullptr) {
    return "";
  }
  char* hex = BN_bn2hex(serial);
  std::string text = hex == nullptr ? "" : hex;
  OPENSSL_free(hex);
  BN_free(serial);
  return text;
}

const IssuedCa* find_ca(const FleetCertificates& certificates, const std::string& name)
{
  for (const auto& ca : certificates.cas) {
    if (ca->description.name == name) {
      return ca.get();
    }
  }
  return nullptr;
}

// Makes `description` and, first, its issuers; `visiting` catches cycles.
const IssuedCa* make_ca(const FleetDescription& fleet, FleetCertificates& certificates,
                        const CaDescription& description, std::vector<std::string>& visiting)
{
  if (const IssuedCa* done = find_ca(certificates, description.name)) {
    return done;
  }
  if (std::find(visiting.begin(), visiting.end(), description.name) != visiting.end()) {
    throw DescriptionError("CA '" + description.name + "': issuer cycle");
  }
  visiting.push_back(description.name);
  const IssuedCa* issuer = nullptr;
  if (description.issuer != "self") {
    const auto parent = std::find_if(fleet.cas.begin(), fleet.cas.end(), [&](const CaDescription& ca) {
      return ca.name == description.issuer;
    });
    issuer = make_ca(fleet, certificates, *parent, visiting);
  }
  visiting.pop_back();

  auto ca = std::make_unique<IssuedCa>();
  ca->description = description;
  ca->issuer = issuer;
  ca->key = testing::generate_key(description.key);
  testing::CertSpec spec;
  spec.subject = testing::parse_subject(description.subject);
  spec.hash = description.hash;
  spec.not_before_offset_seconds = day_offset(description.valid_from_days);
  spec.not_after_offset_seconds = day_offset(description.valid_from_days + description.valid_days);
  spec.not_before_text = description.not_before;
  spec.not_after_text = description.not_after;
  spec.serial_hex = description.serial_hex;
  spec.ca = true;
  ca->cert = issuer == nullptr
                 ? testing::make_certificate(spec, ca->key.get(), nullptr, ca->key.get())
                 : testing::make_certificate(spec, ca->key.get(), issuer->cert.get(), issuer->key.get());
  // Fill OpenSSL's lazily computed extension cache now, while only one thread looks.
  X509_check_purpose(ca->cert.get(), -1, 0);
  ca->sha256 = testing::sha256_hex(ca->cert.get());
  certificates.cas.push_back(std::move(ca));
  return certificates.cas.back().get();
}

// The subject of `endpoint`, with its CN replaced by raw bytes when the template says so.
std::vector<testing::NameEntry> subject_entries(const Endpoint& endpoint)
{
  const CertificateTemplate& cert = endpoint.spec->certificate;
  auto entries = testing::parse_subject(endpoint.subject);
  if (cert.raw_cn_hex.empty()) {
    return entries;
  }
  const auto bytes = testing::from_hex(cert.raw_cn_hex);
  testing::NameEntry raw{"CN", std::string(bytes.begin(), bytes.end()), cert.raw_cn_type};
  const auto cn = std::find_if(entries.begin(), entries.end(),
                               [](const testing::NameEntry& entry) { return entry.field == "CN"; });
  if (cn == entries.end()) {
    entries.push_back(raw);
  } else {
    *cn = raw;
  }
  return entries;
}

// DNS names "DNS:n00001.san-bytes.example", ... whose text adds up to at least `bytes`.
std::vector<std::string> padding_sans(int bytes)
{
  std::vector<std::string> names;
  std::size_t total = 0;
  while (total < static_cast<std::size_t>(bytes)) {
    char name[64];
    std::snprintf(name, sizeof name, "DNS:n%05zu.san-bytes.example", names.size() + 1);
    names.emplace_back(name);
    total += names.back().size();
  }
  return names;
}

// `count` self-signed CA certificates of about 1.75 KB each, sharing one P-256 key.
std::vector<X509Ptr> padding_certificates(int count)
{
  std::vector<X509Ptr> certificates;
  if (count <= 0) {
    return certificates;
  }
  const PkeyPtr key = testing::generate_key({"ec", 0, "P-256"});
  for (int i = 1; i <= count; ++i) {
    testing::CertSpec spec;
    spec.subject = testing::parse_subject("/O=fleet-sim padding/CN=Padding CA " + std::to_string(i));
    spec.ca = true;
    spec.padding_bytes = k_padding_certificate_bytes;
    certificates.push_back(testing::make_certificate(spec, key.get(), nullptr, key.get()));
  }
  return certificates;
}

void issue_leaf(Endpoint& endpoint, PkeyPtr key, const IssuedCa* issuer)
{
  const CertificateTemplate& cert = endpoint.spec->certificate;
  testing::CertSpec spec;
  if (!cert.empty_subject) {
    spec.subject = subject_entries(endpoint);
  }
  for (const std::string& san : cert.san) {
    spec.san.push_back(substitute(san, endpoint));
  }
  for (std::string& san : padding_sans(cert.san_bytes)) {
    spec.san.push_back(std::move(san));
  }
  endpoint.san_count = spec.san.size();
  spec.hash = cert.hash;
  spec.not_before_offset_seconds = day_offset(cert.valid_from_days);
  spec.not_after_offset_seconds = day_offset(cert.valid_from_days + cert.valid_days);
  spec.not_before_text = cert.not_before;
  spec.not_after_text = cert.not_after;
  spec.serial_hex = cert.serial_hex;

  endpoint.leaf = issuer == nullptr
                      ? testing::make_certificate(spec, key.get(), nullptr, key.get())
                      : testing::make_certificate(spec, key.get(), issuer->cert.get(), issuer->key.get());
  if (cert.unknown_signature_oid) {
    endpoint.leaf = testing::with_unknown_signature_algorithm(endpoint.leaf.get());
  }
  endpoint.key = std::move(key);
  endpoint.chain_sha256 = {testing::sha256_hex(endpoint.leaf.get())};
  endpoint.chain.clear();
  if (cert.send_chain) {
    for (const IssuedCa* ca = issuer; ca != nullptr; ca = ca->issuer) {
      if (ca->issuer != nullptr) { // a self-signed root is never sent
        endpoint.chain.push_back(ca->cert.get());
        endpoint.chain_sha256.push_back(ca->sha256);
      }
    }
  }
  endpoint.padding = padding_certificates(cert.chain_padding);
  for (const X509Ptr& padding : endpoint.padding) {
    endpoint.chain.push_back(padding.get());
    endpoint.chain_sha256.push_back(testing::sha256_hex(padding.get()));
  }
}

} // namespace

FleetCertificates issue_certificates(FleetDescription& fleet, unsigned threads)
{
  FleetCertificates certificates;
  for (const CaDescription& ca : fleet.cas) {
    std::vector<std::string> visiting;
    make_ca(fleet, certificates, ca, visiting);
  }

  // Which endpoints take which pool key, decided up front so the result is deterministic.
  std::vector<std::size_t> tls_endpoints;
  std::map<std::string, KeySpec> pool_specs;
  std::map<std::string, std::size_t> pool_cursor;
  std::vector<std::pair<std::string, std::size_t>> pool_slot(fleet.endpoints.size());
  for (std::size_t i = 0; i < fleet.endpoints.size(); ++i) {
    Endpoint& endpoint = fleet.endpoints[i];
    if (!has_certificate(endpoint.spec->behaviour)) {
      continue;
    }
    if (endpoint.certificate_source >= 0) {
      continue; // copied from its sibling below
    }
    endpoint.subject = endpoint.spec->certificate.empty_subject
                           ? std::string()
                           : substitute(endpoint.spec->certificate.subject, endpoint);
    tls_endpoints.push_back(i);
    const KeySpec& key = endpoint.spec->certificate.key;
    if (pooled(key) && !endpoint.spec->certificate.unique_key) {
      const std::string label = testing::key_label(key);
      pool_specs.emplace(label, key);
      pool_slot[i] = {label, pool_cursor[label]++ % static_cast<std::size_t>(fleet.key_pool)};
    }
  }

  // Key pools: only as many keys as will be used.
  std::vector<std::pair<std::string, std::size_t>> pool_jobs;
  for (const auto& [label, spec] : pool_specs) {
    const std::size_t size = std::min<std::size_t>(pool_cursor[label], static_cast<std::size_t>(fleet.key_pool));
    certificates.key_pools[label].resize(size);
    for (std::size_t k = 0; k < size; ++k) {
      pool_jobs.emplace_back(label, k);
    }
  }
  parallel_for(pool_jobs.size(), threads, [&](std::size_t job) {
    const auto& [label, index] = pool_jobs[job];
    certificates.key_pools[label][index] = testing::generate_key(pool_specs.at(label));
  });

  parallel_for(tls_endpoints.size(), threads, [&](std::size_t job) {
    Endpoint& endpoint = fleet.endpoints[tls_endpoints[job]];
    const CertificateTemplate& cert = endpoint.spec->certificate;
    const auto& [label, index] = pool_slot[tls_endpoints[job]];
    PkeyPtr key = label.empty() ? testing::generate_key(cert.key)
                                : share(certificates.key_pools.at(label).at(index));
    const IssuedCa* issuer = cert.issuer == "self" ? nullptr : find_ca(certificates, cert.issuer);
    issue_leaf(endpoint, std::move(key), issuer);
  });

  for (Endpoint& endpoint : fleet.endpoints) {
    if (endpoint.certificate_source < 0) {
      continue;
    }
    const Endpoint& source = fleet.endpoints[static_cast<std::size_t>(endpoint.certificate_source)];
    X509_up_ref(source.leaf.get());
    endpoint.leaf = X509Ptr(source.leaf.get());
    endpoint.key = share(source.key);
    endpoint.chain = source.chain;
    endpoint.chain_sha256 = source.chain_sha256;
    endpoint.subject = source.subject;
    endpoint.san_count = source.san_count;
  }
  return certificates;
}

nlohmann::json make_truth(const FleetDescription& fleet, const FleetCertificates& certificates,
                          long pid)
{
  using nlohmann::json;
  json endpoints = json::array();
  for (const Endpoint& endpoint : fleet.endpoints) {
    json entry = {{"ip", endpoint.ip}, {"port", endpoint.port}};
    if (!endpoint.mac.empty()) {
      entry["mac"] = endpoint.mac;
    }
    entry["behaviour"] = to_string(endpoint.spec->behaviour);
    if (endpoint.labels != nullptr) {
      for (const auto& [key, value] : *endpoint.labels) {
        entry[key] = value;
      }
    }
    if (endpoint.spec->behaviour == Behaviour::tls || endpoint.spec->behaviour == Behaviour::raw_flight) {
      const CertificateTemplate& cert = endpoint.spec->certificate;
      const IssuedCa* issuer = cert.issuer == "self" ? nullptr : find_ca(certificates, cert.issuer);
      const KeySpec& signer = issuer == nullptr ? cert.key : issuer->description.key;
      entry["leaf_sha256"] = endpoint.chain_sha256.front();
      if (const IdentityTemplate* identity = endpoint.identity) {
        // What the port announces after the handshake, substituted for this device.
        json announced = {{"answer", to_string(identity->answer)}, {"status", identity->status}};
        for (const auto& [key, text] : {std::pair<const char*, const std::string*>{"user_agent", &identity->user_agent},
                                        {"server", &identity->server}, {"title", &identity->title}}) {
          if (!text->empty()) {
            announced[key] = substitute(*text, endpoint);
          }
        }
        entry["identity"] = std::move(announced);
      }
      entry["chain_sha256"] = endpoint.chain_sha256;
      entry["subject"] = endpoint.subject;
      if (!cert.raw_cn_hex.empty()) {
        entry["subject_raw_cn_hex"] = cert.raw_cn_hex;
      }
      entry["issuer_ca"] = cert.issuer;
      entry["key"] = testing::key_label(cert.key);
      entry["hash"] = edwards(signer) ? "none" : cert.hash;
      entry["signature"] = signature_label(signer, cert.hash);
      if (cert.unknown_signature_oid) {
        entry["signature"] = "unknown";
        entry["signature_oid"] = testing::signature_oid_text(endpoint.leaf.get());
      }
      if (endpoint.san_count > 0) {
        entry["san_count"] = endpoint.san_count;
      }
      if (cert.chain_padding > 0) {
        entry["chain_padding"] = cert.chain_padding;
        std::size_t bytes = 0;
        for (const X509* ca : endpoint.chain) {
          bytes += testing::to_der(ca).size();
        }
        entry["chain_bytes"] = bytes + testing::to_der(endpoint.leaf.get()).size();
      }
      if (cert.empty_subject) {
        entry["empty_subject"] = true;
      }
      if (endpoint.spec->behaviour == Behaviour::raw_flight) {
        entry["raw_suite"] = endpoint.spec->raw_suite;
        entry["raw_version"] = endpoint.spec->raw_version;
      } else {
        entry["tls"] = cert.tls;
      }
      entry["request_client_cert"] = cert.request_client_cert || cert.require_client_cert;
      entry["require_client_cert"] = cert.require_client_cert;
      entry["serial"] = serial_text(endpoint.leaf.get());
      entry["not_before"] = iso_time(X509_get0_notBefore(endpoint.leaf.get()));
      entry["not_after"] = iso_time(X509_get0_notAfter(endpoint.leaf.get()));
      if (endpoint.certificate_source >= 0) {
        const Endpoint& source = fleet.endpoints[static_cast<std::size_t>(endpoint.certificate_source)];
        if (source.ip == endpoint.ip) {
          entry["same_as"] = source.port;
        } else {
          entry["same_as"] = source.ip + ":" + std::to_string(source.port);
        }
      }
    }
    endpoints.push_back(std::move(entry));
  }
  json cas = json::array();
  for (const auto& ca : certificates.cas) {
    cas.push_back({{"name", ca->description.name},
                   {"sha256", ca->sha256},
                   {"subject", ca->description.subject},
                   {"issuer_ca", ca->description.issuer},
                   {"key", testing::key_label(ca->description.key)},
                   {"not_after", iso_time(X509_get0_notAfter(ca->cert.get()))},
                   {"pem", testing::to_pem(ca->cert.get())}});
  }
  return {{"pid", pid}, {"endpoints", std::move(endpoints)}, {"cas", std::move(cas)}};
}

} // namespace fleetcert::sim
