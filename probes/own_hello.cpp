#include "probes/own_hello.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

namespace fleetcert {
namespace {

constexpr std::uint16_t k_tls13 = 0x0304;
constexpr std::uint16_t k_group_x25519 = 29;
constexpr std::uint16_t k_ext_server_name = 0;
constexpr std::uint16_t k_ext_key_share = 51;
constexpr std::size_t k_random_offset = k_record_header_size + k_handshake_header_size + 2;
constexpr std::size_t k_aead_tag_size = 16;

// RFC 8446 4.1.3: the random of a HelloRetryRequest.
constexpr std::array<unsigned char, 32> k_retry_random = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

std::uint16_t u16(const unsigned char* p)
{
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

std::size_t u24(const unsigned char* p)
{
  return (std::size_t{p[0]} << 16) | (std::size_t{p[1]} << 8) | p[2];
}

void put_u16_at(std::vector<unsigned char>& out, std::size_t at, std::size_t value)
{
  out[at] = static_cast<unsigned char>((value >> 8) & 0xFF);
  out[at + 1] = static_cast<unsigned char>(value & 0xFF);
}

void put_u24_at(std::vector<unsigned char>& out, std::size_t at, std::size_t value)
{
  out[at] = static_cast<unsigned char>((value >> 16) & 0xFF);
  put_u16_at(out, at + 1, value & 0xFFFF);
}

// A host name as server_name may carry it (RFC 6066 3: no IP literal; the probe's own rule).
bool sni_usable(std::string_view sni)
{
  return !sni.empty() && sni.size() <= 255;
}

// The TLS 1.3 suites handled here: AEAD, its key length, and the hash of the key schedule.
struct Suite
{
  std::uint16_t code;
  const char* cipher; // EVP name
  std::size_t key_length;
  bool sha384;
};
constexpr std::array<Suite, 3> k_suites = {{
    {0x1301, "AES-128-GCM", 16, false},
    {0x1302, "AES-256-GCM", 32, true},
    {0x1303, "ChaCha20-Poly1305", 32, false},
}};

// Fetched once (implicit fetches per use cost a lock and a lookup each).
const EVP_CIPHER* fetched_cipher(const Suite& suite)
{
  static const std::array<EVP_CIPHER*, 3> ciphers = [] {
    std::array<EVP_CIPHER*, 3> out{};
    for (std::size_t i = 0; i < k_suites.size(); ++i) {
      out[i] = EVP_CIPHER_fetch(nullptr, k_suites[i].cipher, nullptr);
    }
    ERR_clear_error();
    return out;
  }();
  return ciphers[static_cast<std::size_t>(&suite - k_suites.data())];
}

const EVP_MD* fetched_md(bool sha384)
{
  static EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* sha384_md = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  return sha384 ? sha384_md : sha256;
}

using Secret = std::vector<unsigned char>;

// The thread's digest context, for hmac and digest (neither calls the other): made once, reset by
// each EVP_DigestInit_ex2.
EVP_MD_CTX* thread_md_context()
{
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return ctx.get();
}

// HMAC (RFC 2104) over the prefetched digest: OpenSSL 3.0's HMAC() fetches its MAC and digest by
// name at every call, which costs more than the few blocks hashed here.
Secret hmac(const EVP_MD* md, const Secret& key, const unsigned char* data, std::size_t size)
{
  EVP_MD_CTX* const ctx = thread_md_context();
  const auto block = static_cast<std::size_t>(EVP_MD_get_block_size(md));
  const auto hash_size = static_cast<std::size_t>(EVP_MD_get_size(md));
  if (!ctx || md == nullptr || block == 0 || block > 128 || hash_size > EVP_MAX_MD_SIZE || key.size() > block) {
    return {}; // the key schedule's keys are never longer than a block
  }
  std::array<unsigned char, 128> pad{};
  std::copy(key.begin(), key.end(), pad.begin());
  for (std::size_t i = 0; i < block; ++i) {
    pad[i] ^= 0x36;
  }
  Secret inner(hash_size);
  Secret out(hash_size);
  unsigned int length = 0;
  if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1 || EVP_DigestUpdate(ctx, pad.data(), block) != 1
      || EVP_DigestUpdate(ctx, data, size) != 1 || EVP_DigestFinal_ex(ctx, inner.data(), &length) != 1) {
    return {};
  }
  for (std::size_t i = 0; i < block; ++i) {
    pad[i] ^= 0x36 ^ 0x5C;
  }
  if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1 || EVP_DigestUpdate(ctx, pad.data(), block) != 1
      || EVP_DigestUpdate(ctx, inner.data(), inner.size()) != 1
      || EVP_DigestFinal_ex(ctx, out.data(), &length) != 1) {
    return {};
  }
  return out;
}

// RFC 8446 7.1 HKDF-Expand-Label, for lengths up to the hash's (one HMAC block). The labels are the
// key schedule's own (a few bytes) and the context at most a hash.
Secret expand_label(const EVP_MD* md, const Secret& secret, std::string_view label, const Secret& context,
                    std::size_t length)
{
  constexpr std::string_view k_prefix = "tls13 ";
  std::array<unsigned char, 2 + 1 + 255 + 1 + 255 + 1> info{};
  if (k_prefix.size() + label.size() > 255 || context.size() > 255) {
    return {};
  }
  std::size_t at = 0;
  info[at++] = static_cast<unsigned char>(length >> 8);
  info[at++] = static_cast<unsigned char>(length & 0xFF);
  info[at++] = static_cast<unsigned char>(k_prefix.size() + label.size());
  for (const char c : k_prefix) {
    info[at++] = static_cast<unsigned char>(c);
  }
  for (const char c : label) {
    info[at++] = static_cast<unsigned char>(c);
  }
  info[at++] = static_cast<unsigned char>(context.size());
  for (const unsigned char c : context) {
    info[at++] = c;
  }
  info[at++] = 1; // HKDF-Expand's first block counter
  Secret out = hmac(md, secret, info.data(), at);
  if (out.size() < length) {
    return {};
  }
  out.resize(length);
  return out;
}

Secret digest(const EVP_MD* md, const std::vector<ByteSpan>& parts)
{
  Secret out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  EVP_MD_CTX* const ctx = thread_md_context();
  if (ctx == nullptr || EVP_DigestInit_ex2(ctx, md, nullptr) != 1) {
    return {};
  }
  for (const ByteSpan part : parts) {
    EVP_DigestUpdate(ctx, part.data(), part.size());
  }
  if (EVP_DigestFinal_ex(ctx, out.data(), &length) != 1) {
    return {};
  }
  out.resize(length);
  return out;
}

// RFC 8446 7.1: the handshake secret's input without the (EC)DHE share: Derive-Secret(
// HKDF-Extract(0, 0), "derived", ""), fixed per hash.
const Secret& derived_early_secret(bool sha384)
{
  static const std::array<Secret, 2> secrets = [] {
    std::array<Secret, 2> out;
    for (const bool big : {false, true}) {
      const EVP_MD* md = fetched_md(big);
      const Secret zeros(static_cast<std::size_t>(EVP_MD_get_size(md)), 0);
      const Secret early = hmac(md, zeros, zeros.data(), zeros.size());
      out[big ? 1 : 0] = expand_label(md, early, "derived", digest(md, {}), zeros.size());
    }
    return out;
  }();
  return secrets[sha384 ? 1 : 0];
}

// X25519(private, peer) into 32 bytes; empty on failure. The context and the peer key are the
// thread's own and kept, the peer key given each server's point in place: OpenSSL 3.0 looks up the
// key management for every new context or imported key (a sixth of the exchange's cost, more when
// both threads do it at once). The peer is not "validated" (a check context of its own): any 32
// bytes are an X25519 public key, and the derivation itself refuses a point of small order.
Secret x25519(EVP_PKEY* own, ByteSpan peer)
{
  using KeyPtr = std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)>;
  thread_local std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> derive(nullptr, EVP_PKEY_CTX_free);
  thread_local KeyPtr peer_key(nullptr, EVP_PKEY_free);
  if (!derive || EVP_PKEY_CTX_get0_pkey(derive.get()) != own) {
    derive.reset(EVP_PKEY_CTX_new(own, nullptr)); // holds a reference: `own` stays alive while cached
  }
  bool ok = derive != nullptr && peer.size() == 32;
  if (ok && peer_key) {
    ok = EVP_PKEY_set1_encoded_public_key(peer_key.get(), peer.data(), peer.size()) == 1;
  } else if (ok) {
    peer_key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.data(), peer.size()));
    ok = peer_key != nullptr;
  }
  Secret out(32);
  std::size_t length = out.size();
  if (!ok || EVP_PKEY_derive_init(derive.get()) != 1 || EVP_PKEY_derive_set_peer_ex(derive.get(), peer_key.get(), 0) != 1
      || EVP_PKEY_derive(derive.get(), out.data(), &length) != 1 || length != 32) {
    ERR_clear_error();
    return {};
  }
  return out;
}

