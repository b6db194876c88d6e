// The cipher-suite registry table: ascending and unique, the names of suites OpenSSL lacks, the
// flags that order the raw hello, unknown code points and protocol versions named by their hex.

#include "probes/cipher_suites.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace fleetcert;

TEST_SUITE("cipher_suites")
{
  TEST_CASE("the table is ascending by code, without duplicates, and every name is a TLS name")
  {
    const auto table = cipher_suite_table();
    REQUIRE(table.size() > 340);
    std::set<std::string> names;
    for (std::size_t i = 0; i < table.size(); ++i) {
      if (i > 0) {
        CHECK(table[i - 1].code < table[i].code);
      }
      CHECK(names.insert(std::string(table[i].name)).second);
      const bool tls_name = table[i].name.starts_with("TLS_") || table[i].name.starts_with("OLD_TLS_");
      CHECK(tls_name);
    }
  }

  TEST_CASE("suites OpenSSL 3.0 does not implement are named")
  {
    CHECK(cipher_suite_name(0x000A) == "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
    CHECK(cipher_suite_name(0x0005) == "TLS_RSA_WITH_RC4_128_SHA");
    CHECK(cipher_suite_name(0x0003) == "TLS_RSA_EXPORT_WITH_RC4_40_MD5");
    CHECK(cipher_suite_name(0x0096) == "TLS_RSA_WITH_SEED_CBC_SHA");
    CHECK(cipher_suite_name(0xC03C) == "TLS_RSA_WITH_ARIA_128_CBC_SHA256");
    CHECK(cipher_suite_name(0x0013) == "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA");
    CHECK(cipher_suite_name(0xC02F) == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    CHECK(cipher_suite_name(0x1301) == "TLS_AES_128_GCM_SHA256");
    CHECK(cipher_suite_name(0xCCA8) == "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
  }

  TEST_CASE("a code point without a registry name is its hex")
  {
    CHECK(cipher_suite_name(0x0A0A) == "0x0A0A");
    CHECK(cipher_suite_name(0xFFFF) == "0xFFFF");
    CHECK(cipher_suite_name(0x00C8) == "0x00C8");
    CHECK(find_cipher_suite(0x0A0A) == nullptr);
  }

  TEST_CASE("the flags say which suites send a certificate")
  {
    REQUIRE(find_cipher_suite(0x0034) != nullptr);
    CHECK_FALSE(find_cipher_suite(0x0034)->certificate); // TLS_DH_anon_WITH_AES_128_CBC_SHA
    CHECK_FALSE(find_cipher_suite(0x008C)->certificate); // TLS_PSK_WITH_AES_128_CBC_SHA
    CHECK(find_cipher_suite(0x0094)->certificate);       // TLS_RSA_PSK_WITH_AES_128_CBC_SHA
    CHECK_FALSE(find_cipher_suite(0xC018)->certificate); // TLS_ECDH_anon_WITH_AES_128_CBC_SHA
    CHECK(find_cipher_suite(0xC01B)->certificate);       // TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA
    CHECK(find_cipher_suite(0x1302)->tls13);
    CHECK(find_cipher_suite(0x00FF)->signalling);
    CHECK(find_cipher_suite(0x5600)->signalling);
    CHECK_FALSE(find_cipher_suite(0x000A)->tls13);
  }

  TEST_CASE("protocol versions are named as OpenSSL names them")
  {
    CHECK(protocol_version_name(0x0300) == "SSLv3");
    CHECK(protocol_version_name(0x0301) == "TLSv1");
    CHECK(protocol_version_name(0x0302) == "TLSv1.1");
    CHECK(protocol_version_name(0x0303) == "TLSv1.2");
    CHECK(protocol_version_name(0x0304) == "TLSv1.3");
    CHECK(protocol_version_name(0x7F1C) == "0x7F1C");
    CHECK(protocol_version_name(0x0002) == "0x0002");
  }
}
