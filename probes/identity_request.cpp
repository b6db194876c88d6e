// The identity requests and their completeness rules (issue 14). Text only: the probe sends what
// these build and reads until the predicate says the answer is in (or its cap, or its deadline).

#include "probes/identity_request.hpp"
#include "scanner/util/ascii.hpp"
#include "scanner/util/text.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <climits>
#include <optional>
#include <random>

namespace fleetcert {
namespace {

constexpr std::string_view k_user_agent = "fleetcert/" FLEETCERT_VERSION;

// An address as the host of a URI or Via: IPv6 in brackets.
std::string uri_host(std::string_view ip)
{
  if (ip.find(':') != std::string_view::npos) {
    return "[" + std::string(ip) + "]";
  }
  return std::string(ip);
}

// `bytes` random bytes as lower-case hex.
std::string random_hex(const RandomSource& random, std::size_t bytes)
{
  static constexpr char k_hex[] = "0123456789abcdef";
  std::array<unsigned char, 16> buffer{};
  const std::size_t size = std::min(bytes, buffer.size());
  if (random) {
    random(buffer.data(), size);
  } else {
    openssl_random()(buffer.data(), size);
  }
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(k_hex[buffer[i] >> 4]);
    out.push_back(k_hex[buffer[i] & 0x0F]);
  }
  return out;
}

// The end of the head that starts at `from`: the offset after its blank line, or npos.
std::size_t head_end(std::string_view text, std::size_t from)
{
  for (std::size_t at = text.find('\n', from); at != std::string_view::npos; at = text.find('\n', at + 1)) {
    // A line end followed by an empty line: "\n\n" or "\n\r\n".
    if (at + 1 < text.size() && text[at + 1] == '\n') {
      return at + 2;
    }
    if (at + 2 < text.size() && text[at + 1] == '\r' && text[at + 2] == '\n') {
      return at + 3;
    }
  }
  return std::string_view::npos;
}

// The status code of the status line at `from` ("SIP/2.0 200 OK", "HTTP/1.1 204 ..."), or -1.
int status_code(std::string_view text, std::size_t from)
{
  while (from < text.size() && (text[from] == '\r' || text[from] == '\n')) {
    ++from;
  }
  const std::size_t space = text.find(' ', from);
  if (space == std::string_view::npos || space + 4 > text.size()) {
    return -1;
  }
  int code = 0;
  for (std::size_t i = space + 1; i < space + 4; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return -1;
    }
    code = code * 10 + (text[i] - '0');
  }
  return code;
}

// The value of header `name` in the head text[from, to); nullopt when absent.
std::optional<std::string_view> head_value(std::string_view text, std::size_t from, std::size_t to,
                                           std::string_view name)
{
  std::size_t at = text.find('\n', from);
  while (at != std::string_view::npos && at < to) {
    const std::size_t start = at + 1;
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos || end > to) {
      end = to;
    }
    const std::string_view line = text.substr(start, end - start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && ascii_iequals(trim_blanks(line.substr(0, colon)), name)) {
      return trim_blanks(line.substr(colon + 1));
    }
    at = end < to ? end : std::string_view::npos;
  }
  return std::nullopt;
}

// A Content-Length value: decimal digits only, at most 9 of them; nullopt otherwise.
std::optional<std::size_t> content_length(std::string_view value)
{
  if (value.empty() || value.size() > 9) {
    return std::nullopt;
  }
  std::size_t length = 0;
  for (char c : value) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    length = length * 10 + static_cast<std::size_t>(c - '0');
  }
  return length;
}

bool contains_folded(std::string_view text, std::string_view lower_needle)
{
  for (std::size_t at = 0; at + lower_needle.size() <= text.size(); ++at) {
    bool same = true;
    for (std::size_t i = 0; i < lower_needle.size() && same; ++i) {
      same = ascii_lower(text[at + i]) == lower_needle[i];
    }
    if (same) {
      return true;
    }
  }
  return false;
}

} // namespace

