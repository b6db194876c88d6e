// fleet-sim: plays a fleet of TLS devices on loopback from a JSON description, for fleetcert's
// integration tests, demos and benchmarks. Only 127.0.0.0/8 and ::1 are ever bound.
//
//   fleet-sim --fleet FILE --truth OUT.json [--threads N] [--duration SECONDS] [--cas-dir DIR]
//             [--ready-file PATH] [--port-map FROM:TO]... [--stats FILE]
//
// Start-up: read the description (exit 2 if bad or not loopback), raise RLIMIT_NOFILE, bind one
// listener per device address and port (exit 3 naming address:port on failure), make CAs, keys
// and certificates, write the truth file (temp + rename), write the ready file (our PID), print
// "ready <n> endpoints". Then serve until SIGTERM/SIGINT or --duration (default 600 s), exit 0.
//
// Fleet description (JSON; // comments allowed; keys starting with '_' or "comment" ignored):
//
//   {
//     "key_pool": 8,                 // RSA / RSA-PSS / DSA keys per distinct key spec
//     "cas": [ {"name": "gigaset-ca", "subject": "/C=DE/.../CN=Gigaset.net",
//               "key": {"type": "rsa", "bits": 2048}, "hash": "sha256",
//               "issuer": "self" | "<CA name>", "valid_from_days": -3650, "valid_days": 7300,
//               "not_before"/"not_after": "YYYYMMDDHHMMSSZ" (optional, absolute),
//               "serial_hex": "01"} ],
//     "devices": [ {"ip": "127.30.0.10" | "::1", "mac": "7C2F80123456" (optional),
//                   "vendor"/"model"/"hostname"/"site"/"note": "..." (copied to the truth),
//                   "ports": {"443": <port spec>, "5061": <port spec>}} ],
//     "groups": [ {"first_ip": "127.30.1.1", "count": 100 (<= 100000), "mac_prefix": "000B82",
//                  "first_mac_suffix": 1, "vendor"/"model"/"site"/"note": "...",
//                  "ports": {...}} ]            // consecutive addresses and MAC suffixes
//   }
//
//   <port spec> is {"behaviour": "tarpit" | "close" | "garbage" | "http" | "alert" | "reset" |
//   "reset-mid"}, {"behaviour": "drip", <certificate spec keys>} (a real handshake at 1 byte/s),
//   {"behaviour": "raw-flight", "raw_suite": "0x000A", "raw_version": "ssl3"|"1.0"|"1.1"|"1.2",
//   <certificate spec keys>} (a hand-built plaintext flight choosing that suite, see README.md),
//   {"same_as": "443"} (this port presents the same certificate and settings as port 443 of the
//   same device), or a certificate spec (behaviour "tls", the default):
//     "subject": "/CN={MAC}"   ({MAC}, {mac}, {mac:}, {ip}, {port} are substituted)
//     "subject_raw_cn_hex": "e974e9", "subject_raw_cn_type": "utf8" (printable, t61, ia5, bmp, ...)
//     "san": ["DNS:{mac}.example"], "key": {"type": "rsa"|"ec"|"ed25519"|"ed448"|"rsa-pss"|"dsa",
//     "bits": 2048, "curve": "P-256"} (or "rsa:2048", "ec:P-384"), "hash": "sha256",
//     "issuer": "self" | "<CA name>", "send_chain": true, "valid_from_days": -30,
//     "valid_days": 3650, "not_before", "not_after", "serial_hex": "-1A",
//     "tls": ["1.0", "1.1", "1.2", "1.3"], "request_client_cert": false,
//     "require_client_cert": false, "unique_key": false, "empty_subject": false,
//     "san_bytes": 65536, "chain_padding": 60, "unknown_signature_oid": false,
//     "identity": {"answer": "normal"|"long-header"|"garbage"|"drip"|"status-only"|"reset"|"silence",
//                  "user_agent", "server", "title", "status": 200} (the answer to a SIP OPTIONS or
//                  HTTP GET after the handshake)
//
// Truth file: {"pid": N, "endpoints": [{"ip", "port", "mac", "behaviour", and for "tls":
// "leaf_sha256", "chain_sha256" (as sent, leaf first), "subject", "issuer_ca", "key", "hash",
// "signature", "tls", "request_client_cert", "require_client_cert", "serial", "not_before",
// "not_after", "same_as", "san_count", "chain_padding", "chain_bytes", "signature_oid", "empty_subject",
// "identity"}],
// "cas": [{"name", "sha256", "subject", "issuer_ca", "key", "not_after", "pem"}]}.
// tests/fleet-sim/README.md has the details.

#include "device_server.hpp"
#include "fleet_certificates.hpp"
#include "fleet_description.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace fleetcert::sim;

constexpr int k_exit_ok = 0;
constexpr int k_exit_internal = 1;
constexpr int k_exit_bad_input = 2;
constexpr int k_exit_bind = 3;

struct SimOptions
{
  std::string fleet_path;
  std::string truth_path;
  std::string ready_path;
  unsigned threads = 2;
  long duration_s = 600;
  std::vector<std::string> port_maps;
  std::string cas_dir;
  std::string stats_path;
};

