#pragma once
// SHA-256 of bytes as lower-case hex, at once or as they stream past a reader (OpenSSL EVP): what
// identifies an input file in a report without keeping or reading it twice.

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <streambuf>
#include <string>
#include <string_view>

namespace fleetcert {

// Incremental SHA-256.
class Sha256
{
public:
  // Throws std::runtime_error when OpenSSL cannot set up the digest.
  Sha256();
  void update(std::string_view bytes);
  // The digest of everything updated so far, as 64 lower-case hex digits; the state is unchanged.
  std::string hex() const;

private:
  struct Free
  {
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> m_context;
};

// SHA-256 of `bytes`, 64 lower-case hex digits.
std::string sha256_hex_of(std::string_view bytes);

// A read-only stream buffer that reads through `source` and hashes every byte it hands out, for a
// parser that streams a file (the inventory). drain() reads what the parser left, so hex() is the
// digest of the whole input.
class HashingStreambuf : public std::streambuf
{
public:
  explicit HashingStreambuf(std::streambuf& source) : m_source(source) {}
  // Reads the rest of the source.
  void drain();
  std::string hex() const { return m_hash.hex(); }

protected:
  int_type underflow() override;

private:
  std::streambuf& m_source;
  Sha256 m_hash;
  std::array<char, 64 * 1024> m_buffer{};
};

} // namespace fleetcert