// Walks a ClientHello's extensions (the block after its 2-byte length at `at`): calls
// on(type, offset of the data, length) for each; false when one runs past the block or record.
template <typename F>
bool walk_extensions(const std::vector<unsigned char>& record, std::size_t at, F on)
{
  if (at + 2 > record.size()) {
    return false;
  }
  const std::size_t end = at + 2 + u16(&record[at]);
  if (end != record.size()) {
    return false;
  }
  std::size_t p = at + 2;
  while (p < end) {
    if (p + 4 > end) {
      return false;
    }
    const std::uint16_t type = u16(&record[p]);
    const std::size_t length = u16(&record[p + 2]);
    if (p + 4 + length > end) {
      return false;
    }
    on(type, p + 4, length);
    p += 4 + length;
  }
  return true;
}

} // namespace

const std::string* HelloTemplate::suite_name(std::uint16_t code) const
{
  for (const auto& [offered, name] : suites) {
    if (offered == code) {
      return &name;
    }
  }
  return nullptr;
}

std::optional<HelloTemplate> capture_hello_template(SSL_CTX* context)
{
  std::unique_ptr<SSL, void (*)(SSL*)> ssl(SSL_new(context), SSL_free);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (!ssl || in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    ERR_clear_error();
    return std::nullopt;
  }
  BIO_set_mem_eof_return(in, -1);
  SSL_set_bio(ssl.get(), in, out);
  SSL_set_connect_state(ssl.get());
  SSL_do_handshake(ssl.get()); // writes the ClientHello, then wants to read
  ERR_clear_error();

  HelloTemplate hello;
  hello.record.resize(BIO_ctrl_pending(out));
  if (hello.record.empty()
      || BIO_read(out, hello.record.data(), static_cast<int>(hello.record.size())) != static_cast<int>(hello.record.size())) {
    return std::nullopt;
  }
  std::vector<unsigned char>& r = hello.record;
  // One handshake record, exactly one ClientHello in it.
  if (r.size() < k_random_offset + 32 + 1 || r[0] != static_cast<unsigned char>(ContentType::handshake)
      || u16(&r[3]) + k_record_header_size != r.size() || r[5] != 1 || u24(&r[6]) + k_handshake_header_size + k_record_header_size != r.size()) {
    return std::nullopt;
  }
  std::size_t p = k_random_offset + 32;
  if (r[p] != 32 || p + 1 + 32 + 2 > r.size()) {
    return std::nullopt;
  }
  hello.session_id_offset = p + 1;
  p += 1 + 32;
  const std::size_t suites_length = u16(&r[p]);
  if (p + 2 + suites_length + 1 > r.size()) {
    return std::nullopt;
  }
  p += 2 + suites_length;
  const std::size_t compressions = r[p];
  p += 1 + compressions;
  hello.extensions_offset = p;
  bool sni = false;
  const bool whole = walk_extensions(r, p, [&](std::uint16_t type, std::size_t data, std::size_t length) {
    if (type == k_ext_server_name) {
      sni = true;
    }
    if (type == k_ext_key_share && length >= 2) {
      // client_shares<2..>: { group(2) length(2) key }*; the X25519 one is replaced per connection.
      std::size_t q = data + 2;
      while (q + 4 <= data + length) {
        const std::uint16_t group = u16(&r[q]);
        const std::size_t key_length = u16(&r[q + 2]);
        if (group == k_group_x25519 && key_length == 32 && q + 4 + 32 <= data + length) {
          hello.key_share_offset = q + 4;
        }
        q += 4 + key_length;
      }
    }
  });
  if (!whole || sni || hello.key_share_offset == 0) {
    return std::nullopt;
  }
  STACK_OF(SSL_CIPHER)* offered = SSL_get1_supported_ciphers(ssl.get());
  for (int i = 0; offered != nullptr && i < sk_SSL_CIPHER_num(offered); ++i) {
    const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(offered, i);
    hello.suites.emplace_back(static_cast<std::uint16_t>(SSL_CIPHER_get_protocol_id(cipher) & 0xFFFF),
                              SSL_CIPHER_get_name(cipher));
  }
  sk_SSL_CIPHER_free(offered);
  return hello;
}

