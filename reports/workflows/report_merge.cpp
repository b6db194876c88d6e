// Merges saved scan reports (see report_merge.hpp):
//
//   pass 1, each input: read_report_records with no sink ─> its scan section, sha256, record count;
//           inputs checked (no stdin, no report twice, audit settings that agree or --force)
//   pass 2, newest scan first: read_report_records ─> SeenEndpoints (a newer input's endpoint? left
//           out) ─> ScanSummary, RecordInventory, FleetView, every sink
//   then the inventory of the cross-check, FleetView::finish, the merged scan section, the sinks finished

#include "reports/workflows/report_merge.hpp"

#include "reports/workflows/report_stream.hpp"
#include "scanner/assessment/fleet_view.hpp"
#include "scanner/util/ip_address.hpp"
#include "scanner/util/text.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace fleetcert {
namespace {

// The endpoints handed on by the inputs merged so far, each with the input that has it. An input's
// own endpoints are added when it is done (commit), so that a report that lists one endpoint twice
// (a resumed scan) keeps both records as `fleetcert report` does; only another input's count.
class SeenEndpoints
{
public:
  // The input (index) whose record of `endpoint` was kept, when an earlier-merged input had it.
  std::optional<std::size_t> owner(const Endpoint& endpoint) const
  {
    if (const std::optional<std::uint64_t> packed = pack(endpoint)) {
      const auto at = std::lower_bound(m_v4.begin(), m_v4.end(), std::pair<std::uint64_t, std::uint32_t>{*packed, 0});
      if (at != m_v4.end() && at->first == *packed) {
        return at->second;
      }
      return std::nullopt;
    }
    const auto at = m_other.find(text_key(endpoint));
    return at == m_other.end() ? std::nullopt : std::optional<std::size_t>(at->second);
  }
  void add(const Endpoint& endpoint, std::size_t input)
  {
    if (const std::optional<std::uint64_t> packed = pack(endpoint)) {
      m_pending_v4.emplace_back(*packed, static_cast<std::uint32_t>(input));
    } else {
      m_pending_other.emplace(text_key(endpoint), input);
    }
  }
  // The pending endpoints become visible to the inputs merged next.
  void commit()
  {
    const std::size_t middle = m_v4.size();
    m_v4.insert(m_v4.end(), m_pending_v4.begin(), m_pending_v4.end());
    std::sort(m_v4.begin() + static_cast<std::ptrdiff_t>(middle), m_v4.end());
    std::inplace_merge(m_v4.begin(), m_v4.begin() + static_cast<std::ptrdiff_t>(middle), m_v4.end());
    m_pending_v4.clear();
    m_pending_v4.shrink_to_fit();
    m_other.merge(m_pending_other);
    m_pending_other.clear();
  }

private:
  // An IPv4 endpoint in 48 bits (address, port); nullopt for IPv6 and names.
  static std::optional<std::uint64_t> pack(const Endpoint& endpoint)
  {
    if (endpoint.ip.empty()) {
      return std::nullopt;
    }
    const auto address = parse_address(endpoint.ip);
    if (!address || address->first) {
      return std::nullopt;
    }
    return (static_cast<std::uint64_t>(address->second) << 16) | endpoint.port;
  }
  static std::string text_key(const Endpoint& endpoint)
  {
    return (endpoint.ip.empty() ? "name " + endpoint.host : canonical_address(endpoint.ip)) + " "
           + std::to_string(endpoint.port);
  }