void setup_sim(CLI::App& app, SimOptions& options)
{
  app.add_option("--fleet", options.fleet_path, "Fleet description (JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--truth", options.truth_path, "Where to write what every endpoint presents")
      ->required();
  app.add_option("--threads", options.threads, "I/O threads (also used to make certificates)")
      ->check(CLI::Range(1u, 64u));
  app.add_option("--duration", options.duration_s, "Exit by itself after this many seconds")
      ->check(CLI::Range(1L, 7L * 86400L));
  app.add_option("--ready-file", options.ready_path, "Written with our PID once ready");
  app.add_option("--cas-dir", options.cas_dir,
                 "Also write each CA certificate of the description to DIR/<name>.pem (for --vendor-ca)");
  app.add_option("--stats", options.stats_path,
                 "Keep writing the connections seen per address (most at once, in all) to this JSON file");
  app.add_option("--port-map", options.port_maps,
                 "FROM:TO: listen on port TO wherever the description says FROM (repeatable)");
}

// "443:10443" pairs; throws std::invalid_argument on anything else.
std::map<std::uint16_t, std::uint16_t> parse_port_maps(const std::vector<std::string>& texts)
{
  std::map<std::uint16_t, std::uint16_t> map;
  for (const std::string& text : texts) {
    const auto colon = text.find(':');
    std::size_t used_from = 0;
    std::size_t used_to = 0;
    int from = 0;
    int to = 0;
    try {
      from = std::stoi(text.substr(0, colon), &used_from);
      to = std::stoi(text.substr(colon + 1), &used_to);
    } catch (const std::exception&) {
      throw std::invalid_argument("bad --port-map '" + text + "' (expected FROM:TO)");
    }
    if (colon == std::string::npos || used_from != colon || used_to != text.size() - colon - 1
        || from < 1 || from > 65535 || to < 1 || to > 65535) {
      throw std::invalid_argument("bad --port-map '" + text + "' (expected FROM:TO)");
    }
    map[static_cast<std::uint16_t>(from)] = static_cast<std::uint16_t>(to);
  }
  return map;
}

void raise_file_limit()
{
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Writes `text` to `path` through a temporary file and a rename, so readers never see half.
void write_atomically(const std::string& path, const std::string& text)
{
  const std::string temporary = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      throw std::runtime_error("cannot write " + temporary);
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    throw std::runtime_error("cannot rename " + temporary + " to " + path);
  }
}

double seconds_since(std::chrono::steady_clock::time_point start)
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run_sim(const SimOptions& options)
{
  const auto start = std::chrono::steady_clock::now();
  std::signal(SIGPIPE, SIG_IGN);
  raise_file_limit();

  FleetDescription fleet;
  try {
    std::ifstream in(options.fleet_path);
    const auto document = nlohmann::json::parse(in, nullptr, true, true);
    fleet = load_fleet_description(document, parse_port_maps(options.port_maps));
  } catch (const std::exception& error) {
    std::cerr << "fleet-sim: " << options.fleet_path << ": " << error.what() << "\n";
    return k_exit_bad_input;
  }

  // Declared after the fleet and its certificates: the listeners point into both, so go first.
  FleetCertificates certificates;
  DeviceServer server(options.threads);
  if (const auto failure = server.bind(fleet.endpoints)) {
    std::cerr << "fleet-sim: " << failure->message << "\n";
    return k_exit_bind;
  }

  try {
    certificates = issue_certificates(fleet, options.threads);
  } catch (const DescriptionError& error) {
    std::cerr << "fleet-sim: " << options.fleet_path << ": " << error.what() << "\n";
    return k_exit_bad_input;
  } catch (const std::exception& error) {
    std::cerr << "fleet-sim: making certificates: " << error.what() << "\n";
    return k_exit_internal;
  }

  server.start(fleet.endpoints, std::chrono::seconds(options.duration_s));
  try {
    const auto truth = make_truth(fleet, certificates, static_cast<long>(getpid()));
    write_atomically(options.truth_path,
                     truth.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    if (!options.cas_dir.empty()) {
      for (const auto& ca : truth.at("cas")) {
        write_atomically(options.cas_dir + "/" + ca.at("name").get<std::string>() + ".pem", ca.at("pem").get<std::string>());
      }
    }
    if (!options.ready_path.empty()) {
      write_atomically(options.ready_path, std::to_string(getpid()) + "\n");
    }
  } catch (const std::exception& error) {
    std::cerr << "fleet-sim: " << error.what() << "\n";
    return k_exit_internal;
  }
  std::cerr << "fleet-sim: " << fleet.endpoints.size() << " endpoints, " << certificates.cas.size()
            << " CAs, ready in " << seconds_since(start) << " s\n";
  std::cout << "ready " << fleet.endpoints.size() << " endpoints" << std::endl;

  // --stats: rewritten (atomically) within 50 ms of a change, and once more at the end.
  std::atomic<bool> stopped{false};
  std::thread stats_writer;
  auto write_stats = [&] {
    try {
      write_atomically(options.stats_path, server.stats().dump(1) + "\n");
    } catch (const std::exception& error) {
      std::cerr << "fleet-sim: " << error.what() << "\n";
    }
  };
  if (!options.stats_path.empty()) {
    write_stats();
    stats_writer = std::thread([&] {
      std::uint64_t written = server.stats_version();
      while (!stopped.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const std::uint64_t version = server.stats_version();
        if (version != written) {
          written = version;
          write_stats();
        }
      }
    });
  }
  const int signal_number = server.wait();
  stopped = true;
  if (stats_writer.joinable()) {
    stats_writer.join();
    write_stats();
  }
  std::cerr << "fleet-sim: stopping ("
            << (signal_number == 0 ? std::string("duration passed") : "signal " + std::to_string(signal_number))
            << ")\n";
  return k_exit_ok;
}

} // namespace

int main(int argc, char** argv)
{
  CLI::App app{"fleet-sim: a fleet of TLS devices on loopback, from a JSON description"};
  SimOptions options;
  setup_sim(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    return status == 0 ? k_exit_ok : k_exit_bad_input;
  }
  return run_sim(options);
}