std::shared_ptr<const X25519Share> thread_share()
{
  thread_local std::shared_ptr<const X25519Share> share;
  thread_local int uses = 0;
  if (!share || ++uses >= k_share_uses) {
    uses = 0;
    auto made = std::make_shared<X25519Share>();
    made->key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
    std::size_t length = made->public_key.size();
    if (!made->key || EVP_PKEY_get_raw_public_key(made->key.get(), made->public_key.data(), &length) != 1 || length != 32) {
      ERR_clear_error();
      share.reset();
      return nullptr;
    }
    share = std::move(made);
  }
  return share;
}

std::vector<unsigned char> fill_hello(const HelloTemplate& hello, std::string_view sni, const X25519Share& share)
{
  std::vector<unsigned char> r = hello.record;
  std::array<unsigned char, 64> fresh{};
  if (RAND_bytes(fresh.data(), static_cast<int>(fresh.size())) != 1) {
    ERR_clear_error(); // any bytes will do: the device's choices do not depend on them
  }
  std::copy_n(fresh.begin(), 32, r.begin() + static_cast<std::ptrdiff_t>(k_random_offset));
  std::copy_n(fresh.begin() + 32, 32, r.begin() + static_cast<std::ptrdiff_t>(hello.session_id_offset));
  std::copy(share.public_key.begin(), share.public_key.end(), r.begin() + static_cast<std::ptrdiff_t>(hello.key_share_offset));
  if (sni_usable(sni)) {
    // server_name (RFC 6066 3): list length, host_name(0), name length, name; first, as OpenSSL puts it.
    std::vector<unsigned char> ext;
    const std::size_t name = sni.size();
    ext.insert(ext.end(), {0, 0, static_cast<unsigned char>((name + 5) >> 8), static_cast<unsigned char>((name + 5) & 0xFF),
                           static_cast<unsigned char>((name + 3) >> 8), static_cast<unsigned char>((name + 3) & 0xFF), 0,
                           static_cast<unsigned char>(name >> 8), static_cast<unsigned char>(name & 0xFF)});
    ext.insert(ext.end(), sni.begin(), sni.end());
    const std::size_t at = hello.extensions_offset;
    r.insert(r.begin() + static_cast<std::ptrdiff_t>(at + 2), ext.begin(), ext.end());
    put_u16_at(r, at, u16(&r[at]) + ext.size());
    put_u24_at(r, 6, u24(&r[6]) + ext.size());
    put_u16_at(r, 3, u16(&r[3]) + ext.size());
  }
  return r;
}

