#pragma once
// A strict reader of the Prometheus text exposition format 0.0.4 for tests, independent of the
// product's writer: every line is a comment, a blank line or `name{label="value",...} value`;
// every sample's family has a TYPE before it and its samples are together; metric and label
// names are valid; label values use only the escapes \\ \" \n and are valid UTF-8; no series
// appears twice; the text ends in LF.

#include <map>
#include <string>
#include <vector>

namespace fleetcert::testing {

struct Sample
{
  std::string name;
  std::map<std::string, std::string> labels; // unescaped
  double value = 0;
};

struct Exposition
{
  std::map<std::string, std::string> types; // family -> type
  std::map<std::string, std::string> help;  // family -> help text
  std::vector<Sample> samples;              // in file order

  // Every sample of `name`, in file order.
  std::vector<Sample> of(const std::string& name) const;
  // The value of the one sample of `name` whose labels include `labels`; throws unless exactly one.
  double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;
};

// Throws std::runtime_error naming the line and the fault.
Exposition parse_exposition(const std::string& text);

} // namespace fleetcert::testing
