// load_config: a --config TOML file parsed by toml++, each section checked against its subcommand,
// each value checked against its option's kind (flag, one value, list) and paths made relative to
// the file's folder. CLI11 then checks the values themselves (run_cli's trial parse).

#include "scanner/app/config_file.hpp"

#include "scanner/app/cli_common.hpp"
#include "scanner/util/input_file.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>

namespace fleetcert {
namespace {

// Options whose value is a file or folder: a relative one is taken from the config file's folder
// ("-", standard input or output, stays). --vendor-ca's VENDOR=FILE has its FILE resolved.
constexpr std::array<std::string_view, 19> k_path_options{
    "targets-file", "exclude-file", "json",   "jsonl",  "csv",   "csv-devices", "prometheus",
    "inventory",    "dhcp-leases",  "profiles", "trust", "resume", "trust-after", "report",
    "scan-json",    "out",          "old",    "new",    "write-bundles"};
constexpr std::string_view k_vendor_path_option = "vendor-ca";

// Options that take a list as one comma-separated value (`--ports 443,5061`): an array is joined.
constexpr std::array<std::string_view, 6> k_comma_list_options{"ports", "reject", "fail-on", "identify", "sip-ports", "http-ports"};

// Keys that make no sense in a config file.
constexpr std::array<std::string_view, 3> k_refused_keys{"config", "help", "version"};

enum class OptionKind { flag, scalar, comma_list, list };

// What a key of the file says, with where it is.
struct Where
{
  std::string file;
  std::size_t line = 0;
  std::string key;
};

[[noreturn]] void fail(const Where& where, const std::string& message)
{
  throw UsageError(where.file + ":" + std::to_string(where.line) + ": key '" + where.key + "': " + message);
}

bool contains(const auto& list, std::string_view value)
{
  return std::find(list.begin(), list.end(), value) != list.end();
}

// "export devices" for the subcommand `export devices` (with '.': its section, "export.devices").
std::string command_name(const CLI::App& command, const char* separator = " ")
{
  std::string name = command.get_name();
  for (const CLI::App* parent = command.get_parent(); parent != nullptr && parent->get_parent() != nullptr;
       parent = parent->get_parent()) {
    name = parent->get_name() + separator + name;
  }
  return name;
}

const CLI::App* subcommand_named(const CLI::App& command, const std::string& name)
{
  const auto found = command.get_subcommands([&name](const CLI::App* sub) { return sub->get_name() == name; });
  return found.empty() ? nullptr : found.front();
}

std::string subcommand_names(const CLI::App& command)
{
  std::string names;
  for (const CLI::App* sub : command.get_subcommands(std::function<bool(const CLI::App*)>{})) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  return names;
}

bool is_ancestor_or_self(const CLI::App& command, const CLI::App& of)
{
  for (const CLI::App* app = &of; app != nullptr; app = app->get_parent()) {
    if (app == &command) {
      return true;
    }
  }
  return false;
}

// The option a key names in `command` ('_' may stand for '-'), or null.
const CLI::Option* option_for(const CLI::App& command, std::string name)
{
  std::replace(name.begin(), name.end(), '_', '-');
  if (name.empty() || name.front() == '-') {
    return nullptr;
  }
  // A positional first: `diff`'s key "old" is its OLD, not its repeatable --old.
  const CLI::Option* positional = command.get_option_no_throw(name);
  if (positional != nullptr && positional->get_positional()) {
    return positional;
  }
  return command.get_option_no_throw("--" + name);
}

// The option a key names in `command` or, when `command` only holds subcommands (export), in one of them.
const CLI::Option* option_anywhere(const CLI::App& command, const std::string& name)
{
  if (const CLI::Option* option = option_for(command, name)) {
    return option;
  }
  for (const CLI::App* sub : command.get_subcommands(std::function<bool(const CLI::App*)>{})) {
    if (const CLI::Option* option = option_anywhere(*sub, name)) {
      return option;
    }
  }
  return nullptr;
}

// The option's long name without dashes ("ports"), or the positional's name ("targets").
std::string plain_name(const CLI::Option& option)
{
  if (option.get_positional()) {
    return option.get_name(true, false);
  }
  return option.get_lnames().front();
}

OptionKind kind_of(const CLI::Option& option)
{
  if (option.get_type_size_max() == 0 || option.get_expected_max() == 0) {
    return OptionKind::flag;
  }
  if (contains(k_comma_list_options, plain_name(option))) {
    return OptionKind::comma_list;
  }
  return option.get_expected_max() > 1 ? OptionKind::list : OptionKind::scalar;
}

std::string type_name(const toml::node& node)
{
  switch (node.type()) {
  case toml::node_type::table: return "a table";
  case toml::node_type::array: return "an array";
  case toml::node_type::string: return "a string";
  case toml::node_type::integer: return "an integer";
  case toml::node_type::floating_point: return "a number";
  case toml::node_type::boolean: return "true or false";
  case toml::node_type::date: return "a date";
  case toml::node_type::time: return "a time";
  case toml::node_type::date_time: return "a date-time";
  default: return "nothing";
  }
}

// One value (a string, an integer or a number) as the command line would spell it.
std::string scalar_text(const toml::node& node, const Where& where)
{
  if (const auto* text = node.as_string()) {
    return text->get();
  }
  if (const auto* integer = node.as_integer()) {
    return std::to_string(integer->get());
  }
  if (const auto* number = node.as_floating_point()) {
    std::array<char, 64> buffer{};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), number->get());
    return std::string(buffer.data(), ec == std::errc{} ? end : buffer.data());
  }
  if (node.is_date() || node.is_time() || node.is_date_time()) {
    fail(where, "dates and times are not taken as such: quote them (\"2026-11-23\")");
  }
  fail(where, "expects a string or a number, not " + type_name(node));
}