OwnTls13Flight::OwnTls13Flight(std::vector<unsigned char> client_hello, std::shared_ptr<const X25519Share> share,
                               TlsLimits limits)
    : m_client_hello(std::move(client_hello)), m_share(std::move(share)), m_limits(limits), m_records(limits),
      m_handshake(limits)
{
}

OwnTls13Flight::~OwnTls13Flight()
{
  EVP_CIPHER_CTX_free(m_aead);
}

FlightStatus OwnTls13Flight::fail(std::string why)
{
  m_failure = std::move(why);
  m_status = FlightStatus::failed;
  return m_status;
}

FlightStatus OwnTls13Flight::feed(ByteSpan bytes)
{
  // A ServerHello, a capped Certificate message and the records around them, with room to spare
  // (as ServerFlight): a device that streams records without end is cut here, not at the deadline.
  const std::size_t cap = m_limits.max_message_length + 4 * k_max_record_length;
  while (m_status == FlightStatus::need_more && !bytes.empty()) {
    const TlsEvent event = m_records.read(bytes);
    bytes = bytes.subspan(event.consumed);
    m_bytes_seen += event.consumed;
    if (m_bytes_seen > cap) {
      return fail("flight too long");
    }
    switch (event.kind) {
    case TlsEventKind::need_more: break;
    case TlsEventKind::error: return fail("records: " + std::string(to_string(event.error)));
    case TlsEventKind::handshake_message:
      if (m_have_keys) {
        return fail("a plaintext handshake message after the ServerHello");
      }
      on_server_hello(event.bytes);
      break;
    case TlsEventKind::record:
      if (!m_have_keys) {
        return fail("a record before the ServerHello");
      }
      if (event.header.content_type == static_cast<std::uint8_t>(ContentType::change_cipher_spec)) {
        break; // RFC 8446 D.4: middlebox compatibility, ignored
      }
      if (event.header.content_type != static_cast<std::uint8_t>(ContentType::application_data)) {
        return fail("a plaintext record after the ServerHello");
      }
      on_encrypted(event);
      break;
    }
  }
  return m_status;
}

