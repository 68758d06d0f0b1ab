#include "jwt.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "lazy.h"
#include "util.h"

static void b64url_json(struct buf *out, json_t *j)
{
  char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
  buf_add_base64(out, s, strlen(s), true);
  free(s);
}

int jwt_sign_rs256(const char *pem, const char *key_id, const char *subject,
                   const char *issuer, const char *audience, time_t iat,
                   long lifetime, struct buf *out, struct err *e)
{
  if (sodium_init() < 0)
    abort();
  if (lazy_load(LAZY_CRYPTO, e) < 0)
    return -1;
  int rc = -1;
  EVP_PKEY *key = NULL;
  EVP_MD_CTX *md = NULL;
  unsigned char *sig = NULL;
  struct buf input = BUF_INIT;
  BIO *bio = BIO_new_mem_buf(pem, -1);
  if (bio)
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  BIO_free(bio);
  if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    err_set(e, EX_CONFIG,
            "the Meetup private key is not an RSA key in PEM "
            "form");
    goto out;
  }
  json_t *h =
      json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "kid", key_id);
  json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I}", "sub", subject, "iss",
                        issuer, "aud", audience, "iat", (json_int_t)iat, "exp",
                        (json_int_t)(iat + lifetime));
  b64url_json(&input, h);
  buf_addc(&input, '.');
  b64url_json(&input, c);
  json_decref(h);
  json_decref(c);
  md = EVP_MD_CTX_new();
  size_t len = 0;
  if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
      EVP_DigestSign(md, NULL, &len, (const unsigned char *)input.data,
                     input.len) != 1) {
    err_set(e, EX_CONFIG, "cannot sign with the Meetup private key");
    goto out;
  }
  sig = malloc(len);
  if (!sig)
    abort();
  if (EVP_DigestSign(md, sig, &len, (const unsigned char *)input.data,
                     input.len) != 1) {
    err_set(e, EX_CONFIG, "cannot sign with the Meetup private key");
    goto out;
  }
  buf_add(out, input.data, input.len);
  buf_addc(out, '.');
  buf_add_base64(out, sig, len, true);
  rc = 0;
out:
  free(sig);
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  buf_release(&input);
  return rc;
}