  std::vector<std::pair<std::uint64_t, std::uint32_t>> m_v4; // sorted
  std::vector<std::pair<std::uint64_t, std::uint32_t>> m_pending_v4;
  std::map<std::string, std::size_t> m_other;
  std::map<std::string, std::size_t> m_pending_other;
};

// Sorted copies: a setting compared by content, in no particular order.
std::vector<std::pair<std::string, std::string>> by_content(const std::vector<AuditInputFile>& files)
{
  std::vector<std::pair<std::string, std::string>> out;
  for (const AuditInputFile& file : files) {
    out.emplace_back(file.vendor, file.sha256);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The files of `files` whose content is not in `out` yet, appended.
void add_distinct(std::vector<AuditInputFile>& out, const std::vector<AuditInputFile>& files)
{
  for (const AuditInputFile& file : files) {
    if (std::none_of(out.begin(), out.end(), [&](const AuditInputFile& have) { return have.sha256 == file.sha256; })) {
      out.push_back(file);
    }
  }
}

// One bundle's use over every input: counts summed, issuer names summed and capped again.
void add_bundles(std::vector<BundleUse>& merged, const std::vector<BundleUse>& uses)
{
  for (const BundleUse& use : uses) {
    auto same = std::find_if(merged.begin(), merged.end(), [&](const BundleUse& have) {
      return have.option == use.option && have.vendor == use.vendor;
    });
    if (same == merged.end()) {
      merged.push_back(use);
      continue;
    }
    same->certificates += use.certificates;
    same->verified += use.verified;
    same->unverified_other += use.unverified_other;
    std::map<std::string, std::uint64_t> issuers(same->unverified_issuers.begin(), same->unverified_issuers.end());
    for (const auto& [issuer, count] : use.unverified_issuers) {
      issuers[issuer] += count;
    }
    same->unverified_issuers.assign(issuers.begin(), issuers.end());
    std::stable_sort(same->unverified_issuers.begin(), same->unverified_issuers.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    while (same->unverified_issuers.size() > BundleCheck::k_max_issuers) {
      same->unverified_other += same->unverified_issuers.back().second;
      same->unverified_issuers.pop_back();
    }
  }
}

std::string quoted(const std::string& path)
{
  return quote_for_message(path);
}

std::string joined(const std::vector<std::string>& items)
{
  std::string out;
  for (const std::string& item : items) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out;
}

// The merged scan section: the facts every input carries, combined (times as their span, ports as
// their union, planned endpoints and outcomes summed up); a fact one input lacks is left out.
ScanInfo merged_scan(const std::vector<ReportStream>& streams)
{
  ScanInfo info;
  auto all_know = [&](ScanFact fact) {
    const bool all = std::all_of(streams.begin(), streams.end(), [&](const ReportStream& s) { return s.scan.knows(fact); });
    if (!all) {
      info.unknown.insert(fact);
    }
    return all;
  };
  if (all_know(ScanFact::version)) {
    info.tool_version = streams.front().scan.tool_version;
    if (std::any_of(streams.begin(), streams.end(),
                    [&](const ReportStream& s) { return s.scan.tool_version != info.tool_version; })) {
      info.unknown.insert(ScanFact::version); // no one version made them all
    }
  }
  if (all_know(ScanFact::times)) {
    info.started_at = streams.front().scan.started_at;
    info.finished_at = streams.front().scan.finished_at;
    for (const ReportStream& stream : streams) {
      info.started_at = std::min(info.started_at, stream.scan.started_at);
      info.finished_at = std::max(info.finished_at, stream.scan.finished_at);
    }
  }
  info.unknown.insert(ScanFact::arguments); // each input's are in merged_from.inputs
  if (all_know(ScanFact::ports)) {
    std::set<std::uint16_t> ports;
    for (const ReportStream& stream : streams) {
      ports.insert(stream.scan.ports.begin(), stream.scan.ports.end());
    }
    info.ports.assign(ports.begin(), ports.end());
  }
  if (all_know(ScanFact::endpoints_planned)) {
    for (const ReportStream& stream : streams) {
      info.endpoints_planned += stream.scan.endpoints_planned;
    }
  }
  if (all_know(ScanFact::outcome)) {
    for (const ReportStream& stream : streams) {
      info.interrupted = info.interrupted || stream.scan.interrupted;
      if (stream.scan.failed) {
        info.failure += (info.failed ? "; " : "") + stream.path + ": " + stream.scan.failure;
        info.failed = true;
      }
    }
  }
  if (all_know(ScanFact::bundles)) {
    for (const ReportStream& stream : streams) {
      add_bundles(info.bundles, stream.scan.bundles);
    }
  }
  for (const ReportStream& stream : streams) { // scan.warnings: each input's, naming it
    for (const ScanWarning& warning : stream.scan.warnings) {
      info.warnings.push_back(ScanWarning{warning.code, stream.path + ": " + warning.message});
    }
  }
  return info;
}

} // namespace

std::optional<std::string> audit_settings_difference(const AuditSettings& a, const AuditSettings& b)
{
  if (by_content(a.vendor_cas) != by_content(b.vendor_cas)) {
    return "the --vendor-ca bundles differ (by vendor and content)";
  }
  if (by_content(a.trust) != by_content(b.trust)) {
    return "the --trust bundles differ (by content)";
  }
  if (a.builtin_profiles_sha256 != b.builtin_profiles_sha256) {
    return "the built-in vendor profiles differ (another fleetcert version)";
  }
  if (by_content(a.profile_files) != by_content(b.profile_files)) {
    return "the --profiles files differ (by content)";
  }
  return std::nullopt;
}

Result<MergeOutcome> merge_reports(const MergeOptions& options, const std::vector<RecordSink*>& sinks)
{
  if (options.inputs.empty()) {
    return Error{"nothing to merge: give the saved reports"};
  }
  // ---- Pass 1: every input's scan section, before anything is written ----
  std::vector<ReportStream> streams;
  ReportStreamOptions stream_options;
  stream_options.allow_partial_last_line = options.allow_partial;
  for (const std::string& path : options.inputs) {
    if (path == "-") {
      return Error{"standard input ('-') cannot be merged (each input is read twice): save it to a file first"};
    }
    Result<ReportStream> stream = read_report_records(path, [](Record&) {}, stream_options);
    if (!stream) {
      return Error{stream.error()};
    }
    for (const ReportStream& earlier : streams) {
      if (earlier.sha256 == stream->sha256) {
        return Error{quoted(earlier.path) + " and " + quoted(path) + " are the same report (sha256 " + stream->sha256
                     + "): give each report once"};
      }
    }
    streams.push_back(std::move(*stream));
  }

  MergeOutcome outcome;
  for (const ReportStream& stream : streams) {
    if (stream.partial_last_line) {
      outcome.warnings.push_back(stream.path + ":" + std::to_string(*stream.partial_last_line)
                                 + ": the last line is cut off (the scan writing it was killed): skipped (--allow-partial); "
                                   "the merged reports lack that endpoint");
    }
  }
  MergedFrom from;
  from.tool_version = options.tool_version;
  from.merged_at = options.merged_at;
  from.audit_settings = "same";
  const ReportStream* reference = nullptr; // the first input that carries audit settings
  std::vector<std::string> without_settings;
  for (const ReportStream& stream : streams) {
    if (!stream.scan.audit_settings) {
      without_settings.push_back(quoted(stream.path));
      continue;
    }
    if (reference == nullptr) {
      reference = &stream;
      continue;
    }
    if (const auto difference = audit_settings_difference(*reference->scan.audit_settings, *stream.scan.audit_settings)) {
      const std::string message = quoted(reference->path) + " and " + quoted(stream.path)
                                  + " were made with different audit settings: " + *difference;
      if (!options.force) {
        return Error{message + "; their verdicts do not add up (give --force to merge them anyway)"};
      }
      if (from.audit_settings != "mixed") {
        from.audit_settings = "mixed";
        outcome.warnings.push_back(message + ": merged anyway (--force); scan.audit_settings is left out");
        outcome.info.warnings.push_back(ScanWarning{"merge-audit-settings-mixed", message});
      }
    }
  }
  if (!without_settings.empty()) {
    const std::string message = joined(without_settings) + (without_settings.size() == 1 ? " carries" : " carry")
                                + " no audit settings (JSONL, or an older fleetcert's document): whether the inputs "
                                  "were made with the same bundles and profiles cannot be checked";
    outcome.warnings.push_back(message);
    outcome.info.warnings.push_back(ScanWarning{"merge-audit-settings-unknown", message});
    if (from.audit_settings == "same") {
      from.audit_settings = "unknown";
    }
  }
  for (const ReportStream& stream : streams) {
    for (const std::string& warning : stream.warnings) {
      outcome.warnings.push_back(warning.starts_with(stream.path) ? warning : stream.path + ": " + warning);
    }
  }

  // Newest scan first (scan.started_at; an input without one is older than any with one; of two
  // equal, the later on the command line is the newer).
  std::vector<std::size_t> order(streams.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto newness = [&](std::size_t i) {
    const ScanInfo& scan = streams[i].scan;
    return std::make_tuple(scan.knows(ScanFact::times), scan.knows(ScanFact::times) ? scan.started_at : 0, i);
  };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return newness(a) > newness(b); });

  // ---- Pass 2: the records, into the sinks ----
  for (RecordSink* sink : sinks) {
    sink->begin(ScanInfo{});
  }
  FleetView fleet;
  RecordInventory from_records;
  SeenEndpoints seen;
  std::vector<std::uint64_t> replaced(streams.size(), 0);
  std::map<std::pair<std::size_t, std::size_t>, std::uint64_t> replaced_by; // (older, newer) -> endpoints
  std::uint64_t without_pem = 0;
  for (const std::size_t index : order) {
    const ReportStream& first = streams[index];
    Result<ReportStream> again = read_report_records(first.path, [&](Record& record) {
      if (const std::optional<std::size_t> owner = seen.owner(record.observation.endpoint)) {
        ++replaced[index];
        ++replaced_by[{index, *owner}];
        return;
      }
      seen.add(record.observation.endpoint, index);
      ++outcome.records;
      outcome.summary.add(record);
      from_records.add(record);
      without_pem += record.ok() && record.observation.chain.empty() ? 1 : 0;
      fleet.add(record);
      for (RecordSink* sink : sinks) {
        sink->write(record);
      }
    }, stream_options);
    if (!again) {
      return Error{again.error()};
    }
    if (again->sha256 != first.sha256) {
      return Error{quoted(first.path) + " changed while it was being merged: merge it again"};
    }
    seen.commit();
  }
  for (const auto& [pair, count] : replaced_by) {
    from.duplicate_endpoints += count;
    const std::string message = std::to_string(count) + " endpoint" + (count == 1 ? "" : "s") + " of "
                                + quoted(streams[pair.first].path) + " also in the newer " + quoted(streams[pair.second].path)
                                + ": the newer record kept";
    outcome.warnings.push_back(message);
    outcome.info.warnings.push_back(ScanWarning{"merge-duplicate-endpoints", message});
  }
  if (without_pem > 0) {
    outcome.warnings.push_back(std::to_string(without_pem)
                               + " records carry no PEM chain: shared-key (the same key in different certificates) "
                                 "cannot be recomputed for them");
  }

  // ---- The merged scan section and the device view ----
  ScanInfo info = merged_scan(streams);
  info.warnings.insert(info.warnings.end(), outcome.info.warnings.begin(), outcome.info.warnings.end());
  if (from.audit_settings == "same" && reference != nullptr) {
    AuditSettings settings = *reference->scan.audit_settings;
    settings.inventory.clear();
    settings.dhcp_leases.clear();
    for (const ReportStream& stream : streams) {
      add_distinct(settings.inventory, stream.scan.audit_settings->inventory);
      add_distinct(settings.dhcp_leases, stream.scan.audit_settings->dhcp_leases);
    }
    if (options.inventory != nullptr) { // the cross-check's inventory is the one given to merge
      settings.inventory = {AuditInputFile{"", options.inventory_path, options.inventory->sha256}};
    }
    info.audit_settings = std::move(settings);
  }
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const ReportStream& stream = streams[i];
    MergedInput input;
    input.path = stream.path;
    input.sha256 = stream.sha256;
    input.format = stream.format;
    if (stream.scan.knows(ScanFact::times)) {
      input.started_at = stream.scan.started_at;
      input.finished_at = stream.scan.finished_at;
    }
    if (stream.scan.knows(ScanFact::version)) {
      input.tool_version = stream.scan.tool_version;
    }
    if (stream.scan.knows(ScanFact::arguments)) {
      input.arguments = stream.scan.arguments;
    }
    input.records = stream.records;
    input.replaced = replaced[i];
    from.inputs.push_back(std::move(input));
  }
  if (options.inventory != nullptr) {
    fleet.set_inventory(options.inventory);
    from.inventory_source = "inventory-option";
    from.inventory_path = options.inventory_path;
    from.inventory_sha256 = options.inventory->sha256;
  } else {
    fleet.set_inventory(from_records.inventory());
    from.inventory_source = from_records.inventory() != nullptr ? "records" : "none";
  }
  fleet.finish();
  info.merged_from = std::move(from);
  outcome.info = info;

  // Every sink is finished, even after one fails: each output is whole or absent.
  std::optional<std::string> error;
  for (RecordSink* sink : sinks) {
    try {
      sink->fleet(fleet);
      sink->finish(info, outcome.summary);
    } catch (const std::exception& e) {
      if (!error) {
        error = e.what();
      }
    }
  }
  if (error) {
    throw std::runtime_error(*error);
  }
  return outcome;
}

} // namespace fleetcert
