// One-line distinguished names: attributes split at unescaped ',' and '+', RFC 2253 escapes
// removed, hand-written unescaped commas kept in their value, and the O and CN found by any
// spelling of their type.

#include "scanner/certificate/distinguished_name.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace fleetcert;

TEST_SUITE("scanner.distinguished_name")
{
  TEST_CASE("split_name: escaped and hand-written forms")
  {
    SUBCASE("OpenSSL's escaped form")
    {
      const auto attributes = split_name("C=US, O=Grandstream Networks\\, Inc., CN=Grandstream Device CA");
      REQUIRE(attributes.size() == 3);
      CHECK(attributes[0].type == "C");
      CHECK(attributes[1].value == "Grandstream Networks, Inc.");
      CHECK(attributes[2].type == "CN");
      CHECK(attributes[2].value == "Grandstream Device CA");
    }
    SUBCASE("an unescaped comma continues the value")
    {
      const auto attributes = split_name("C=US, O=Grandstream Networks, Inc., CN=Grandstream Device CA");
      REQUIRE(attributes.size() == 3);
      CHECK(attributes[1].value == "Grandstream Networks, Inc.");
    }
    SUBCASE("multi-valued RDNs and empty input")
    {
      const auto attributes = split_name("CN=a + OU=b");
      REQUIRE(attributes.size() == 2);
      CHECK(attributes[1].type == "OU");
      CHECK(attributes[1].value == "b");
      CHECK(split_name("").empty());
      CHECK(split_name("no attributes here").empty());
    }
  }

  TEST_CASE("organisation and common name by any spelling of their type")
  {
    CHECK(is_organization_type("O"));
    CHECK(is_organization_type("organizationName"));
    CHECK(is_organization_type("2.5.4.10"));
    CHECK_FALSE(is_organization_type("OU"));
    CHECK(is_common_name_type("cn"));
    CHECK(is_common_name_type("commonName"));
    CHECK(is_common_name_type("2.5.4.3"));
    CHECK_FALSE(is_common_name_type("C"));

    const std::string gigaset =
        "C=DE, ST=Germany, L=Bocholt, O=Gigaset Communications GmbH, OU=Certificate Authority, CN=Gigaset.net";
    CHECK(name_organization(gigaset) == "Gigaset Communications GmbH");
    CHECK(name_common_name(gigaset) == "Gigaset.net");
    CHECK(name_organization("CN=only a name") == "");
    CHECK(name_common_name("O=only an organisation") == "");
    CHECK(name_common_name("CN=first, CN=last") == "last"); // the one decode_certificate reports
    CHECK(name_organization("organizationName=Example\\+Co, commonName=x") == "Example+Co");
  }

  TEST_CASE("unescape_rfc2253 removes the backslash before special characters only")
  {
    CHECK(unescape_rfc2253("Networks\\, Inc.") == "Networks, Inc.");
    CHECK(unescape_rfc2253("a\\+b\\=c\\\\d") == "a+b=c\\d");
    CHECK(unescape_rfc2253("C:\\x") == "C:\\x"); // not special: kept
    CHECK(unescape_rfc2253("trailing\\") == "trailing\\");
  }
}
