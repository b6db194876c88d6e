#include "support/prometheus_parse.hpp"

#include <set>
#include <stdexcept>

namespace fleetcert::testing {

std::vector<Sample> Exposition::of(const std::string& name) const
{
  std::vector<Sample> out;
  for (const Sample& sample : samples) {
    if (sample.name == name) {
      out.push_back(sample);
    }
  }
  return out;
}

double Exposition::value(const std::string& name, const std::map<std::string, std::string>& labels) const
{
  const Sample* found = nullptr;
  for (const Sample& sample : samples) {
    bool match = sample.name == name;
    for (const auto& [key, text] : labels) {
      match = match && sample.labels.count(key) != 0 && sample.labels.at(key) == text;
    }
    if (match) {
      if (found != nullptr) {
        throw std::runtime_error("more than one sample of " + name);
      }
      found = &sample;
    }
  }
  if (found == nullptr) {
    throw std::runtime_error("no sample of " + name);
  }
  return found->value;
}

namespace {

// Well-formed UTF-8: no overlong forms, surrogates or code points above U+10FFFF.
bool is_utf8(const std::string& text)
{
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    unsigned cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) {
      return false;
    }
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (next & 0x3F);
    }
    if ((length == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (length == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += length;
  }
  return true;
}

bool is_name_start(char c, bool colon)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

bool is_valid_name(const std::string& name, bool colon)
{
  if (name.empty() || !is_name_start(name[0], colon)) {
    return false;
  }
  for (const char c : name) {
    if (!is_name_start(c, colon) && !(c >= '0' && c <= '9')) {
      return false;
    }
  }
  return true;
}

} // namespace

Exposition parse_exposition(const std::string& text)
{
  Exposition out;
  if (!text.empty() && text.back() != '\n') {
    throw std::runtime_error("the last line does not end in LF");
  }
  std::set<std::string> closed; // families whose samples are over
  std::string current;          // family of the previous sample
  std::set<std::string> series;
  std::size_t number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    const auto fail = [&](const std::string& why) {
      throw std::runtime_error("line " + std::to_string(number) + ": " + why + ": " + line);
    };
    if (!is_utf8(line)) {
      fail("not UTF-8");
    }
    if (line.find('\r') != std::string::npos) {
      fail("CR");
    }
    if (line.empty()) {
      continue;
    }
    if (line[0] == '#') {
      if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
        const bool type = line[2] == 'T';
        const std::size_t space = line.find(' ', 7);
        const std::string name = line.substr(7, space == std::string::npos ? std::string::npos : space - 7);
        if (!is_valid_name(name, true) || space == std::string::npos) {
          fail("bad HELP/TYPE");
        }
        const std::string rest = line.substr(space + 1);
        if (type) {
          if (rest != "gauge" && rest != "counter" && rest != "untyped" && rest != "histogram" && rest != "summary") {
            fail("bad type");
          }
          if (out.types.count(name) != 0 || closed.count(name) != 0 || current == name) {
            fail("second TYPE or TYPE after samples");
          }
          out.types[name] = rest;
        } else {
          if (out.help.count(name) != 0) {
            fail("second HELP");
          }
          out.help[name] = rest;
        }
      }
      continue;
    }
    Sample sample;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') {
      sample.name += line[i++];
    }
    if (!is_valid_name(sample.name, true)) {
      fail("bad metric name");
    }
    if (out.types.count(sample.name) == 0) {
      fail("sample before its TYPE");
    }
    if (sample.name != current) {
      if (closed.count(sample.name) != 0) {
        fail("family samples not together");
      }
      if (!current.empty()) {
        closed.insert(current);
      }
      current = sample.name;
    }
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::string label;
        while (i < line.size() && line[i] != '=') {
          label += line[i++];
        }
        if (!is_valid_name(label, false) || label.rfind("__", 0) == 0) {
          fail("bad label name");
        }
        if (i + 1 >= line.size() || line[i + 1] != '"') {
          fail("label value not quoted");
        }
        i += 2;
        std::string value;
        for (;;) {
          if (i >= line.size()) {
            fail("unterminated label value");
          }
          const char c = line[i++];
          if (c == '"') {
            break;
          }
          if (c == '\\') {
            if (i >= line.size()) {
              fail("dangling backslash");
            }
            const char e = line[i++];
            if (e == '\\') {
              value += '\\';
            } else if (e == '"') {
              value += '"';
            } else if (e == 'n') {
              value += '\n';
            } else {
              fail("bad escape");
            }
          } else {
            value += c;
          }
        }
        if (!sample.labels.emplace(label, value).second) {
          fail("duplicate label");
        }
        if (i < line.size() && line[i] == ',') {
          ++i;
        } else if (i >= line.size() || line[i] != '}') {
          fail("expected ',' or '}'");
        }
      }
      if (i >= line.size()) {
        fail("unterminated labels");
      }
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') {
      fail("no value");
    }
    const std::string value = line.substr(i + 1);
    std::size_t used = 0;
    try {
      sample.value = std::stod(value, &used);
    } catch (const std::exception&) {
      fail("bad value");
    }
    if (used != value.size()) {
      fail("junk after the value (timestamps are not written)");
    }
    std::string key = sample.name;
    for (const auto& [label, label_value] : sample.labels) {
      key += "\x01" + label + "=" + label_value;
    }
    if (!series.insert(key).second) {
      fail("duplicate series");
    }
    out.samples.push_back(std::move(sample));
  }
  return out;
}

} // namespace fleetcert::testing
