// Tests for scanner/assessment/identity: the SIP and HTTP response parsers (forms, bounds, hostile
// answers), the announced identity read with every shipped identity pattern (positive and negative
// examples), the raw text kept, and make_record filling Record::identity.

#include "scanner/assessment/assessment.hpp"
#include "scanner/assessment/audit.hpp"
#include "scanner/assessment/identity.hpp"
#include "scanner/assessment/vendor_profiles.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

IdentityExchange exchange(IdentityProtocol protocol, std::string response, std::string error = {})
{
  IdentityExchange e;
  e.protocol = protocol;
  e.response = std::move(response);
  e.complete = error.empty();
  e.error = std::move(error);
  return e;
}

// The identity a SIP 200 with this User-Agent announces, read with the built-in profiles.
AnnouncedIdentity sip_user_agent(const std::string& user_agent)
{
  static const VendorProfiles profiles = VendorProfiles::builtin();
  return read_announced_identity(
      exchange(IdentityProtocol::sip, "SIP/2.0 200 OK\r\nUser-Agent: " + user_agent + "\r\nContent-Length: 0\r\n\r\n"),
      profiles);
}

AnnouncedIdentity http_server(const std::string& server, const std::string& body = {})
{
  static const VendorProfiles profiles = VendorProfiles::builtin();
  return read_announced_identity(
      exchange(IdentityProtocol::http, "HTTP/1.1 200 OK\r\nServer: " + server + "\r\n\r\n" + body), profiles);
}

} // namespace