void OwnTls13Flight::on_server_hello(ByteSpan message)
{
  const ParsedServerHello parsed = parse_server_hello(message);
  if (parsed.error || parsed.hello.supported_version != k_tls13) {
    fail("not a TLS 1.3 ServerHello");
    return;
  }
  // version(2) random(32) session_id(1+n) suite(2) compression(1) extensions(2+n)
  const ByteSpan body = message.subspan(k_handshake_header_size);
  if (std::equal(k_retry_random.begin(), k_retry_random.end(), body.begin() + 2)) {
    fail("HelloRetryRequest");
    return;
  }
  m_suite = parsed.hello.cipher_suite;
  const auto suite = std::find_if(k_suites.begin(), k_suites.end(), [&](const Suite& s) { return s.code == m_suite; });
  if (suite == k_suites.end()) {
    fail("suite not handled");
    return;
  }
  std::size_t p = 2 + 32;
  p += 1 + body[p];
  p += 3;
  std::optional<ByteSpan> server_key;
  const std::size_t end = p + 2 + u16(&body[p]); // parse_server_hello checked the extensions' lengths
  p += 2;
  while (p + 4 <= end) {
    const std::uint16_t type = u16(&body[p]);
    const std::size_t length = u16(&body[p + 2]);
    if (type == k_ext_key_share && length == 4 + 32 && u16(&body[p + 4]) == k_group_x25519 && u16(&body[p + 6]) == 32) {
      server_key = body.subspan(p + 8, 32);
    }
    p += 4 + length;
  }
  if (!server_key || !m_share) {
    fail("no X25519 key share");
    return;
  }
  const Secret shared = x25519(m_share->key.get(), *server_key);
  if (shared.empty()) {
    fail("X25519 failed");
    return;
  }
  const EVP_MD* md = fetched_md(suite->sha384);
  const Secret handshake_secret = hmac(md, derived_early_secret(suite->sha384), shared.data(), shared.size());
  const ByteSpan client_hello = ByteSpan(m_client_hello).subspan(k_record_header_size);
  const Secret transcript = digest(md, {client_hello, message});
  const Secret traffic = expand_label(md, handshake_secret, "s hs traffic", transcript,
                                      static_cast<std::size_t>(EVP_MD_get_size(md)));
  const Secret key = expand_label(md, traffic, "key", {}, suite->key_length);
  const Secret iv = expand_label(md, traffic, "iv", {}, m_iv.size());
  const EVP_CIPHER* cipher = fetched_cipher(*suite);
  m_aead = EVP_CIPHER_CTX_new();
  if (handshake_secret.empty() || transcript.empty() || key.empty() || iv.empty() || cipher == nullptr || m_aead == nullptr
      || EVP_DecryptInit_ex2(m_aead, cipher, key.data(), nullptr, nullptr) != 1) {
    ERR_clear_error();
    fail("key schedule failed");
    return;
  }
  std::copy(iv.begin(), iv.end(), m_iv.begin());
  m_have_keys = true;
}

