#pragma once
// Opening a file the operator named as input (targets, inventory, leases, bundles, reports): one
// rule for why it cannot be read, so every message gives the reason the same way.

#include <fstream>
#include <string>

namespace fleetcert {

// Opens `path` for reading (binary) into `in`. Returns why it cannot be read, or "" when it is
// open: "Is a directory" for a directory (which std::ifstream would open and read as empty), else
// the errno text of the failed open ("No such file or directory", "Permission denied").
std::string open_input_file(std::ifstream& in, const std::string& path);

} // namespace fleetcert
