#include "sig.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util.h"

static void init(void)
{
  if (sodium_init() < 0)
    abort();
}

/* Decodes the base64 after prefix into out (at most cap bytes). */
static int key_bytes(const char *key, const char *prefix, unsigned char *out,
                     size_t cap, size_t *len)
{
  size_t pl = strlen(prefix);
  if (strncmp(key, prefix, pl) != 0)
    return -1;
  const char *b64 = key + pl;
  if (sodium_base642bin(out, cap, b64, strlen(b64), NULL, len, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return -1;
  return 0;
}

static void signed_content(struct buf *m, const char *id, long long ts,
                           const void *body, size_t len)
{
  buf_addf(m, "%s.%lld.", id, ts);
  buf_add(m, body, len);
}

static void hmac(const unsigned char *key, size_t klen, const void *msg,
                 size_t len, unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key, klen);
  crypto_auth_hmacsha256_update(&st, msg, len);
  crypto_auth_hmacsha256_final(&st, mac);
  explicit_bzero(&st, sizeof(st));
}

/* The ed25519 secret key from whsk_ (64 bytes, or a 32-byte seed). */
static int ed_secret(const char *key, unsigned char sk[64])
{
  unsigned char raw[64];
  size_t n;
  if (key_bytes(key, "whsk_", raw, sizeof(raw), &n) < 0)
    return -1;
  unsigned char pk[32];
  if (n == 32)
    crypto_sign_seed_keypair(pk, sk, raw);
  else if (n == 64)
    memcpy(sk, raw, 64);
  else
    return -1;
  explicit_bzero(raw, sizeof(raw));
  return 0;
}

int sig_sign(const char *key, const char *id, long long ts, const void *body,
             size_t len, struct buf *out, struct err *e)
{
  init();
  struct buf m = BUF_INIT;
  signed_content(&m, id, ts, body, len);
  int rc = 0;
  if (strncmp(key, "whsec_", 6) == 0) {
    unsigned char k[256], mac[crypto_auth_hmacsha256_BYTES];
    size_t kl;
    if (key_bytes(key, "whsec_", k, sizeof(k), &kl) < 0 || kl == 0) {
      rc = err_set(e, EX_DATAERR, "the whsec_ secret is not valid base64");
    } else {
      hmac(k, kl, m.data, m.len, mac);
      buf_adds(out, "v1,");
      buf_add_base64(out, mac, sizeof(mac), false);
    }
    explicit_bzero(k, sizeof(k));
  } else if (strncmp(key, "whsk_", 5) == 0) {
    unsigned char sk[64], sig[crypto_sign_BYTES];
    if (ed_secret(key, sk) < 0) {
      rc = err_set(e, EX_DATAERR,
                   "the whsk_ key is not base64 of a 32- or "
                   "64-byte ed25519 key");
    } else {
      crypto_sign_detached(sig, NULL, (const unsigned char *)m.data, m.len, sk);
      buf_adds(out, "v1a,");
      buf_add_base64(out, sig, sizeof(sig), false);
    }
    explicit_bzero(sk, sizeof(sk));
  } else {
    rc = err_set(e, EX_DATAERR, "a signing key starts with whsec_ or whsk_");
  }
  buf_release(&m);
  return rc;
}

int sig_verify(const char *key, const char *id, long long ts, const char *sigs,
               const void *body, size_t len, time_t now, struct err *e)
{
  init();
  /* a header's number may be anything: refuse what no clock shows before
   * any arithmetic on it */
  if (ts < 0 || ts > SIG_TS_MAX || now < 0)
    return err_set(e, EX_DATAERR, "the timestamp %lld is out of range", ts);
  long long skew = (long long)now - ts;
  if (skew > SIG_TOLERANCE || skew < -SIG_TOLERANCE)
    return err_set(e, EX_DATAERR,
                   "the timestamp is %lld seconds %s now "
                   "(more than %d)",
                   skew < 0 ? -skew : skew, skew < 0 ? "ahead of" : "behind",
                   SIG_TOLERANCE);
  bool hmac_key = strncmp(key, "whsec_", 6) == 0;
  unsigned char k[256], pk[32];
  size_t kl = 0;
  if (hmac_key) {
    if (key_bytes(key, "whsec_", k, sizeof(k), &kl) < 0 || !kl)
      return err_set(e, EX_DATAERR, "the whsec_ secret is not valid base64");
  } else if (strncmp(key, "whpk_", 5) == 0) {
    if (key_bytes(key, "whpk_", pk, sizeof(pk), &kl) < 0 || kl != 32)
      return err_set(e, EX_DATAERR,
                     "the whpk_ key is not base64 of 32 "
                     "bytes");
  } else if (strncmp(key, "whsk_", 5) == 0) {
    unsigned char sk[64];
    if (ed_secret(key, sk) < 0)
      return err_set(e, EX_DATAERR, "the whsk_ key is not valid");
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    explicit_bzero(sk, sizeof(sk));
  } else {
    return err_set(e, EX_DATAERR, "a key starts with whsec_, whpk_ or whsk_");
  }
  struct buf m = BUF_INIT;
  signed_content(&m, id, ts, body, len);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  if (hmac_key)
    hmac(k, kl, m.data, m.len, mac);
  explicit_bzero(k, sizeof(k));
  bool ok = false;
  const char *p = sigs;
  while (*p && !ok) {
    while (*p == ' ')
      p++;
    size_t n = strcspn(p, " ");
    const char *comma = memchr(p, ',', n);
    if (comma) {
      size_t vl = (size_t)(comma - p);
      unsigned char got[128];
      size_t gl;
      if (sodium_base642bin(got, sizeof(got), comma + 1, n - vl - 1, NULL, &gl,
                            NULL, sodium_base64_VARIANT_ORIGINAL) == 0) {
        if (hmac_key && vl == 2 && memcmp(p, "v1", 2) == 0 && gl == sizeof(mac))
          ok = sodium_memcmp(got, mac, sizeof(mac)) == 0;
        else if (!hmac_key && vl == 3 && memcmp(p, "v1a", 3) == 0 &&
                 gl == crypto_sign_BYTES)
          ok = crypto_sign_verify_detached(got, (const unsigned char *)m.data,
                                           m.len, pk) == 0;
      }
    }
    p += n;
  }
  buf_release(&m);
  if (!ok)
    return err_set(e, EX_DATAERR, "no valid %s signature",
                   hmac_key ? "v1" : "v1a");
  return 0;
}

void sig_github(const char *secret, const void *body, size_t len,
                struct buf *out)
{
  init();
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  hmac((const unsigned char *)secret, strlen(secret), body, len, mac);
  char hex[2 * sizeof(mac) + 1];
  sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
  buf_addf(out, "sha256=%s", hex);
}

int sig_github_verify(const char *secret, const char *header, const void *body,
                      size_t len, struct err *e)
{
  struct buf want = BUF_INIT;
  sig_github(secret, body, len, &want);
  bool ok = strlen(header) == want.len &&
            sodium_memcmp(header, want.data, want.len) == 0;
  buf_release(&want);
  if (!ok)
    return err_set(e, EX_DATAERR, "the X-Hub-Signature-256 does not match");
  return 0;
}

void sig_keygen_hmac(struct buf *secret)
{
  init();
  unsigned char k[32];
  randombytes_buf(k, sizeof(k));
  buf_adds(secret, "whsec_");
  buf_add_base64(secret, k, sizeof(k), false);
  explicit_bzero(k, sizeof(k));
}

void sig_keygen_ed25519(struct buf *secret, struct buf *public_key)
{
  init();
  unsigned char pk[32], sk[64];
  crypto_sign_keypair(pk, sk);
  buf_adds(secret, "whsk_");
  buf_add_base64(secret, sk, sizeof(sk), false);
  buf_adds(public_key, "whpk_");
  buf_add_base64(public_key, pk, sizeof(pk), false);
  explicit_bzero(sk, sizeof(sk));
}
