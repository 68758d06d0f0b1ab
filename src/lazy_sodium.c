/* libsodium, opened when crier first hashes, signs, verifies, encrypts or
 * draws a random number (lazy.h): a cron run with nothing due, `check`
 * and `preview` do none of these. Secrets are wiped with explicit_bzero,
 * which needs no library. */
#include "lazy.h"

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define SODIUM_FUNCS(X)                                                        \
  X(sodium_init)                                                               \
  X(sodium_bin2hex)                                                            \
  X(sodium_bin2base64)                                                         \
  X(sodium_base642bin)                                                         \
  X(sodium_memcmp)                                                             \
  X(randombytes_buf)                                                           \
  X(randombytes_random)                                                        \
  X(randombytes_uniform)                                                       \
  X(crypto_hash_sha256)                                                        \
  X(crypto_hash_sha256_init)                                                   \
  X(crypto_hash_sha256_update)                                                 \
  X(crypto_hash_sha256_final)                                                  \
  X(crypto_auth_hmacsha256_init)                                               \
  X(crypto_auth_hmacsha256_update)                                             \
  X(crypto_auth_hmacsha256_final)                                              \
  X(crypto_sign_detached)                                                      \
  X(crypto_sign_verify_detached)                                               \
  X(crypto_sign_keypair)                                                       \
  X(crypto_sign_seed_keypair)                                                  \
  X(crypto_sign_ed25519_sk_to_pk)                                              \
  X(crypto_secretbox_easy)                                                     \
  X(crypto_secretbox_open_easy)

LAZY_DEFINE(lazy_sodium_spec, CRIER_SONAME_SODIUM,
            "needed for hashes, signatures and random numbers", SODIUM_FUNCS);
#define FN(f) LAZY_FN(LAZY_SODIUM, f)

int sodium_init(void)
{
  return FN(sodium_init)();
}

char *sodium_bin2hex(char *const hex, const size_t hex_maxlen,
                     const unsigned char *const bin, const size_t bin_len)
{
  return FN(sodium_bin2hex)(hex, hex_maxlen, bin, bin_len);
}

char *sodium_bin2base64(char *const b64, const size_t b64_maxlen,
                        const unsigned char *const bin, const size_t bin_len,
                        const int variant)
{
  return FN(sodium_bin2base64)(b64, b64_maxlen, bin, bin_len, variant);
}

int sodium_base642bin(unsigned char *const bin, const size_t bin_maxlen,
                      const char *const b64, const size_t b64_len,
                      const char *const ignore, size_t *const bin_len,
                      const char **const b64_end, const int variant)
{
  return FN(sodium_base642bin)(bin, bin_maxlen, b64, b64_len, ignore, bin_len,
                               b64_end, variant);
}

int sodium_memcmp(const void *const b1_, const void *const b2_, size_t len)
{
  return FN(sodium_memcmp)(b1_, b2_, len);
}

void randombytes_buf(void *const buf, const size_t size)
{
  FN(randombytes_buf)(buf, size);
}

uint32_t randombytes_random(void)
{
  return FN(randombytes_random)();
}

uint32_t randombytes_uniform(const uint32_t upper_bound)
{
  return FN(randombytes_uniform)(upper_bound);
}

int crypto_hash_sha256(unsigned char *out, const unsigned char *in,
                       unsigned long long inlen)
{
  return FN(crypto_hash_sha256)(out, in, inlen);
}

int crypto_hash_sha256_init(crypto_hash_sha256_state *state)
{
  return FN(crypto_hash_sha256_init)(state);
}

int crypto_hash_sha256_update(crypto_hash_sha256_state *state,
                              const unsigned char *in, unsigned long long inlen)
{
  return FN(crypto_hash_sha256_update)(state, in, inlen);
}

int crypto_hash_sha256_final(crypto_hash_sha256_state *state,
                             unsigned char *out)
{
  return FN(crypto_hash_sha256_final)(state, out);
}

int crypto_auth_hmacsha256_init(crypto_auth_hmacsha256_state *state,
                                const unsigned char *key, size_t keylen)
{
  return FN(crypto_auth_hmacsha256_init)(state, key, keylen);
}

int crypto_auth_hmacsha256_update(crypto_auth_hmacsha256_state *state,
                                  const unsigned char *in,
                                  unsigned long long inlen)
{
  return FN(crypto_auth_hmacsha256_update)(state, in, inlen);
}

int crypto_auth_hmacsha256_final(crypto_auth_hmacsha256_state *state,
                                 unsigned char *out)
{
  return FN(crypto_auth_hmacsha256_final)(state, out);
}

int crypto_sign_detached(unsigned char *sig, unsigned long long *siglen_p,
                         const unsigned char *m, unsigned long long mlen,
                         const unsigned char *sk)
{
  return FN(crypto_sign_detached)(sig, siglen_p, m, mlen, sk);
}

int crypto_sign_verify_detached(const unsigned char *sig,
                                const unsigned char *m, unsigned long long mlen,
                                const unsigned char *pk)
{
  return FN(crypto_sign_verify_detached)(sig, m, mlen, pk);
}

int crypto_sign_keypair(unsigned char *pk, unsigned char *sk)
{
  return FN(crypto_sign_keypair)(pk, sk);
}

int crypto_sign_seed_keypair(unsigned char *pk, unsigned char *sk,
                             const unsigned char *seed)
{
  return FN(crypto_sign_seed_keypair)(pk, sk, seed);
}

int crypto_sign_ed25519_sk_to_pk(unsigned char *pk, const unsigned char *sk)
{
  return FN(crypto_sign_ed25519_sk_to_pk)(pk, sk);
}

int crypto_secretbox_easy(unsigned char *c, const unsigned char *m,
                          unsigned long long mlen, const unsigned char *n,
                          const unsigned char *k)
{
  return FN(crypto_secretbox_easy)(c, m, mlen, n, k);
}

int crypto_secretbox_open_easy(unsigned char *m, const unsigned char *c,
                               unsigned long long clen, const unsigned char *n,
                               const unsigned char *k)
{
  return FN(crypto_secretbox_open_easy)(m, c, clen, n, k);
}
