#pragma once
// Owning handles for the OpenSSL objects the core decodes and verifies with (certificate
// decoding, provenance, readiness): one deleter that frees each type the way OpenSSL wants.

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>
#include <vector>

namespace fleetcert {

struct OpensslFree
{
  void operator()(char* p) const { OPENSSL_free(p); }
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  // A stack of borrowed certificates: the stack is freed, its elements are not.
  void operator()(STACK_OF(X509) * p) const { sk_X509_free(p); }
};

using BioPtr = std::unique_ptr<BIO, OpensslFree>;
using BignumPtr = std::unique_ptr<BIGNUM, OpensslFree>;
using X509Ptr = std::unique_ptr<X509, OpensslFree>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpensslFree>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpensslFree>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpensslFree>;
using BorrowedX509StackPtr = std::unique_ptr<STACK_OF(X509), OpensslFree>;

// The certificate of `der` (DER bytes, the model's Der), or null when it does not decode (OpenSSL's
// error queue is cleared).
inline X509Ptr decode_x509(const std::vector<unsigned char>& der)
{
  const unsigned char* data = der.data();
  X509Ptr cert(d2i_X509(nullptr, &data, static_cast<long>(der.size())));
  ERR_clear_error();
  return cert;
}

// The DER of `cert` (the model's Der); empty when it cannot be encoded.
inline std::vector<unsigned char> der_of(const X509* cert)
{
  unsigned char* out = nullptr;
  const int size = i2d_X509(cert, &out);
  if (size <= 0) {
    return {};
  }
  std::vector<unsigned char> der(out, out + size);
  OPENSSL_free(out);
  return der;
}

// Adds `cert` as a trust anchor of `store`, which scan threads will then verify against at once.
// The certificate's extension cache (key identifiers, constraints, signature info) is filled here,
// before any thread shares it: OpenSSL 3.0 fills it on first use, and two verifications using the
// same anchor for the first time at once both fill it, the second freeing the key identifier the
// first is comparing (TSan caught it in CI). Once filled, OpenSSL only reads it. A certificate
// given twice is refused by the store (it is there once); the error queue is cleared.
inline void add_shared_anchor(X509_STORE* store, X509* cert)
{
  X509_check_purpose(cert, -1, 0);
  X509_STORE_add_cert(store, cert);
  ERR_clear_error();
}

} // namespace fleetcert
