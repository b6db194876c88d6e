#include "reports/encoding/html_page.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace fleetcert {

namespace {

// 'sha256-<base64>' of a script's text, for the Content-Security-Policy's script-src.
std::string csp_hash(std::string_view script)
{
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(script.data(), script.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("cannot hash the HTML page's script (OpenSSL SHA-256 failed)");
  }
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> base64{};
  const int written = EVP_EncodeBlock(base64.data(), digest.data(), static_cast<int>(length));
  return "'sha256-" + std::string(reinterpret_cast<const char*>(base64.data()), static_cast<std::size_t>(written)) + "'";
}

} // namespace

std::string json_for_script(const nlohmann::json& data)
{
  const std::string text = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' && (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string html_escape(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
  return out;
}

std::string html_page(std::string_view title, const nlohmann::json& data)
{
  const std::string_view chart = html_chart_js();
  const std::string_view script = html_page_script();
  std::string page;
  page.reserve(chart.size() + script.size() + html_page_style().size() + 4096);
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
          "img-src data:; script-src ";
  page += csp_hash(chart) + " " + csp_hash(script) + "\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<meta name=\"generator\" content=\"fleetcert\">\n<title>";
  page += html_escape(title);
  page += "</title>\n<style>\n";
  page += html_page_style();
  page += "</style>\n</head>\n<body>\n";
  page += "<noscript><p>This report draws its charts and table with JavaScript; allow scripts for this file.</p></noscript>\n";
  page += "<div id=\"app\"></div>\n";
  page += "<div id=\"fleetcert-status\" hidden></div>\n";
  page += "<script type=\"application/json\" id=\"fleetcert-data\">";
  page += json_for_script(data);
  page += "</script>\n<script>";
  page += chart;
  page += "</script>\n<script>";
  page += script;
  page += "</script>\n</body>\n</html>\n";
  return page;
}

} // namespace fleetcert
