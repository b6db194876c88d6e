#include "scanner/util/digest.hpp"

#include <stdexcept>

namespace fleetcert {

Sha256::Sha256() : m_context(EVP_MD_CTX_new())
{
  if (!m_context || EVP_DigestInit_ex(m_context.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL cannot compute SHA-256");
  }
}

void Sha256::update(std::string_view bytes)
{
  if (!bytes.empty() && EVP_DigestUpdate(m_context.get(), bytes.data(), bytes.size()) != 1) {
    throw std::runtime_error("OpenSSL cannot compute SHA-256");
  }
}

std::string Sha256::hex() const
{
  const std::unique_ptr<EVP_MD_CTX, Free> copy(EVP_MD_CTX_new());
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (!copy || EVP_MD_CTX_copy_ex(copy.get(), m_context.get()) != 1 ||
      EVP_DigestFinal_ex(copy.get(), digest.data(), &size) != 1) {
    throw std::runtime_error("OpenSSL cannot compute SHA-256");
  }
  constexpr std::string_view k_digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    out += k_digits[digest[i] >> 4];
    out += k_digits[digest[i] & 0x0f];
  }
  return out;
}

std::string sha256_hex_of(std::string_view bytes)
{
  Sha256 hash;
  hash.update(bytes);
  return hash.hex();
}

HashingStreambuf::int_type HashingStreambuf::underflow()
{
  if (gptr() < egptr()) {
    return traits_type::to_int_type(*gptr());
  }
  const std::streamsize got = m_source.sgetn(m_buffer.data(), static_cast<std::streamsize>(m_buffer.size()));
  if (got <= 0) {
    return traits_type::eof();
  }
  m_hash.update(std::string_view(m_buffer.data(), static_cast<std::size_t>(got)));
  setg(m_buffer.data(), m_buffer.data(), m_buffer.data() + got);
  return traits_type::to_int_type(*gptr());
}

void HashingStreambuf::drain()
{
  while (underflow() != traits_type::eof()) {
    setg(m_buffer.data(), egptr(), egptr());
  }
}

} // namespace fleetcert
