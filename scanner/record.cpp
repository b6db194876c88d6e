#include "record.hpp"

#include "audit.hpp"

namespace fleetcert {

Record make_record(Observation observation, const AssessmentSettings& settings)
{
  Record record;
  record.chain.reserve(observation.chain.size());
  for (const Der& der : observation.chain) {
    record.chain.push_back(decode_certificate(der));
  }
  record.observation = std::move(observation);
  if (const CertificateInfo* leaf = record.leaf()) {
    record.assessment = assess(*leaf, settings);
  }
  if (settings.audit != nullptr) {
    audit_record(record, *settings.audit);
  }
  return record;
}

} // namespace fleetcert