std::vector<std::string> split_commas(const std::string& text, const Where& where)
{
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    if (first == std::string::npos) {
      fail(where, "an empty item in the list \"" + text + "\"");
    }
    items.push_back(item.substr(first, last - first + 1));
  }
  if (items.empty() || text.back() == ',') {
    fail(where, "an empty item in the list \"" + text + "\"");
  }
  return items;
}

// The values of a list option: an array of values, or one string of comma-separated ones.
std::vector<std::string> list_values(const toml::node& node, const Where& where, bool split)
{
  std::vector<std::string> values;
  if (const auto* array = node.as_array()) {
    for (const toml::node& item : *array) {
      if (item.is_array() || item.is_table()) {
        fail(where, "a list of values, not " + type_name(item) + " in the array");
      }
      values.push_back(scalar_text(item, where));
    }
    return values;
  }
  if (node.is_boolean() || node.is_table()) {
    fail(where, "expects an array or a comma-separated string, not " + type_name(node));
  }
  std::string text = scalar_text(node, where);
  return split && node.is_string() ? split_commas(text, where) : std::vector<std::string>{std::move(text)};
}

std::string resolved(const std::string& value, const std::filesystem::path& folder)
{
  const std::filesystem::path path(value);
  if (value.empty() || value == "-" || path.is_absolute()) {
    return value;
  }
  return (folder / path).lexically_normal().string();
}

// Every value of `node` for `option`, as arguments; throws UsageError for a value of the wrong kind.
ConfigSetting setting_for(const CLI::Option& option, const toml::node& node, const Where& where,
                          const std::filesystem::path& folder)
{
  ConfigSetting setting{where.key, where.line, option.get_name(), option.get_positional(), {}};
  const std::string name = plain_name(option);
  std::vector<std::string> values;
  switch (kind_of(option)) {
  case OptionKind::flag:
    if (!node.is_boolean()) {
      fail(where, "a flag: true or false, not " + type_name(node));
    }
    if (node.as_boolean()->get()) {
      setting.arguments.push_back("--" + name);
    }
    return setting;
  case OptionKind::scalar:
    if (node.is_array()) {
      fail(where, "takes one value, not an array");
    }
    if (node.is_boolean() || node.is_table()) {
      fail(where, "expects a string or a number, not " + type_name(node));
    }
    values.push_back(scalar_text(node, where));
    break;
  case OptionKind::comma_list: {
    std::string joined;
    for (const std::string& value : list_values(node, where, false)) {
      joined += (joined.empty() ? "" : ",") + value;
    }
    values.push_back(joined);
    break;
  }
  case OptionKind::list: values = list_values(node, where, true); break;
  }
  for (std::string& value : values) {
    if (contains(k_path_options, name)) {
      value = resolved(value, folder);
    } else if (name == k_vendor_path_option) {
      const auto equals = value.find('=');
      if (equals != std::string::npos) {
        value = value.substr(0, equals + 1) + resolved(value.substr(equals + 1), folder);
      }
    }
    setting.arguments.push_back(setting.positional ? value : "--" + name + "=" + value);
  }
  return setting;
}

