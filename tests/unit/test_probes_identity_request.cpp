// Tests for probes/identity_request: the SIP OPTIONS and HTTP GET a probe sends after the handshake
// (RFC 3261 and RFC 9112 forms, fresh random values, IPv6 and SNI hosts) and the predicates that
// say when the answer is in.

#include "probes/identity_request.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

using namespace fleetcert;

namespace {

// A generator that counts, so the random parts are known.
RandomSource counting_random()
{
  return [next = 0](unsigned char* out, std::size_t size) mutable {
    for (std::size_t i = 0; i < size; ++i) {
      out[i] = static_cast<unsigned char>(next++);
    }
  };
}

std::vector<std::string> lines_of(const std::string& request)
{
  std::vector<std::string> lines;
  std::size_t at = 0;
  for (std::size_t end = request.find("\r\n"); end != std::string::npos; end = request.find("\r\n", at)) {
    lines.push_back(request.substr(at, end - at));
    at = end + 2;
  }
  return lines;
}

// The value of header `name` in a request, "" when absent.
std::string header(const std::string& request, const std::string& name)
{
  for (const std::string& line : lines_of(request)) {
    if (line.starts_with(name + ": ")) {
      return line.substr(name.size() + 2);
    }
  }
  return {};
}

Endpoint device(std::string ip, std::uint16_t port, std::string sni = {})
{
  Endpoint endpoint;
  endpoint.ip = std::move(ip);
  endpoint.port = port;
  endpoint.sni = std::move(sni);
  return endpoint;
}

} // namespace

