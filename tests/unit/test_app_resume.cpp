// Tests for scanner/app/resume: the keys of endpoints already done, read back from a JSONL report,
// for records of addresses, of names that resolved (keyed by their address: the address is the
// device) and of names that did not resolve (no target.ip: keyed by the name).

#include "scanner/app/resume.hpp"

#include "support/process.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace fleetcert;
using namespace fleetcert::testing;

TEST_SUITE("app.resume")
{
  TEST_CASE("endpoint_key: the address whenever there is one, else the name")
  {
    CHECK(endpoint_key("127.0.0.1", "", 443) == "127.0.0.1:443");
    CHECK(endpoint_key("127.0.0.1", "localhost", 443) == "127.0.0.1:443");
    CHECK(endpoint_key("2001:DB8:0::1", "phone.example", 5061) == "2001:db8::1:5061");
    CHECK(endpoint_key("", "nonexistent.invalid", 443) == "nonexistent.invalid:443");
  }

  TEST_CASE("load_resume_state reads records with and without target.ip, and refuses records with neither")
  {
    TempDir dir;
    const std::string path = dir.file("scan.jsonl");
    write_file(path,
               R"({"target":{"ip":"127.0.0.1","host":"localhost","port":443},"status":"error","chain":[]})"
               "\n"
               R"({"target":{"host":"nonexistent.invalid","port":443},"status":"error","chain":[]})"
               "\n"
               R"({"target":{"ip":"","host":"old.invalid","port":5061},"status":"error","chain":[]})"
               "\n"
               R"({"target":{"ip":"127.0.0.2","host":"localhost","port":5061},"status":"skipped","chain":[]})"
               "\n");
    const auto state = load_resume_state(path);
    REQUIRE_MESSAGE(state, state.error());
    CHECK(state->done == std::unordered_set<std::string>{"127.0.0.1:443", "nonexistent.invalid:443",
                                                         "old.invalid:5061", "127.0.0.2:5061"});

    write_file(path, R"({"target":{"port":443},"status":"error","chain":[]})" "\n");
    CHECK(load_resume_state(path).error() == path + ":1: not a fleetcert JSONL record");
    write_file(path, R"({"target":{"ip":7,"port":443},"status":"error","chain":[]})" "\n");
    CHECK(load_resume_state(path).error() == path + ":1: not a fleetcert JSONL record");
  }
}