RandomSource openssl_random()
{
  return [](unsigned char* out, std::size_t size) {
    if (size <= static_cast<std::size_t>(INT_MAX) && RAND_bytes(out, static_cast<int>(size)) == 1) {
      return;
    }
    thread_local std::random_device device;
    for (std::size_t i = 0; i < size; ++i) {
      out[i] = static_cast<unsigned char>(device());
    }
  };
}

std::string build_sip_options(const Endpoint& device, std::string_view local_ip, std::uint16_t local_port,
                              const RandomSource& random)
{
  const std::string target = uri_host(device.ip) + ":" + std::to_string(device.port);
  const std::string local = uri_host(local_ip) + ":" + std::to_string(local_port);
  const std::string local_host = uri_host(local_ip);
  std::string request;
  request += "OPTIONS sip:" + target + ";transport=tls SIP/2.0\r\n";
  request += "Via: SIP/2.0/TLS " + local + ";branch=z9hG4bK" + random_hex(random, 12) + ";rport\r\n";
  request += "Max-Forwards: 70\r\n";
  request += "From: <sip:fleetcert@" + local_host + ">;tag=" + random_hex(random, 8) + "\r\n";
  request += "To: <sip:" + target + ">\r\n";
  request += "Call-ID: " + random_hex(random, 16) + "\r\n";
  request += "CSeq: 1 OPTIONS\r\n";
  request += "Contact: <sip:fleetcert@" + local + ";transport=tls>\r\n";
  request += "Accept: application/sdp\r\n";
  request += "User-Agent: " + std::string(k_user_agent) + "\r\n";
  request += "Content-Length: 0\r\n";
  request += "\r\n";
  return request;
}

std::string build_http_get(const Endpoint& device)
{
  std::string host = device.sni.empty() ? uri_host(device.ip) : device.sni;
  if (device.port != 443) {
    host += ":" + std::to_string(device.port);
  }
  std::string request;
  request += "GET / HTTP/1.1\r\n";
  request += "Host: " + host + "\r\n";
  request += "User-Agent: " + std::string(k_user_agent) + "\r\n";
  request += "Accept: text/html\r\n";
  request += "Connection: close\r\n";
  request += "\r\n";
  return request;
}

bool sip_response_complete(std::string_view received)
{
  // Provisional responses (100 Trying) may come first; a bounded number of heads is looked at.
  std::size_t from = 0;
  for (int head = 0; head < 8; ++head) {
    const std::size_t end = head_end(received, from);
    if (end == std::string_view::npos) {
      return false;
    }
    const int code = status_code(received, from);
    if (code < 100 || code >= 200) {
      return true; // a final response (or not a status line at all: nothing more to wait for)
    }
    from = end;
  }
  return true;
}

bool http_response_complete(std::string_view received)
{
  if (received.size() >= k_identity_response_cap) {
    return true;
  }
  const std::size_t end = head_end(received, 0);
  if (end == std::string_view::npos) {
    return false;
  }
  const int code = status_code(received, 0);
  if ((code >= 100 && code < 200) || code == 204 || code == 304) {
    return true;
  }
  const std::string_view body = received.substr(end);
  if (const auto value = head_value(received, 0, end, "Content-Length")) {
    if (const auto length = content_length(*value)) {
      if (body.size() >= *length) {
        return true;
      }
    }
  }
  return contains_folded(body, "</title");
}

std::function<std::string(const std::string& local_ip, std::uint16_t local_port)>
identity_request(IdentityProtocol protocol, Endpoint device, RandomSource random)
{
  if (protocol == IdentityProtocol::sip) {
    return [device = std::move(device), random = std::move(random)](const std::string& local_ip,
                                                                    std::uint16_t local_port) {
      return build_sip_options(device, local_ip, local_port, random);
    };
  }
  return [device = std::move(device)](const std::string&, std::uint16_t) { return build_http_get(device); };
}

std::function<bool(std::string_view received)> identity_complete(IdentityProtocol protocol)
{
  if (protocol == IdentityProtocol::sip) {
    return sip_response_complete;
  }
  return http_response_complete;
}

} // namespace fleetcert
