// The HTML page: untrusted text only ever as escaped data, the assets inlined, a policy that allows
// no fetch and only the page's own scripts.

#include "reports/encoding/html_page.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace fleetcert;

TEST_SUITE("html_page")
{
  TEST_CASE("json_for_script leaves no markup in the data")
  {
    const nlohmann::json data = {{"cn", "</script><script>alert(1)</script><!-- & \xE2\x80\xA8"}};
    const std::string text = json_for_script(data);
    CHECK(text.find('<') == std::string::npos);
    CHECK(text.find('>') == std::string::npos);
    CHECK(text.find('&') == std::string::npos);
    CHECK(text.find("\xE2\x80\xA8") == std::string::npos);
    CHECK(text.find("\\u003c/script\\u003e") != std::string::npos);
    SUBCASE("it reads back as the same data")
    {
      CHECK(nlohmann::json::parse(text) == data);
    }
    SUBCASE("invalid UTF-8 is replaced, not thrown on")
    {
      const std::string bad = json_for_script(nlohmann::json{{"cn", std::string("\xE9t\xE9")}});
      CHECK(bad.find("\xEF\xBF\xBD") != std::string::npos);
    }
  }

  TEST_CASE("html_escape escapes the five characters of markup")
  {
    CHECK(html_escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    CHECK(html_escape("plain") == "plain");
  }

  TEST_CASE("html_page inlines the assets and the data")
  {
    const std::string page = html_page("a <title>", {{"page", "scan"}, {"cn", "<script>x</script>"}});
    REQUIRE(!html_chart_js().empty());
    REQUIRE(!html_page_script().empty());
    CHECK(page.find(std::string(html_chart_js())) != std::string::npos);
    CHECK(page.find(std::string(html_page_script())) != std::string::npos);
    CHECK(page.find(std::string(html_page_style())) != std::string::npos);
    CHECK(page.find("<title>a &lt;title&gt;</title>") != std::string::npos);
    CHECK(page.find("<script>x</script>") == std::string::npos);
    CHECK(page.find("Chart.js v") != std::string::npos);
    SUBCASE("the policy allows no fetch and only the page's two scripts, by hash")
    {
      CHECK(page.find("default-src 'none'") != std::string::npos);
      const std::size_t policy = page.find("script-src ");
      REQUIRE(policy != std::string::npos);
      const std::string sources = page.substr(policy, page.find('"', policy) - policy);
      CHECK(sources.find("'unsafe-inline'") == std::string::npos);
      std::size_t hashes = 0;
      for (std::size_t at = sources.find("'sha256-"); at != std::string::npos; at = sources.find("'sha256-", at + 1)) {
        ++hashes;
      }
      CHECK(hashes == 2);
    }
    SUBCASE("no element loads anything")
    {
      CHECK(page.find(" src=") == std::string::npos);
      CHECK(page.find("<link") == std::string::npos);
    }
  }
}