TEST_SUITE("identity")
{
  TEST_CASE("parse_sip_response: status line and headers")
  {
    const auto head = parse_sip_response("SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 127.0.0.1:5;rport=5\r\n"
                                         "user-agent: Grandstream GXP2170 1.0.11.23\r\nServer:   Acme  \r\n\r\n");
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->reason == "OK");
    CHECK(head->head_complete);
    REQUIRE(head->headers.size() == 3);
    CHECK(find_header(*head, "User-Agent") == "Grandstream GXP2170 1.0.11.23");
    CHECK(find_header(*head, "SERVER") == "Acme");
    CHECK_FALSE(find_header(*head, "Allow"));
  }

  TEST_CASE("parse_sip_response: folding, bare LF, leading CRLF, provisional responses")
  {
    SUBCASE("a folded header is one value")
    {
      const auto head = parse_sip_response("SIP/2.0 200 OK\r\nUser-Agent: Yealink\r\n  SIP-T54W\r\n\t96.86.0.70\r\n\r\n");
      REQUIRE(head);
      CHECK(find_header(*head, "User-Agent") == "Yealink SIP-T54W 96.86.0.70");
    }
    SUBCASE("bare LF and CRLFs before the status line")
    {
      const auto head = parse_sip_response("\r\n\r\nSIP/2.0 486 Busy Here\nServer: x\n\n");
      REQUIRE(head);
      CHECK(head->status == 486);
      CHECK(head->head_complete);
      CHECK(find_header(*head, "Server") == "x");
    }
    SUBCASE("100 Trying, then the final response")
    {
      const auto head = parse_sip_response("SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n"
                                           "SIP/2.0 200 OK\r\nUser-Agent: snomD785/10.1.54.13\r\n\r\n");
      REQUIRE(head);
      CHECK(head->status == 200);
      CHECK(find_header(*head, "User-Agent") == "snomD785/10.1.54.13");
    }
    SUBCASE("a status with no headers")
    {
      const auto head = parse_sip_response("SIP/2.0 200 OK\r\n\r\n");
      REQUIRE(head);
      CHECK(head->headers.empty());
      CHECK(head->head_complete);
    }
    SUBCASE("an incomplete head gives its complete lines")
    {
      const auto head = parse_sip_response("SIP/2.0 200 OK\r\nUser-Agent: Cisco-CP8841/12.6.1\r\nServer: par");
      REQUIRE(head);
      CHECK_FALSE(head->head_complete);
      CHECK(find_header(*head, "User-Agent") == "Cisco-CP8841/12.6.1");
      CHECK_FALSE(find_header(*head, "Server"));
    }
  }

  TEST_CASE("parse_sip_response: errors for what is not a SIP response")
  {
    CHECK(parse_sip_response("HTTP/1.1 200 OK\r\n\r\n").error().starts_with("SIP response: no SIP status line"));
    CHECK(parse_sip_response("").error().starts_with("SIP response: no SIP status line"));
    CHECK(parse_sip_response("SIP/2.0 2x0 OK\r\n\r\n").error().starts_with("SIP response: bad SIP status code"));
    CHECK(parse_sip_response("SIP/2.0 200 OK\r\n: nameless\r\n\r\n").error()
          == "SIP response: header line 2 is not a header: ': nameless'");
    CHECK(parse_sip_response("SIP/2.0 200 OK\r\n continued\r\n\r\n").error()
          == "SIP response: header line 2 continues no header");
    SUBCASE("an 8 KiB header line")
    {
      const std::string response = "SIP/2.0 200 OK\r\nUser-Agent: " + std::string(8192, 'A') + "\r\n\r\n";
      CHECK(parse_sip_response(response).error() == "SIP response: header line 2 is longer than 4096 bytes");
      // Not ended by a line end either: still the same bound.
      CHECK(parse_sip_response("SIP/2.0 200 OK\r\nUser-Agent: " + std::string(8192, 'A')).error()
            == "SIP response: header line 2 is longer than 4096 bytes");
    }
    SUBCASE("too many headers")
    {
      std::string response = "SIP/2.0 200 OK\r\n";
      for (int i = 0; i < 200; ++i) {
        response += "X-" + std::to_string(i) + ": y\r\n";
      }
      CHECK(parse_sip_response(response + "\r\n").error() == "SIP response: more than 128 header lines");
    }
    SUBCASE("binary garbage and NULs")
    {
      const std::string garbage("\x16\x03\x01\x00\x05\x00\xff\xfe garbage\r\n\r\n", 20);
      const auto result = parse_sip_response(garbage);
      REQUIRE_FALSE(result);
      CHECK(result.error().starts_with("SIP response: no SIP status line (the answer starts with '\\x16\\x03\\x01\\x00"));
    }
  }

  TEST_CASE("parse_http_response: status, Server and the page title")
  {
    const auto head = parse_http_response("HTTP/1.1 200 OK\r\nServer: Grandstream GXP2010 1.1.6.27\r\n"
                                          "Content-Type: text/html\r\n\r\n<html><head>\n<TITLE lang=\"en\">\n"
                                          "  Phone &amp; Co &lt;3&gt; &#65;&#x42; &#0; &bogus;  </Title></head>");
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(find_header(*head, "server") == "Grandstream GXP2010 1.1.6.27");
    REQUIRE(head->title);
    CHECK(*head->title == "Phone & Co <3> AB &#0; &bogus;");
    SUBCASE("no title, an unterminated one, a <titlebar>")
    {
      CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\n\r\n<html>")->title);
      CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\n\r\n<title>forever")->title);
      CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\n\r\n<titlebar>x</titlebar>")->title);
      CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\n\r\n<title>" + std::string(2000, 'x') + "</title>")->title);
    }
    SUBCASE("not HTTP")
    {
      CHECK(parse_http_response("SIP/2.0 200 OK\r\n\r\n").error().starts_with("HTTP response: no HTTP status line"));
      CHECK(parse_http_response("HTTP/2 200\r\n\r\n").error().starts_with("HTTP response: no HTTP status line"));
    }
  }

  TEST_CASE("identity_raw_text: escaped, capped at 256 bytes")
  {
    CHECK(identity_raw_text("Grandstream GXP2170 1.0.11.23") == "Grandstream GXP2170 1.0.11.23");
    CHECK(identity_raw_text("a\x1b[31mb") == "a\\x1b[31mb");
    CHECK(identity_raw_text("x\xe2\x80\xaey") == "x\\u{202e}y"); // RIGHT-TO-LEFT OVERRIDE
    CHECK(identity_raw_text(std::string("n\0l", 3)) == "n\\x00l");
    CHECK(identity_raw_text("\xff") == "\\xff");
    const std::string long_text = identity_raw_text(std::string(1000, 'a'));
    CHECK(long_text.size() <= k_identity_raw_cap);
    CHECK(long_text.ends_with("..."));
    const std::string escapes = identity_raw_text(std::string(1000, '\x01'));
    CHECK(escapes.size() <= k_identity_raw_cap);
    CHECK(escapes.ends_with("\\x01..."));
  }

  TEST_CASE("every shipped SIP pattern: model, firmware, MAC")
  {
    struct Example
    {
      std::string user_agent, vendor, model, firmware, mac;
    };
    const std::vector<Example> examples = {
        {"Grandstream GXP2170 1.0.11.23", "Grandstream", "GXP2170", "1.0.11.23", ""},
        {"Grandstream HT802 1.0.43.11", "Grandstream", "HT802", "1.0.43.11", ""},
        {"Gigaset N870 IP PRO/83.V2.43.0+build.5f0a106;7C2F80C6E5C2", "Gigaset", "N870 IP PRO", "2.43.0",
         "7C2F80C6E5C2"},
        {"Gigaset N670 IP PRO/83.V2.61.1", "Gigaset", "N670 IP PRO", "2.61.1", ""},
        {"PolycomVVX-VVX_450-UA/6.4.3.5018", "Polycom", "VVX_450", "6.4.3.5018", ""},
        {"PolycomSoundPointIP-SPIP_550-UA/4.0.9.0434", "Polycom", "SPIP_550", "4.0.9.0434", ""},
        {"Yealink SIP-T54W 96.86.0.70", "Yealink", "SIP-T54W", "96.86.0.70", ""},
        {"Yealink SIP-T21P_E2 52.84.0.15", "Yealink", "SIP-T21P_E2", "52.84.0.15", ""},
        {"PolycomSoundStationIP-SSIP_6000-UA/4.1.0.0123", "Polycom", "SSIP_6000", "4.1.0.0123", ""},
        {"snomD785/10.1.54.13", "Snom", "D785", "10.1.54.13", ""},
        {"Cisco-CP8841/12.6.1", "Cisco", "CP8841", "12.6.1", ""},
        {"Mitel-6867i-SIP-Phone 5.1.0 0800F0123456", "Mitel", "6867i", "5.1.0", "0800F0123456"},
        {"Audiocodes-Sip-Gateway-MediaPack/v.6.00.010.006", "AudioCodes", "MediaPack", "6.00.010.006", ""},
    };
    for (const Example& example : examples) {
      CAPTURE(example.user_agent);
      const AnnouncedIdentity identity = sip_user_agent(example.user_agent);
      CHECK(identity.error == "");
      CHECK(identity.vendor == example.vendor);
      CHECK(identity.model == example.model);
      CHECK(identity.firmware == example.firmware);
      CHECK(identity.mac == example.mac);
      CHECK(identity.source == IdentitySource::sip_user_agent);
      CHECK(identity.raw == example.user_agent);
    }
  }

  TEST_CASE("shipped patterns refuse look-alikes")
  {
    for (const std::string user_agent :
         {"Grandstream", "grandstream GXP2170 1.0.11.23", "Grandstream GXP2170 beta", "MyGrandstream GXP2170 1.0",
          "Gigaset N870 IP PRO", "PolycomVVX-VVX450-UA/6.4.3", "Yealink SIP-T54W", "snom/10.1", "Cisco-8841/12.6.1",
          "Mitel 6867i 5.1.0", "Asterisk PBX 18.0", "fleetcert/0.1.0"}) {
      CAPTURE(user_agent);
      const AnnouncedIdentity identity = sip_user_agent(user_agent);
      CHECK(identity.vendor == "");
      CHECK(identity.error == "no pattern matched");
      CHECK_FALSE(identity.source);
      CHECK(identity.raw == user_agent);
    }
  }

  TEST_CASE("shipped HTTP patterns: Server header and vendor-only servers")
  {
    const AnnouncedIdentity grandstream = http_server("Grandstream GXP2010 1.1.6.27");
    CHECK(grandstream.vendor == "Grandstream");
    CHECK(grandstream.model == "GXP2010");
    CHECK(grandstream.firmware == "1.1.6.27");
    CHECK(grandstream.source == IdentitySource::http_server);
    const AnnouncedIdentity yealink = http_server("yealink embed httpd");
    CHECK(yealink.vendor == "Yealink");
    CHECK(yealink.model == "");
    CHECK(yealink.firmware == "");
    const AnnouncedIdentity polycom = http_server("Polycom SoundPoint IP Telephone HTTPd");
    CHECK(polycom.vendor == "Polycom");
    CHECK(polycom.error == "");
    const AnnouncedIdentity unknown = http_server("lighttpd/1.4.59", "<title>Login</title>");
    CHECK(unknown.vendor == "");
    CHECK(unknown.error == "no pattern matched");
    CHECK(unknown.raw == "lighttpd/1.4.59");
  }

  TEST_CASE("sources in order: User-Agent before Server, Server before the title")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    const AnnouncedIdentity sip = read_announced_identity(
        exchange(IdentityProtocol::sip,
                 "SIP/2.0 200 OK\r\nServer: Yealink SIP-T54W 96.86.0.70\r\nUser-Agent: snomD785/10.1.54.13\r\n\r\n"),
        profiles);
    CHECK(sip.vendor == "Snom");
    CHECK(sip.source == IdentitySource::sip_user_agent);
    const AnnouncedIdentity server_only = read_announced_identity(
        exchange(IdentityProtocol::sip, "SIP/2.0 200 OK\r\nServer: Yealink SIP-T54W 96.86.0.70\r\n\r\n"), profiles);
    CHECK(server_only.vendor == "Yealink");
    CHECK(server_only.source == IdentitySource::sip_server);
  }

  TEST_CASE("a user's profile: title patterns and refused groups")
  {
    VendorProfiles profiles;
    auto profile = VendorProfiles::parse(R"({"name": "Acme", "identity_patterns": [
        {"sources": ["http-title"], "pattern": "^Acme (?<model>[A-Z0-9]+) Web"},
        {"sources": ["sip-user-agent"], "pattern": "^Acme (?<model>.+) (?<mac>\\S+)$"}]})",
                                         "acme.json");
    REQUIRE(profile);
    profiles.add(std::move(*profile));
    const AnnouncedIdentity title = read_announced_identity(
        exchange(IdentityProtocol::http, "HTTP/1.1 200 OK\r\n\r\n<title>Acme X100 Web &amp; more</title>"), profiles);
    CHECK(title.vendor == "Acme");
    CHECK(title.model == "X100");
    CHECK(title.source == IdentitySource::http_title);
    CHECK(title.raw == "Acme X100 Web & more");

    SUBCASE("a mac group that is no MAC")
    {
      const AnnouncedIdentity identity = read_announced_identity(
          exchange(IdentityProtocol::sip, "SIP/2.0 200 OK\r\nUser-Agent: Acme X1 nomac\r\n\r\n"), profiles);
      CHECK(identity.vendor == "");
      CHECK(identity.error
            == "no pattern matched; Acme identity_patterns[1] on sip-user-agent: matched, but the mac 'nomac' is not a MAC");
    }
    SUBCASE("control characters and bidi controls in a group")
    {
      const AnnouncedIdentity identity = read_announced_identity(
          exchange(IdentityProtocol::sip,
                   "SIP/2.0 200 OK\r\nUser-Agent: Acme \x1b[2J\xe2\x80\xae" "X1 001122334455\r\n\r\n"),
          profiles);
      CHECK(identity.vendor == "");
      CHECK(identity.error.ends_with("matched, but the model holds control characters"));
      CHECK(identity.raw == "Acme \\x1b[2J\\u{202e}X1 001122334455");
    }
    SUBCASE("a group longer than 64 bytes")
    {
      const AnnouncedIdentity identity = read_announced_identity(
          exchange(IdentityProtocol::sip,
                   "SIP/2.0 200 OK\r\nUser-Agent: Acme " + std::string(100, 'M') + " 001122334455\r\n\r\n"),
          profiles);
      CHECK(identity.error.ends_with("matched, but the model longer than 64 bytes"));
    }
  }

  TEST_CASE("read_announced_identity: exchange errors and unusable answers")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    CHECK(read_announced_identity(exchange(IdentityProtocol::sip, "", "reset by the device"), profiles).error
          == "reset by the device");
    CHECK(read_announced_identity(exchange(IdentityProtocol::sip, ""), profiles).error == "no response");
    const AnnouncedIdentity no_headers =
        read_announced_identity(exchange(IdentityProtocol::sip, "SIP/2.0 200 OK\r\n\r\n"), profiles);
    CHECK(no_headers.error == "the SIP response has no User-Agent or Server header");
    const AnnouncedIdentity garbage =
        read_announced_identity(exchange(IdentityProtocol::sip, std::string("\x00\x01\xffGARBAGE", 10), "timeout"), profiles);
    CHECK(garbage.error.starts_with("SIP response: no SIP status line"));
    CHECK(garbage.error.ends_with("(timeout)"));
    CHECK(garbage.raw == "\\x00\\x01\\xffGARBAGE");
    const AnnouncedIdentity dripped = read_announced_identity(
        exchange(IdentityProtocol::sip, "SIP/2.0 200 OK\r\nUser-Agent: Grandstream GXP2170 1.0.11.23\r\nSer",
                 "deadline before the whole response"),
        profiles);
    CHECK(dripped.vendor == "Grandstream"); // the complete lines are enough
    CHECK(dripped.error == "");
    const AnnouncedIdentity no_title =
        read_announced_identity(exchange(IdentityProtocol::http, "HTTP/1.1 404 Not Found\r\n\r\n"), profiles);
    CHECK(no_title.error == "the HTTP response has no Server header or title");
  }

  TEST_CASE("make_record fills Record::identity from observation.identity")
  {
    Observation observation;
    observation.endpoint.ip = "127.0.0.1";
    observation.endpoint.port = 5061;
    AssessmentSettings settings;
    CHECK_FALSE(make_record(observation, settings).identity);
    observation.identity = exchange(IdentityProtocol::sip, "SIP/2.0 200 OK\r\nUser-Agent: Cisco-CP8841/12.6.1\r\n\r\n");
    const Record record = make_record(observation, settings);
    REQUIRE(record.identity);
    CHECK(record.identity->vendor == "Cisco");
    CHECK(record.identity->model == "CP8841");
    CHECK(record.identity->firmware == "12.6.1");
  }

  TEST_CASE("the MAC of a subject: CN, SEP<MAC>, CP-<model>-SEP<MAC>, S=<MAC>")
  {
    CHECK(mac_of_cn("00:04:f2:a1:b2:c3") == "0004F2A1B2C3");
    CHECK(mac_of_cn("SEP001122AABBCC") == "001122AABBCC");
    CHECK(mac_of_cn("sep001122aabbcc") == "001122AABBCC");
    CHECK(mac_of_cn("CP-8841-SEP001122AABBCC") == "001122AABBCC");
    CHECK_FALSE(mac_of_cn("CP-8841-SEP001122AABB"));
    CHECK_FALSE(mac_of_cn("XSEP001122AABBCC"));
    CHECK_FALSE(mac_of_cn("SEP"));
    CHECK_FALSE(mac_of_cn("Einstein2"));

    CertificateInfo leaf;
    leaf.parsed = true;
    leaf.has_cn = true;
    leaf.cn = "CP-8841-SEP001122AABBCC";
    leaf.subject = "O=Cisco Systems Inc., CN=CP-8841-SEP001122AABBCC";
    CHECK(classify_cn(leaf) == CnClass::mac);
    CHECK(assess(leaf, {}).mac == "001122AABBCC");

    CertificateInfo multiplatform;
    multiplatform.parsed = true;
    multiplatform.subject = "OU=CP-8841-3PCC, L=FCH12345ABC, S=001122AABBCC";
    CHECK(mac_of_subject(multiplatform) == "001122AABBCC");
    CHECK(assess(multiplatform, {}).mac == "001122AABBCC");
    CHECK(classify_cn(multiplatform) == CnClass::none);
    multiplatform.subject = "OU=CP-8841-3PCC, L=FCH12345ABC, ST=00:11:22:AA:BB:CC";
    CHECK(mac_of_subject(multiplatform) == "001122AABBCC");
    multiplatform.subject = "C=US, ST=California, L=San Jose";
    CHECK_FALSE(mac_of_subject(multiplatform));
  }
}

