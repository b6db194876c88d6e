// Names of the observation vocabulary (DESIGN.md), as reports write them.

#include "scanner/model/observation.hpp"

#include "scanner/util/text.hpp"

#include <openssl/x509.h>

#include <utility>

namespace fleetcert {

namespace {

constexpr VocabularyWord<ErrorClass> k_error_classes[] = {
    {ErrorClass::none, ""},
    {ErrorClass::refused, "refused"},
    {ErrorClass::timeout, "timeout"},
    {ErrorClass::reset, "reset"},
    {ErrorClass::not_tls, "not-tls"},
    {ErrorClass::tls_alert, "tls-alert"},
    {ErrorClass::protocol, "protocol"},
    {ErrorClass::unreachable, "unreachable"},
    {ErrorClass::dns, "dns"},
};

constexpr VocabularyWord<SkipReason> k_skip_reasons[] = {
    {SkipReason::none, ""},
    {SkipReason::excluded, "excluded"},
};

} // namespace

std::string_view to_string(SkipReason reason)
{
  return vocabulary_word(k_skip_reasons, reason);
}

std::optional<SkipReason> parse_skip_reason(std::string_view text)
{
  return vocabulary_value(k_skip_reasons, text);
}

std::string_view to_string(ErrorClass error_class)
{
  return vocabulary_word(k_error_classes, error_class);
}

std::optional<ErrorClass> parse_error_class(std::string_view text)
{
  return vocabulary_value(k_error_classes, text);
}

bool something_answered(ErrorClass error_class)
{
  return error_class != ErrorClass::refused && error_class != ErrorClass::unreachable && error_class != ErrorClass::dns;
}

std::string_view to_string(HandshakeMode mode)
{
  return mode == HandshakeMode::full ? "full" : "certificate-only";
}

std::string_view to_string(HelloKind hello)
{
  switch (hello) {
  case HelloKind::openssl: return "openssl";
  case HelloKind::legacy: return "legacy";
  case HelloKind::raw: return "raw";
  case HelloKind::raw_sslv3: return "raw-sslv3";
  }
  return "openssl";
}

PeerCertificates::PeerCertificates(PeerCertificates&& other) noexcept : m_certs(std::exchange(other.m_certs, {})) {}

PeerCertificates& PeerCertificates::operator=(const PeerCertificates& other) noexcept
{
  if (this != &other) {
    clear();
  }
  return *this;
}

PeerCertificates& PeerCertificates::operator=(PeerCertificates&& other) noexcept
{
  if (this != &other) {
    clear();
    m_certs = std::exchange(other.m_certs, {});
  }
  return *this;
}

PeerCertificates::~PeerCertificates()
{
  clear();
}

void PeerCertificates::add(x509_st* cert)
{
  if (cert == nullptr) {
    return;
  }
  m_certs.push_back(cert);
  if (X509_up_ref(cert) != 1) {
    m_certs.pop_back(); // no reference taken: nothing to free
  }
}

std::vector<x509_st*> PeerCertificates::release()
{
  return std::exchange(m_certs, {});
}

void PeerCertificates::clear()
{
  for (x509_st* cert : m_certs) {
    X509_free(cert);
  }
  m_certs.clear();
}

} // namespace fleetcert