void OwnTls13Flight::on_encrypted(const TlsEvent& event)
{
  const ByteSpan fragment = event.bytes;
  if (fragment.size() < k_aead_tag_size + 1) {
    fail("a record shorter than its tag");
    return;
  }
  std::array<unsigned char, 12> nonce = m_iv;
  for (int i = 0; i < 8; ++i) {
    nonce[nonce.size() - 1 - static_cast<std::size_t>(i)] ^= static_cast<unsigned char>((m_sequence >> (8 * i)) & 0xFF);
  }
  ++m_sequence;
  const std::array<unsigned char, k_record_header_size> aad = {
      static_cast<unsigned char>(event.header.content_type), static_cast<unsigned char>(event.header.version >> 8),
      static_cast<unsigned char>(event.header.version & 0xFF), static_cast<unsigned char>(fragment.size() >> 8),
      static_cast<unsigned char>(fragment.size() & 0xFF)};
  const std::size_t size = fragment.size() - k_aead_tag_size;
  m_plain.resize(size + k_record_header_size);
  int length = 0;
  int final_length = 0;
  unsigned char* plain = m_plain.data() + k_record_header_size;
  std::array<unsigned char, k_aead_tag_size> tag{};
  std::copy_n(fragment.begin() + static_cast<std::ptrdiff_t>(size), tag.size(), tag.begin());
  if (EVP_DecryptInit_ex2(m_aead, nullptr, nullptr, nonce.data(), nullptr) != 1
      || EVP_DecryptUpdate(m_aead, nullptr, &length, aad.data(), static_cast<int>(aad.size())) != 1
      || EVP_DecryptUpdate(m_aead, plain, &length, fragment.data(), static_cast<int>(size)) != 1
      || EVP_CIPHER_CTX_ctrl(m_aead, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag.size()), tag.data()) != 1
      || EVP_DecryptFinal_ex(m_aead, plain + length, &final_length) != 1) {
    ERR_clear_error();
    fail("a record that does not decrypt");
    return;
  }
  // TLSInnerPlaintext: content, the real content type, zeros (RFC 8446 5.2).
  std::size_t inner = size;
  while (inner > 0 && plain[inner - 1] == 0) {
    --inner;
  }
  if (inner == 0) {
    fail("a record without a content type");
    return;
  }
  const unsigned char type = plain[inner - 1];
  --inner;
  if (type != static_cast<unsigned char>(ContentType::handshake)) {
    fail(type == static_cast<unsigned char>(ContentType::alert) ? "an alert" : "an unexpected record");
    return;
  }
  // The plaintext as a handshake record of its own, for the second reader to reassemble messages.
  m_plain[0] = static_cast<unsigned char>(ContentType::handshake);
  m_plain[1] = 3;
  m_plain[2] = 3;
  m_plain[3] = static_cast<unsigned char>(inner >> 8);
  m_plain[4] = static_cast<unsigned char>(inner & 0xFF);
  ByteSpan bytes(m_plain.data(), inner + k_record_header_size);
  while (m_status == FlightStatus::need_more && !bytes.empty()) {
    const TlsEvent message = m_handshake.read(bytes);
    bytes = bytes.subspan(message.consumed);
    if (message.kind == TlsEventKind::error) {
      fail("handshake messages: " + std::string(to_string(message.error)));
    } else if (message.kind == TlsEventKind::handshake_message) {
      on_message(message.bytes);
    }
  }
}

void OwnTls13Flight::on_message(ByteSpan message)
{
  // RFC 8446 2: EncryptedExtensions, then at most one CertificateRequest, then the Certificate.
  const auto type = static_cast<HandshakeType>(message[0]);
  if (type == HandshakeType::encrypted_extensions && !m_encrypted_extensions) {
    m_encrypted_extensions = true;
    return;
  }
  if (type == HandshakeType::certificate_request && m_encrypted_extensions && !m_certificate_requested) {
    m_certificate_requested = true;
    return;
  }
  if (type != HandshakeType::certificate || !m_encrypted_extensions) {
    fail("handshake message " + std::to_string(message[0]) + " out of order before the Certificate");
    return;
  }
  const CertificateList list = parse_certificate_message(message, CertificateFormat::tls13, m_limits);
  if (list.certificates.empty() || (list.error && *list.error != TlsError::too_many_certificates)) {
    fail("an empty or malformed Certificate message");
    return;
  }
  for (const ByteSpan der : list.certificates) {
    m_chain.emplace_back(der.begin(), der.end());
  }
  m_status = FlightStatus::certificate;
}

} // namespace fleetcert
