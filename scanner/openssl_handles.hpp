#pragma once
// Owning handles for the OpenSSL objects the core decodes and verifies with (certificate
// decoding, provenance, readiness): one deleter that frees each type the way OpenSSL wants.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

namespace fleetcert {

struct OpensslFree
{
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

} // namespace fleetcert