TEST_SUITE("identity_pattern")
{
  TEST_CASE("compile: named groups, sources, refused patterns")
  {
    const auto pattern = IdentityPattern::compile("^X (?<model>\\w+) (?<firmware>[0-9.]+)", {IdentitySource::sip_server});
    REQUIRE(pattern);
    CHECK(pattern->applies_to(IdentitySource::sip_server));
    CHECK_FALSE(pattern->applies_to(IdentitySource::sip_user_agent));
    const IdentityPatternMatch match = pattern->match("X T1 2.3");
    CHECK(match.matched);
    CHECK(match.model == "T1");
    CHECK(match.firmware == "2.3");
    CHECK(match.mac == "");
    CHECK_FALSE(pattern->match("Y T1 2.3").matched);

    CHECK(IdentityPattern::compile("(unclosed", {}).error().starts_with("PCRE2 error at offset 9: "));
    CHECK(IdentityPattern::compile("(?<serial>x)", {}).error()
          == "unknown named group 'serial' (model, firmware, mac)");
    CHECK(IdentityPattern::compile("(*UTF)x", {}).error().starts_with("PCRE2 error at offset"));
    CHECK(IdentityPattern::compile("", {}).error() == "must not be empty");
    CHECK(IdentityPattern::compile(std::string(2000, 'a'), {}).error() == "longer than 1024 bytes");
  }

  TEST_CASE("a catastrophic pattern ends with a limit error, not a hang")
  {
    const auto pattern = IdentityPattern::compile("^(a+)+$", {IdentitySource::sip_user_agent});
    REQUIRE(pattern);
    const std::string header = std::string(4000, 'a') + "b";
    const auto started = std::chrono::steady_clock::now();
    const IdentityPatternMatch match = pattern->match(header);
    const auto spent = std::chrono::steady_clock::now() - started;
    CHECK_FALSE(match.matched);
    CHECK(match.error == "match limit reached");
    CHECK(spent < std::chrono::seconds(2));

    SUBCASE("through a user's profile: the identity's error says so")
    {
      VendorProfiles profiles;
      auto profile = VendorProfiles::parse(
          R"({"name": "Slow", "identity_patterns": [{"sources": ["sip-user-agent"], "pattern": "^(a+)+$"}]})", "slow.json");
      REQUIRE(profile);
      profiles.add(std::move(*profile));
      const AnnouncedIdentity identity = read_announced_identity(
          exchange(IdentityProtocol::sip, "SIP/2.0 200 OK\r\nUser-Agent: " + header + "\r\n\r\n"), profiles);
      CHECK(identity.error == "no pattern matched; Slow identity_patterns[0] on sip-user-agent: match limit reached");
    }
  }

  TEST_CASE("profile load errors name the file, the key and the PCRE2 offset")
  {
    const auto error = [](const std::string& patterns) {
      const auto profile = VendorProfiles::parse(R"({"name": "Acme", "identity_patterns": )" + patterns + "}", "acme.json");
      return profile ? std::string() : profile.error();
    };
    CHECK(error(R"([{"sources": ["sip-user-agent"], "pattern": "^Acme (?<model>[A-Z"}])")
              .starts_with("acme.json: identity_patterns[0].pattern: PCRE2 error at offset 19: "));
    CHECK(error(R"([{"sources": ["sip-user-agent"]}])") == "acme.json: identity_patterns[0].pattern: missing");
    CHECK(error(R"([{"pattern": "x"}])") == "acme.json: identity_patterns[0].sources: missing");
    CHECK(error(R"([{"sources": [], "pattern": "x"}])")
          == "acme.json: identity_patterns[0].sources: must be a non-empty array of sip-user-agent, sip-server, "
             "http-server, http-title");
    CHECK(error(R"([{"sources": ["sip"], "pattern": "x"}])")
          == "acme.json: identity_patterns[0].sources[0]: must be one of sip-user-agent, sip-server, http-server, "
             "http-title");
    CHECK(error(R"([{"sources": ["sip-server"], "pattern": "x", "flags": "i"}])")
          == "acme.json: identity_patterns[0].flags: unknown key (sources, pattern; comments start with '_')");
    CHECK(error(R"({"pattern": "x"})").starts_with("acme.json: identity_patterns: must be an array"));
    CHECK(error(R"J([{"sources": ["sip-server"], "pattern": "(?<model>x)(?<vendor>y)"}])J")
          == "acme.json: identity_patterns[0].pattern: unknown named group 'vendor' (model, firmware, mac)");
    CHECK(error(R"([{"_comment": "ok", "sources": ["sip-server"], "pattern": "x"}])") == "");
  }

  TEST_CASE("every built-in profile's patterns compile and name their sources")
  {
    const VendorProfiles profiles = VendorProfiles::builtin();
    std::size_t patterns = 0;
    for (const VendorProfile& profile : profiles.all()) {
      for (const IdentityPattern& pattern : profile.identity_patterns) {
        CHECK_FALSE(pattern.sources().empty());
        ++patterns;
      }
    }
    CHECK(patterns >= 10);
    for (const char* name : {"Cisco", "Snom", "Mitel", "AudioCodes", "Spectralink", "Yealink"}) {
      CHECK(profiles.find(name) != nullptr);
    }
  }
}
