#include "scanner/assessment/scan_verdict.hpp"

#include "scanner/util/text.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

namespace fleetcert {

bool FailOnPolicy::matches(const Finding& finding) const
{
  return codes.count(finding.code) != 0 || (minimum && finding.severity >= *minimum);
}

Result<FailOnPolicy> parse_fail_on(std::string_view text)
{
  FailOnPolicy policy;
  if (trim_blanks(text).empty()) {
    return policy;
  }
  for (const std::string_view piece : split(text, ',')) {
    const std::string item(trim_blanks(piece));
    constexpr std::string_view k_severity_prefix = "severity>=";
    if (item.rfind(k_severity_prefix, 0) == 0) {
      policy.minimum = parse_severity(std::string_view(item).substr(k_severity_prefix.size()));
      if (!policy.minimum) {
        return Error{"invalid --fail-on " + quote_for_message(item)
                     + ": severities are info, low, medium, high, critical"};
      }
    } else if (find_finding_kind(item) != nullptr) {
      policy.codes.insert(item);
    } else {
      std::string known;
      for (const FindingKind& kind : finding_kinds()) {
        known += (known.empty() ? "" : ", ") + std::string(kind.code);
      }
      return Error{"invalid --fail-on " + quote_for_message(item) + ": not a finding code (" + known
                   + ") nor severity>=LEVEL"};
    }
  }
  return policy;
}

namespace {

bool all_digits(std::string_view text)
{
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

Result<MinAnswering> parse_min_answering(std::string_view text)
{
  const std::string usage = "invalid --min-answering " + quote_for_message(text)
                            + ": a number of devices (e.g. 10) or a percentage of the devices scanned (e.g. 80%)";
  MinAnswering minimum;
  minimum.text = std::string(text);
  if (!text.empty() && text.back() == '%') {
    const std::string_view number = text.substr(0, text.size() - 1);
    const std::size_t dot = number.find('.');
    const std::string_view whole = number.substr(0, dot);
    const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
    if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(fraction)) || whole.size() > 3) {
      return Error{usage};
    }
    if (fraction.size() > 2) {
      return Error{"invalid --min-answering " + quote_for_message(text) + ": two decimals at most"};
    }
    std::uint32_t points = 0;
    std::from_chars(whole.data(), whole.data() + whole.size(), points);
    points *= 100;
    for (std::size_t i = 0; i < 2; ++i) {
      points += static_cast<std::uint32_t>(i < fraction.size() ? fraction[i] - '0' : 0) * (i == 0 ? 10U : 1U);
    }
    if (points == 0 || points > 10000) {
      return Error{"invalid --min-answering " + quote_for_message(text) + ": a percentage above 0 and at most 100"};
    }
    minimum.is_percent = true;
    minimum.basis_points = points;
    return minimum;
  }
  if (!all_digits(text)) {
    return Error{usage};
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), minimum.count);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Error{"invalid --min-answering " + quote_for_message(text) + ": too large"};
  }
  if (minimum.count == 0) {
    return Error{"invalid --min-answering " + quote_for_message(text) + ": at least 1 (0 would check nothing)"};
  }
  return minimum;
}

std::uint64_t MinAnswering::required(std::uint64_t of) const
{
  if (!is_percent) {
    return count;
  }
  // ceil(of * basis_points / 10000), without overflow: basis_points <= 10000.
  return of / 10000 * basis_points + (of % 10000 * basis_points + 9999) / 10000;
}

ScanVerdict::ScanVerdict(FailOnPolicy fail_on, std::optional<MinAnswering> min_answering)
    : m_fail_on(std::move(fail_on)), m_min_answering(std::move(min_answering))
{
}

void ScanVerdict::add_device(const std::vector<Finding>& findings, bool answered, bool in_inventory)
{
  m_answering += answered ? 1 : 0;
  if (in_inventory) {
    ++m_inventory_devices;
    m_inventory_answering += answered ? 1 : 0;
  }
  if (m_fail_on.empty()) {
    return;
  }
  std::set<std::string> codes;
  for (const Finding& finding : findings) {
    if (m_fail_on.matches(finding)) {
      codes.insert(finding.code);
    }
  }
  if (!codes.empty()) {
    ++m_matched_devices;
    for (const std::string& code : codes) {
      ++m_matched_by_code[code];
    }
  }
}

std::string ScanVerdict::fail_on_line() const
{
  std::vector<std::pair<std::string, std::uint64_t>> codes(m_matched_by_code.begin(), m_matched_by_code.end());
  std::stable_sort(codes.begin(), codes.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string line = "--fail-on matched " + std::to_string(m_matched_devices)
                     + (m_matched_devices == 1 ? " device" : " devices");
  for (std::size_t i = 0; i < codes.size(); ++i) {
    line += (i == 0 ? ": " : ", ") + codes[i].first + " " + std::to_string(codes[i].second);
  }
  return line;
}

std::uint64_t ScanVerdict::answering() const
{
  return by_inventory() ? m_inventory_answering : m_answering;
}

std::uint64_t ScanVerdict::population() const
{
  return by_inventory() ? m_inventory_devices : m_addresses_scanned;
}

bool ScanVerdict::too_few_answering() const
{
  return m_min_answering && answering() < m_min_answering->required(population());
}

std::string ScanVerdict::answering_line() const
{
  if (!m_min_answering) {
    return "";
  }
  const std::uint64_t needed = m_min_answering->required(population());
  return "--min-answering " + m_min_answering->text + ": " + std::to_string(answering()) + " of "
         + std::to_string(population()) + (by_inventory() ? " inventory devices" : " addresses scanned")
         + " answered (a certificate on at least one port), " + std::to_string(needed) + " needed";
}

} // namespace fleetcert
