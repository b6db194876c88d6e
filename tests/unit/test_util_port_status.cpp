// The one text form of a device's ports and their status: "443:ok;5061:refused".

#include "scanner/util/port_status.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace fleetcert;

TEST_SUITE("util.port_status")
{
  TEST_CASE("ports and status words joined by semicolons, in the order given")
  {
    CHECK(format_port_statuses({{443, "ok"}, {5061, "refused"}}) == "443:ok;5061:refused");
    CHECK(format_port_statuses({{5061, "tls-alert"}, {443, "not-tls"}, {8443, "timeout"}}) ==
          "5061:tls-alert;443:not-tls;8443:timeout");
    CHECK(format_port_statuses({{65535, "ok"}}) == "65535:ok");
    CHECK(format_port_statuses({{1, "no-certificate"}, {2, "not-ready"}}) == "1:no-certificate;2:not-ready");
    CHECK(format_port_statuses({}).empty());
  }
}