// The whole file; throws UsageError naming it and the reason.
std::string read_config(const std::string& path)
{
  std::ifstream in;
  if (const std::string problem = open_input_file(in, path); !problem.empty()) {
    throw UsageError("cannot read --config '" + path + "': " + problem);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class Loader
{
public:
  Loader(std::string path, const CLI::App& command) : m_path(std::move(path)), m_command(command)
  {
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(m_path, ec);
    m_folder = (ec ? std::filesystem::path(m_path) : absolute).parent_path();
  }

  // The top level: its keys are options of the command run; its tables are sections.
  void top(const toml::table& table, const CLI::App& root)
  {
    for (auto&& [key, node] : table) {
      const Where where{m_path, key.source().begin.line, std::string(key.str())};
      if (const auto* section = node.as_table()) {
        const CLI::App* sub = subcommand_named(root, where.key);
        if (sub == nullptr) {
          throw UsageError(m_path + ":" + std::to_string(where.line) + ": unknown section [" + where.key
                           + "]: sections are named after a subcommand (" + subcommand_names(root) + ")");
        }
        section_of(*section, *sub, where.key, 1);
        continue;
      }
      take(m_command, where, node, 0);
    }
  }

  std::vector<ConfigSetting> m_settings;

private:
  // A section [name] for `command`: its keys are its options, its tables sections of its subcommands.
  void section_of(const toml::table& table, const CLI::App& command, const std::string& name, int depth)
  {
    const bool applies = is_ancestor_or_self(command, m_command);
    for (auto&& [key, node] : table) {
      const Where where{m_path, key.source().begin.line, std::string(key.str())};
      if (const auto* section = node.as_table()) {
        const CLI::App* sub = subcommand_named(command, where.key);
        if (sub == nullptr) {
          throw UsageError(m_path + ":" + std::to_string(where.line) + ": unknown section [" + name + "."
                           + where.key + "]: fleetcert " + command_name(command)
                           + (subcommand_names(command).empty() ? " has no subcommands"
                                                                : " has the subcommands " + subcommand_names(command)));
        }
        section_of(*section, *sub, name + "." + where.key, depth + 1);
        continue;
      }
      if (applies) {
        take(m_command, where, node, depth);
      } else if (const CLI::Option* option = option_anywhere(command, where.key)) {
        check(*option, where, node); // another subcommand's section: checked, not used
      } else {
        throw UsageError(m_path + ":" + std::to_string(where.line) + ": unknown key '" + where.key + "' in [" + name
                         + "]: not an option of fleetcert " + command_name(command));
      }
    }
  }

  const CLI::Option& option_of(const CLI::App& command, const Where& where, const toml::node& node)
  {
    if (node.is_array_of_tables()) {
      fail(where, "arrays of tables are not supported");
    }
    std::string plain = where.key;
    std::replace(plain.begin(), plain.end(), '_', '-');
    if (contains(k_refused_keys, plain)) {
      fail(where, "cannot be set in a config file");
    }
    const CLI::Option* option = option_for(command, where.key);
    if (option == nullptr) {
      throw UsageError(m_path + ":" + std::to_string(where.line) + ": unknown key '" + where.key
                       + "': not an option of fleetcert " + command_name(command));
    }
    return *option;
  }

  void check(const CLI::Option& option, const Where& where, const toml::node& node)
  {
    (void)setting_for(option, node, where, m_folder);
  }

  // A key for the command run, from a section `depth` deep (0: the top level): a deeper section's
  // key replaces the same option's from a shallower one ([export.devices] over [export] over the top).
  void take(const CLI::App& command, const Where& where, const toml::node& node, int depth)
  {
    const CLI::Option& option = option_of(command, where, node);
    ConfigSetting setting = setting_for(option, node, where, m_folder);
    for (std::size_t i = 0; i < m_settings.size(); ++i) {
      if (m_settings[i].option == setting.option) {
        if (depth == m_depths[i]) {
          fail(where, "given twice in the same section ('-' and '_' spell the same key)");
        }
        if (depth > m_depths[i]) {
          m_settings[i] = std::move(setting);
          m_depths[i] = depth;
        }
        return;
      }
    }
    m_settings.push_back(std::move(setting));
    m_depths.push_back(depth);
  }

  std::vector<int> m_depths; // of each setting: where it came from
  std::string m_path;
  const CLI::App& m_command;
  std::filesystem::path m_folder;
};

} // namespace

void add_config_option(CLI::App* command)
{
  command->add_option("--config")->type_name("FILE")->description("TOML file of options: long names as keys, at the top or under [" +
                                       command_name(*command, ".") + "]; the command line wins (README: Configuration)");
}

std::vector<ConfigSetting> load_config(const std::string& path, const CLI::App& root, const CLI::App& command)
{
  const std::string text = read_config(path);
  toml::table table;
  try {
    table = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw UsageError(path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  Loader loader(path, command);
  loader.top(table, root);
  return std::move(loader.m_settings);
}

} // namespace fleetcert
