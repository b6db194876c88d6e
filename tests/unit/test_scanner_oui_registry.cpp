// Tests for scanner/oui_registry: parsing the IEEE CSV files, longest-prefix lookup, what happens to
// malformed rows, and the system's ieee-data files when they are installed.

#include "scanner/inputs/oui_registry.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace fleetcert;

namespace {

std::size_t add(OuiRegistry& registry, const std::string& text, const char* source = "test.csv")
{
  std::istringstream in(text);
  auto added = registry.add_csv(in, source);
  REQUIRE_MESSAGE(added.ok(), (added.ok() ? "" : added.error()));
  return *added;
}

std::string add_error(OuiRegistry& registry, const std::string& text)
{
  std::istringstream in(text);
  auto added = registry.add_csv(in, "test.csv");
  REQUIRE_MESSAGE(!added.ok(), "the file should not load");
  return added.error();
}

const std::string k_header = "Registry,Assignment,Organization Name,Organization Address\r\n";

} // namespace

TEST_SUITE("scanner.oui_registry")
{
  TEST_CASE("the longest assignment wins: MA-S, then MA-M, then MA-L")
  {
    OuiRegistry registry;
    CHECK(add(registry, k_header +
                            "MA-L,70B3D5,IEEE Registration Authority,445 Hoes Lane Piscataway NJ US 08554 \r\n"
                            "MA-L,000B82,\"Grandstream Networks, Inc.\",1297 Beacon Street Brookline MA US 02446 \r\n"
                            "MA-L,0004F2,Polycom,1000 West 14th Street  Canada CA V7P3P3 \r\n") == 3);
    CHECK(add(registry, k_header + "MA-M,70B3D5A,\" Block A \t\",\"Somewhere, Far\"\r\n") == 1);
    CHECK(add(registry, k_header + "MA-S,70B3D5A34,RCH ITALIA SPA ,VIA CENDON 39 SILEA  TREVISO  IT 31057 \r\n") == 1);
    CHECK(registry.size() == 5);
    CHECK(registry.skipped() == 0);

    CHECK(registry.organization("70B3D5A34001") == "RCH ITALIA SPA");     // MA-S
    CHECK(registry.organization("70B3D5A35001") == "Block A");            // MA-M, trimmed
    CHECK(registry.organization("70B3D5B00001") == "IEEE Registration Authority"); // MA-L
    CHECK(registry.organization("000B82751327") == "Grandstream Networks, Inc.");
    CHECK(registry.organization("00:04:f2:ab:cd:ef") == "Polycom"); // any MAC spelling
    CHECK_FALSE(registry.organization("C074AD62E6B4"));
    CHECK_FALSE(registry.organization("not a mac"));
    CHECK_FALSE(registry.organization(""));
  }

  TEST_CASE("quoted organisation names: commas, doubled quotes, line breaks in addresses")
  {
    OuiRegistry registry;
    CHECK(add(registry, k_header +
                            "MA-L,001EFC,\"JSC \"\"MASSA-K\"\"\",\"15, A, Pirogovskaya nab. RU 194044 \"\r\n"
                            "MA-L,001ECB,\"\"\"RPC \"\"Energoautomatika\"\" Ltd\",\"Krasnokazarmennaya st., 13/1\"\r\n"
                            "MA-L,A047D7,Best IT World (India) Pvt Ltd,\"87, Mistry Complex,\r\nMumbai IN 400093 \"\r\n"
                            "MA-L,901234,\"Shenzhen YOUHUA Technology Co., Ltd\t\",Room 407\r\n") == 4);
    CHECK(registry.organization("001EFC000000") == "JSC \"MASSA-K\"");
    CHECK(registry.organization("001ECB000000") == "\"RPC \"Energoautomatika\" Ltd");
    CHECK(registry.organization("A047D7000000") == "Best IT World (India) Pvt Ltd");
    CHECK(registry.organization("901234000000") == "Shenzhen YOUHUA Technology Co., Ltd");
  }

  TEST_CASE("malformed rows are skipped and counted, a broken file adds nothing")
  {
    OuiRegistry registry;
    CHECK(add(registry, k_header +
                            "MA-L,000B82,Grandstream Networks,Brookline\n"
                            "MA-L,00:0B:83,Colons Are Not Assignments,\n" // not 6/7/9 hex digits
                            "MA-L,0B84,Too Short,\n"
                            "MA-L,00XB85,Not Hex,\n"
                            "MA-L,000B86,,Empty name\n"
                            "MA-L,000B87,Too,Many,Fields\n"
                            "MA-L,000B88\n"                               // too few fields
                            "MA-L,000B89,\"Quoted\"junk,\n"
                            "\n"                                          // blank lines are fine
                            "MA-L,000b8a,lower-case hex is fine,\n") == 2);
    CHECK(registry.skipped() == 7);
    CHECK(registry.organization("000B8A000000") == "lower-case hex is fine");
    CHECK_FALSE(registry.organization("000B83000000"));

    // Column order follows the header.
    CHECK(add(registry, "Organization Name,Assignment\nReordered Inc.,A1B2C3\n") == 1);
    CHECK(registry.organization("A1B2C3000000") == "Reordered Inc.");

    const std::size_t before = registry.size();
    CHECK(add_error(registry, "") == "test.csv: no header row");
    CHECK(add_error(registry, "MAC,Vendor\n000B82,Grandstream\n") ==
          "test.csv:1: not an IEEE registry file (no Assignment and Organization Name columns)");
    CHECK(add_error(registry, k_header + "MA-L,C0FFEE,Fine,\nMA-L,C0FFEF,\"never closed,\n") ==
          "test.csv:3: unterminated quoted field");
    CHECK(registry.size() == before);
    CHECK_FALSE(registry.organization("C0FFEE000000"));
  }

  TEST_CASE("the system registry (Debian's ieee-data)")
  {
    const std::filesystem::path oui = "/usr/share/ieee-data/oui.csv";
    if (!std::filesystem::exists(oui)) {
      MESSAGE("skipped: /usr/share/ieee-data/oui.csv is not installed (Debian package ieee-data)");
      CHECK(OuiRegistry::system().organization("000B82751327") == std::nullopt);
      return;
    }
    const OuiRegistry& registry = OuiRegistry::system();
    CHECK(&registry == &OuiRegistry::system()); // loaded once
    {
      // The files are read at the first lookup, by whichever scan thread comes first; the others
      // wait for it (TSan checks the hand-over when this is the process's first lookup).
      std::atomic<int> ready{0};
      std::vector<std::optional<std::string>> found(4);
      std::vector<std::thread> threads;
      for (std::size_t i = 0; i < found.size(); ++i) {
        threads.emplace_back([&, i] {
          ready.fetch_add(1);
          while (ready.load() < static_cast<int>(found.size())) {
          }
          found[i] = registry.organization("000B82751327");
        });
      }
      for (std::thread& thread : threads) {
        thread.join();
      }
      for (const auto& organization : found) {
        CHECK(organization == "Grandstream Networks, Inc.");
      }
    }
    CHECK(registry.size() > 30000);
    CHECK(registry.organization("000B82751327") == "Grandstream Networks, Inc.");
    CHECK(registry.organization("0004F2ABCDEF") == "Polycom");

    // Every row of oui.csv parses. The load time is printed, not asserted: tests run on busy
    // machines (about 25 ms optimised when idle).
    std::ifstream in(oui, std::ios::binary);
    REQUIRE(in);
    OuiRegistry alone;
    const auto start = std::chrono::steady_clock::now();
    auto added = alone.add_csv(in, oui.string());
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE(added.ok());
    CHECK(*added > 30000);
    CHECK(alone.skipped() == 0);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    MESSAGE("oui.csv: " << *added << " assignments in " << ms << " ms");
  }
}
