// SHA-256 at once, incrementally and through HashingStreambuf, against the FIPS 180-2 test vectors.

#include "scanner/util/digest.hpp"

#include <doctest/doctest.h>

#include <istream>
#include <sstream>
#include <string>

using namespace fleetcert;

namespace {

constexpr const char* k_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* k_empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

} // namespace

TEST_SUITE("util.digest")
{
  TEST_CASE("sha256 of bytes, at once and in pieces")
  {
    CHECK(sha256_hex_of("abc") == k_abc);
    CHECK(sha256_hex_of("") == k_empty);
    Sha256 hash;
    hash.update("a");
    CHECK(hash.hex() == sha256_hex_of("a")); // hex() leaves the state as it was
    hash.update("bc");
    CHECK(hash.hex() == k_abc);
    CHECK(sha256_hex_of(std::string("a\0b", 3)) != sha256_hex_of("ab")); // every byte counts
  }

  TEST_CASE("HashingStreambuf hashes what a reader pulls and drain() the rest")
  {
    // More than one 64 KiB buffer, so underflow() refills.
    std::string text;
    for (int i = 0; i < 20000; ++i) {
      text += "line " + std::to_string(i) + "\n";
    }
    REQUIRE(text.size() > 2 * 64 * 1024);
    SUBCASE("read to the end")
    {
      std::istringstream source(text);
      HashingStreambuf hashing(*source.rdbuf());
      std::istream in(&hashing);
      std::string read((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      CHECK(read == text);
      CHECK(hashing.hex() == sha256_hex_of(text));
    }
    SUBCASE("a reader that stops early")
    {
      std::istringstream source(text);
      HashingStreambuf hashing(*source.rdbuf());
      std::istream in(&hashing);
      std::string first;
      REQUIRE(std::getline(in, first));
      CHECK(first == "line 0");
      hashing.drain();
      CHECK(hashing.hex() == sha256_hex_of(text));
    }
    SUBCASE("empty input")
    {
      std::istringstream source("");
      HashingStreambuf hashing(*source.rdbuf());
      hashing.drain();
      CHECK(hashing.hex() == k_empty);
    }
  }
}
