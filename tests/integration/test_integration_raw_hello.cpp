// End-to-end: the devices no ClientHello OpenSSL builds can reach, and the raw hellos that reach
// them (tls.hello, tls.cipher_suite by IANA name, the chain from the plaintext flight):
//   - real stacks: GnuTLS's gnutls-serv (Debian package gnutls-bin) as a TLS 1.0 device with only
//     3DES-CBC or only ARCFOUR-128 (neither is in Debian's OpenSSL 3.0); `openssl s_server` with
//     brainpoolP256r1 as its only group (OpenSSL's own hello offers brainpool now);
//   - fleet-sim raw-flight devices for what no stack here plays: SSL 3.0 only (intolerant of newer
//     hellos), an export suite, SEED, static ECDH, ARIA-CBC, RC4 with a CertificateRequest, and a
//     suite nobody offers (every hello refused: one classified error record, never a lost device).
//
// gnutls-serv has no listen-address option: it listens on the block's own port on every address,
// and fleetcert connects to it on the block's loopback addresses only.
//
// Each test case takes its own loopback block (support/loopback.hpp).

#include "support/cert_factory.hpp"
#include "support/fleet_simulator.hpp"
#include "support/loopback.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace fleetcert::testing;
using nlohmann::json;

namespace {

constexpr const char* k_gnutls_serv = "/usr/bin/gnutls-serv";
constexpr const char* k_openssl = "/usr/bin/openssl";

// Runs one scan; the records by "ip:port".
std::map<std::string, json> scan(const TempDir& dir, const std::vector<std::string>& arguments, const std::string& name)
{
  std::vector<std::string> argv{FLEETCERT_BINARY, "scan"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  argv.insert(argv.end(), {"--timeout", "5", "--json", dir.file(name)});
  const CommandResult result = run_command(argv, std::chrono::seconds(90));
  INFO("stderr: " << result.err);
  REQUIRE(result.status == 0);
  const json report = json::parse(read_file(dir.file(name)));
  std::map<std::string, json> records;
  for (const json& record : report.at("records")) {
    records[record.at("target").at("ip").get<std::string>() + ":"
            + std::to_string(record.at("target").at("port").get<int>())] = record;
  }
  return records;
}

// A server process started with `argv`, ready once `marker` appears in its output; stopped by PID.
class Server
{
public:
  Server(const TempDir& dir, const std::string& name, const std::vector<std::string>& argv, const std::string& marker)
  {
    const std::string out = dir.file(name + ".out");
    const std::string err = dir.file(name + ".err");
    m_process = std::make_unique<ChildProcess>(argv, out, err);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (read_file(out).find(marker) == std::string::npos && read_file(err).find(marker) == std::string::npos) {
      if (m_process->wait(std::chrono::milliseconds(0)) >= 0 || std::chrono::steady_clock::now() > until) {
        throw std::runtime_error(name + " did not start: " + read_file(err));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

private:
  std::unique_ptr<ChildProcess> m_process;
};

// A self-signed RSA-2048 certificate and its key in dir/<name>.pem and .key; its SHA-256.
std::string write_identity(const TempDir& dir, const std::string& name)
{
  const PkeyPtr key = generate_key({"rsa", 2048, ""});
  CertSpec spec;
  spec.subject = parse_subject("/O=Fleetcert Test/CN=" + name);
  const X509Ptr cert = make_certificate(spec, key.get(), nullptr, key.get());
  write_file(dir.file(name + ".pem"), to_pem(cert.get()));
  write_file(dir.file(name + ".key"), key_to_pem(key.get()));
  return sha256_hex(cert.get());
}

std::vector<std::string> fingerprints(const json& record)
{
  std::vector<std::string> out;
  for (const json& c : record.at("chain")) {
    out.push_back(c.at("sha256").get<std::string>());
  }
  return out;
}

} // namespace

TEST_SUITE("integration.raw_hello")
{
  TEST_CASE("gnutls-serv as a TLS 1.0 device with only 3DES or only RC4: the raw hello gets the certificate")
  {
    REQUIRE_MESSAGE(std::filesystem::exists(k_gnutls_serv),
                    "gnutls-serv (Debian package gnutls-bin; ./install-deps.sh installs it) is missing");
    const LoopbackBlock net;
    TempDir dir;
    struct Device
    {
      const char* name;
      const char* cipher; // GnuTLS priority keyword
      const char* suite;  // the IANA name fleetcert must report
    };
    const std::vector<Device> devices{{"tls10-3des", "3DES-CBC", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
                                      {"tls10-rc4", "ARCFOUR-128", "TLS_RSA_WITH_RC4_128_SHA"}};
    std::vector<std::unique_ptr<Server>> servers;
    std::map<std::string, std::string> leaf;
    std::string ports;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const Device& d = devices[i];
      leaf[d.name] = write_identity(dir, d.name);
      const std::string port = std::to_string(net.port(static_cast<unsigned>(i)));
      ports += (ports.empty() ? "" : ",") + port;
      servers.push_back(std::make_unique<Server>(
          dir, d.name,
          std::vector<std::string>{k_gnutls_serv, "-p", port, "--x509certfile", dir.file(std::string(d.name) + ".pem"),
                                   "--x509keyfile", dir.file(std::string(d.name) + ".key"), "-a",
                                   std::string("--priority=NONE:+VERS-TLS1.0:+") + d.cipher
                                       + ":+RSA:+SHA1:+COMP-NULL:+SIGN-ALL"},
          "listening on IPv4"));
    }
    const std::string ip = net.address("0.1");

    SUBCASE("the raw hello reads the chain from the plaintext flight")
    {
      const auto records = scan(dir, {ip, "--ports", ports}, "raw.json");
      REQUIRE(records.size() == devices.size());
      for (std::size_t i = 0; i < devices.size(); ++i) {
        const Device& d = devices[i];
        const std::string name = d.name;
        CAPTURE(name);
        const json& r = records.at(ip + ":" + std::to_string(net.port(static_cast<unsigned>(i))));
        INFO(r.dump());
        REQUIRE(r.at("status") == "ok");
        CHECK(r.at("leaf").at("sha256") == leaf[d.name]);
        CHECK(r.at("tls").at("hello") == "raw");
        CHECK(r.at("tls").at("cipher_suite") == d.suite);
        CHECK(r.at("tls").at("version") == "TLSv1");
        CHECK_FALSE(r.at("tls").contains("cipher")); // OpenSSL was not involved
        CHECK(r.at("tls").at("legacy_retry") == false);
        CHECK(r.at("tls").at("handshake_complete") == false);
        CHECK_FALSE(r.contains("error"));
      }
    }
    SUBCASE("--no-legacy-retry: no fallback hello, the device is a classified error")
    {
      const auto records = scan(dir, {ip, "--ports", ports, "--no-legacy-retry"}, "none.json");
      REQUIRE(records.size() == devices.size());
      for (const auto& [endpoint, r] : records) {
        CAPTURE(endpoint);
        CHECK(r.at("status") == "error");
        CHECK(r.at("error").at("class") == "tls-alert");
        CHECK(r.at("error").at("detail").get<std::string>().find("raw") == std::string::npos);
      }
    }
  }

  TEST_CASE("openssl s_server with brainpoolP256r1 as its only group: OpenSSL's own hello offers it")
  {
    REQUIRE_MESSAGE(std::filesystem::exists(k_openssl), "the openssl command line tool is missing");
    const LoopbackBlock net;
    TempDir dir;
    const std::string leaf = write_identity(dir, "brainpool");
    const std::string ip = net.address("0.1");
    const std::string port = std::to_string(net.port(0));
    const Server server(dir, "s_server",
                        {k_openssl, "s_server", "-accept", ip + ":" + port, "-cert", dir.file("brainpool.pem"), "-key",
                         dir.file("brainpool.key"), "-www", "-tls1_2", "-groups", "brainpoolP256r1", "-cipher",
                         "ECDHE-RSA-AES128-GCM-SHA256"},
                        "ACCEPT");
    for (const bool full : {false, true}) {
      CAPTURE(full);
      std::vector<std::string> arguments{ip, "--ports", port};
      if (full) {
        arguments.emplace_back("--full-handshake"); // the key exchange on brainpoolP256r1 itself
      }
      const auto records = scan(dir, arguments, full ? "full.json" : "cert-only.json");
      const json& r = records.at(ip + ":" + port);
      INFO(r.dump());
      REQUIRE(r.at("status") == "ok");
      CHECK(r.at("leaf").at("sha256") == leaf);
      CHECK(r.at("tls").at("hello") == "openssl");
      CHECK(r.at("tls").at("cipher_suite") == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
      CHECK(r.at("tls").at("cipher") == "ECDHE-RSA-AES128-GCM-SHA256");
      CHECK(r.at("tls").at("handshake_complete") == full);
    }
  }

  TEST_CASE("fleet-sim devices only a raw hello reaches: SSL 3.0, export, SEED, static ECDH, ARIA-CBC, RC4")
  {
    const LoopbackBlock net;
    TempDir dir;
    const std::string port = "20443";
    struct Device
    {
      const char* name;
      const char* suite_code;
      const char* version; // raw_version
      const char* hello;   // tls.hello fleetcert must report
      const char* suite;   // tls.cipher_suite
      const char* tls_version;
      bool request_client_cert = false;
    };
    const std::vector<Device> devices{
        {"sslv3-3des", "0x000A", "ssl3", "raw-sslv3", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "SSLv3"},
        {"export-rc4", "0x0003", "1.0", "raw", "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "TLSv1"},
        {"seed", "0x0096", "1.1", "raw", "TLS_RSA_WITH_SEED_CBC_SHA", "TLSv1.1"},
        {"static-ecdh", "0xC00E", "1.2", "raw", "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", "TLSv1.2"},
        {"aria-cbc", "0xC03C", "1.2", "raw", "TLS_RSA_WITH_ARIA_128_CBC_SHA256", "TLSv1.2"},
        {"rc4-request", "0x0005", "1.2", "raw", "TLS_RSA_WITH_RC4_128_SHA", "TLSv1.2", true},
    };
    json fleet;
    fleet["cas"] = json::array({ca("phone-root", "/O=Phone Vendor/CN=Phone Root CA", "rsa:2048", "sha256"),
                                ca("phone-ca", "/O=Phone Vendor/CN=Phone CA", "rsa:2048", "sha256", "phone-root")});
    fleet["devices"] = json::array();
    std::map<std::string, std::string> address;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const Device& d = devices[i];
      json spec = cert("/CN={MAC}", "rsa:2048", "sha1", "phone-ca");
      spec["behaviour"] = "raw-flight";
      spec["raw_suite"] = d.suite_code;
      spec["raw_version"] = d.version;
      if (d.request_client_cert) {
        spec["request_client_cert"] = true;
      }
      const std::string ip = net.address("0." + std::to_string(i + 1));
      fleet["devices"].push_back({{"ip", ip}, {"mac", "02AABB00000" + std::to_string(i + 1)}, {"ports", {{port, spec}}}});
      address[d.name] = ip + ":" + port;
    }
    // Every hello refused: a suite no hello offers.
    const std::string refused_ip = net.address("0.50");
    json refused = cert("/CN=refused", "rsa:2048", "sha256", "self");
    refused["behaviour"] = "raw-flight";
    refused["raw_suite"] = "0x0A0A";
    fleet["devices"].push_back({{"ip", refused_ip}, {"ports", {{port, refused}}}});

    FleetSimulator sim(FLEET_SIM_BINARY, dir, fleet);
    std::map<std::string, std::vector<std::string>> truth;
    for (const json& t : sim.truth().at("endpoints")) {
      if (t.contains("chain_sha256")) {
        truth[t.at("ip").get<std::string>() + ":" + std::to_string(t.at("port").get<int>())] =
            t.at("chain_sha256").get<std::vector<std::string>>();
      }
    }
    REQUIRE(truth.size() == devices.size() + 1);

    const auto records = scan(dir, {net.address("0.1-" + std::to_string(devices.size())), refused_ip, "--ports", port},
                              "fleet.json");
    REQUIRE(records.size() == devices.size() + 1);
    for (const Device& d : devices) {
      const std::string name = d.name;
      CAPTURE(name);
      const json& r = records.at(address[d.name]);
      INFO(r.dump());
      REQUIRE(r.at("status") == "ok");
      CHECK(fingerprints(r) == truth.at(address[d.name]));
      CHECK(fingerprints(r).size() == 2); // the leaf and its issuing CA, as sent (not the root)
      CHECK(r.at("leaf").at("signature").at("label") == "RSA+SHA1");
      CHECK(r.at("tls").at("hello") == d.hello);
      CHECK(r.at("tls").at("cipher_suite") == d.suite);
      CHECK(r.at("tls").at("version") == d.tls_version);
      if (d.request_client_cert) {
        CHECK(r.at("tls").at("client_certificate_requested") == true);
      } else {
        CHECK(r.at("tls").at("client_certificate_requested") == false); // the whole flight was read
      }
    }
    const json& r = records.at(refused_ip + ":" + port);
    INFO(r.dump());
    CHECK(r.at("status") == "error");
    CHECK(r.at("error").at("class") == "tls-alert");
    const std::string detail = r.at("error").at("detail").get<std::string>();
    CHECK(detail.find("legacy ClientHello retry: received TLS alert handshake_failure") != std::string::npos);
    CHECK(detail.find("raw ClientHello: received TLS alert handshake_failure") != std::string::npos);
    CHECK(detail.find("raw SSL 3.0 ClientHello: received TLS alert") != std::string::npos);
  }
}