TEST_SUITE("identity_request")
{
  TEST_CASE("build_sip_options: an RFC 3261 OPTIONS from the connection's local address")
  {
    const std::string request = build_sip_options(device("127.0.0.5", 5061), "127.0.0.1", 40123, counting_random());
    REQUIRE(request.ends_with("\r\n\r\n"));
    const std::vector<std::string> lines = lines_of(request);
    REQUIRE(lines.size() >= 12);
    CHECK(lines.front() == "OPTIONS sip:127.0.0.5:5061;transport=tls SIP/2.0");
    CHECK(header(request, "Via") == "SIP/2.0/TLS 127.0.0.1:40123;branch=z9hG4bK000102030405060708090a0b;rport");
    CHECK(header(request, "Max-Forwards") == "70");
    CHECK(header(request, "From") == "<sip:fleetcert@127.0.0.1>;tag=0c0d0e0f10111213");
    CHECK(header(request, "To") == "<sip:127.0.0.5:5061>");
    CHECK(header(request, "Call-ID") == "1415161718191a1b1c1d1e1f20212223");
    CHECK(header(request, "CSeq") == "1 OPTIONS");
    CHECK(header(request, "Contact") == "<sip:fleetcert@127.0.0.1:40123;transport=tls>");
    CHECK(header(request, "Accept") == "application/sdp");
    CHECK(header(request, "User-Agent") == std::string("fleetcert/") + FLEETCERT_VERSION);
    CHECK(header(request, "Content-Length") == "0");
    CHECK(lines.back().empty());
  }

  TEST_CASE("build_sip_options: IPv6 addresses are bracketed")
  {
    const std::string request = build_sip_options(device("::1", 5061), "::1", 5, counting_random());
    CHECK(lines_of(request).front() == "OPTIONS sip:[::1]:5061;transport=tls SIP/2.0");
    CHECK(header(request, "Via").starts_with("SIP/2.0/TLS [::1]:5;branch=z9hG4bK"));
    CHECK(header(request, "Contact") == "<sip:fleetcert@[::1]:5;transport=tls>");
  }

  TEST_CASE("build_sip_options: branch, tag and Call-ID are fresh with OpenSSL's generator")
  {
    std::set<std::string> branches;
    std::set<std::string> call_ids;
    for (int i = 0; i < 20; ++i) {
      const std::string request = build_sip_options(device("127.0.0.5", 5061), "127.0.0.1", 1, openssl_random());
      branches.insert(header(request, "Via"));
      call_ids.insert(header(request, "Call-ID"));
    }
    CHECK(branches.size() == 20);
    CHECK(call_ids.size() == 20);
  }

  TEST_CASE("build_http_get: Host is the SNI name, else the address, with the port unless 443")
  {
    SUBCASE("address on 443")
    {
      const std::string request = build_http_get(device("127.0.0.5", 443));
      CHECK(lines_of(request).front() == "GET / HTTP/1.1");
      CHECK(header(request, "Host") == "127.0.0.5");
      CHECK(header(request, "Connection") == "close");
      CHECK(request.ends_with("\r\n\r\n"));
    }
    SUBCASE("address on another port")
    {
      CHECK(header(build_http_get(device("127.0.0.5", 8443)), "Host") == "127.0.0.5:8443");
    }
    SUBCASE("IPv6")
    {
      CHECK(header(build_http_get(device("::1", 443)), "Host") == "[::1]");
      CHECK(header(build_http_get(device("::1", 10443)), "Host") == "[::1]:10443");
    }
    SUBCASE("SNI name")
    {
      CHECK(header(build_http_get(device("127.0.0.5", 443, "phone1.example.test")), "Host") == "phone1.example.test");
    }
  }

  TEST_CASE("sip_response_complete: at the end of a final response's head")
  {
    CHECK_FALSE(sip_response_complete(""));
    CHECK_FALSE(sip_response_complete("SIP/2.0 200 OK\r\nUser-Agent: x\r\n"));
    CHECK(sip_response_complete("SIP/2.0 200 OK\r\nUser-Agent: x\r\n\r\n"));
    CHECK(sip_response_complete("SIP/2.0 200 OK\nUser-Agent: x\n\n"));
    CHECK(sip_response_complete("SIP/2.0 404 Not Found\r\n\r\n"));
    SUBCASE("a provisional response is not the answer")
    {
      CHECK_FALSE(sip_response_complete("SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n"));
      CHECK_FALSE(sip_response_complete("SIP/2.0 100 Trying\r\n\r\nSIP/2.0 200 OK\r\n"));
      CHECK(sip_response_complete("SIP/2.0 100 Trying\r\n\r\nSIP/2.0 200 OK\r\nServer: y\r\n\r\n"));
    }
  }

  TEST_CASE("http_response_complete: head and Content-Length, </title> or the cap")
  {
    CHECK_FALSE(http_response_complete("HTTP/1.1 200 OK\r\nServer: x\r\n"));
    CHECK_FALSE(http_response_complete("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n<html><head>"));
    CHECK(http_response_complete("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    CHECK_FALSE(http_response_complete("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345"));
    CHECK(http_response_complete("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n1234567890"));
    CHECK(http_response_complete("HTTP/1.1 200 OK\r\n\r\n<html><TITLE>Phone</TITLE>"));
    CHECK(http_response_complete("HTTP/1.1 204 No Content\r\n\r\n"));
    CHECK(http_response_complete("HTTP/1.1 304 Not Modified\n\n"));
    CHECK_FALSE(http_response_complete("HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\nabc"));
    CHECK(http_response_complete(std::string(k_identity_response_cap, 'x')));
  }

  TEST_CASE("identity_request and identity_complete: the IdentityPlan functions")
  {
    const auto sip = identity_request(IdentityProtocol::sip, device("127.0.0.5", 5061), counting_random());
    CHECK(sip("127.0.0.1", 9).starts_with("OPTIONS sip:127.0.0.5:5061;transport=tls SIP/2.0\r\n"));
    CHECK(header(sip("127.0.0.1", 9), "Via").starts_with("SIP/2.0/TLS 127.0.0.1:9;"));
    const auto http = identity_request(IdentityProtocol::http, device("127.0.0.5", 443));
    CHECK(http("127.0.0.1", 9).starts_with("GET / HTTP/1.1\r\n"));
    CHECK(identity_complete(IdentityProtocol::sip)("SIP/2.0 200 OK\r\n\r\n"));
    CHECK_FALSE(identity_complete(IdentityProtocol::http)("HTTP/1.1 200 OK\r\n\r\n<html>"));
    CHECK(identity_complete(IdentityProtocol::http)("HTTP/1.1 200 OK\r\n\r\n<title>x</title>"));
  }
}
