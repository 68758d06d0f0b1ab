/* libcrypto, opened when a Meetup channel signs its token (lazy.h). */
#define _GNU_SOURCE /* RTLD_NOLOAD */
#include "lazy.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define CRYPTO_FUNCS(X)                                                        \
  X(BIO_new_mem_buf)                                                           \
  X(BIO_free)                                                                  \
  X(PEM_read_bio_PrivateKey)                                                   \
  X(EVP_PKEY_get_base_id)                                                      \
  X(EVP_PKEY_free)                                                             \
  X(EVP_MD_CTX_new)                                                            \
  X(EVP_MD_CTX_free)                                                           \
  X(EVP_DigestSignInit)                                                        \
  X(EVP_DigestSign)                                                            \
  X(EVP_sha256)

LAZY_DEFINE(lazy_crypto_spec, CRIER_SONAME_CRYPTO,
            "needed to sign Meetup tokens", CRYPTO_FUNCS);
#define FN(f) LAZY_FN(LAZY_CRYPTO, f)

BIO *BIO_new_mem_buf(const void *buf, int len)
{
  return FN(BIO_new_mem_buf)(buf, len);
}

int BIO_free(BIO *b)
{
  return FN(BIO_free)(b);
}

EVP_PKEY *PEM_read_bio_PrivateKey(BIO *b, EVP_PKEY **x, pem_password_cb *cb,
                                  void *u)
{
  return FN(PEM_read_bio_PrivateKey)(b, x, cb, u);
}

int EVP_PKEY_get_base_id(const EVP_PKEY *k)
{
  return FN(EVP_PKEY_get_base_id)(k);
}

void EVP_PKEY_free(EVP_PKEY *k)
{
  FN(EVP_PKEY_free)(k);
}

EVP_MD_CTX *EVP_MD_CTX_new(void)
{
  return FN(EVP_MD_CTX_new)();
}

void EVP_MD_CTX_free(EVP_MD_CTX *c)
{
  FN(EVP_MD_CTX_free)(c);
}

int EVP_DigestSignInit(EVP_MD_CTX *c, EVP_PKEY_CTX **pc, const EVP_MD *t,
                       ENGINE *e, EVP_PKEY *k)
{
  return FN(EVP_DigestSignInit)(c, pc, t, e, k);
}

int EVP_DigestSign(EVP_MD_CTX *c, unsigned char *sig, size_t *siglen,
                   const unsigned char *tbs, size_t tbslen)
{
  return FN(EVP_DigestSign)(c, sig, siglen, tbs, tbslen);
}

const EVP_MD *EVP_sha256(void)
{
  return FN(EVP_sha256)();
}

void lazy_crypto_no_atexit(void)
{
  void *h = dlopen(CRIER_SONAME_CRYPTO, RTLD_LAZY | RTLD_NOLOAD);
  if (!h)
    return; /* libcurl did not bring it: nothing to ask */
  void *sym = dlsym(h, "OPENSSL_init_crypto");
  if (sym) {
    __typeof__(&OPENSSL_init_crypto) init;
    memcpy(&init, &sym, sizeof(sym));
    init(OPENSSL_INIT_NO_ATEXIT, NULL);
  }
  dlclose(h);
}
