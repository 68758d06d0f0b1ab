/* crier state: where the state is, and sealing a file of it for CI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "secret.h"
#include "util.h"

static const struct cmd_help help = {
    "state",
    "paths [--json]\n"
    "       crier state seal [--key-env NAME] IN OUT\n"
    "       crier state unseal [--key-env NAME] IN OUT",
    "paths prints where crier keeps its state for the config (the journal,\n"
    "its tokens file: the rotating Meetup refresh token) and where the\n"
    "events are, one 'name path' line each (--json: an object).\n"
    "seal encrypts the file IN into OUT with the key in the environment\n"
    "variable NAME (default CRIER_STATE_KEY: the base64 of 32 random\n"
    "bytes, such as 'openssl rand -base64 32' prints), so that OUT can be\n"
    "kept where others may read it; unseal decrypts it, and refuses a file\n"
    "that was altered or sealed with another key. OUT is written with mode\n"
    "600 and replaced at once. The cipher is libsodium's secretbox\n"
    "(XSalsa20-Poly1305) with a random nonce.\n",
    "Exit status: 0 done, 64 usage, 65 IN is not sealed or does not open\n"
    "with the key, 66 IN cannot be read, 73 or 74 OUT cannot be written,\n"
    "78 the key is missing or is not the base64 of 32 bytes.\n"};

static const char magic[8] = {'c', 'r', 'i', 'e', 'r', 'S', 'B', '1'};
#define SEAL_MAX ((size_t)1 << 20)

/* The key from the environment variable name, into key. */
static int read_key(const char *name,
                    unsigned char key[crypto_secretbox_KEYBYTES], struct err *e)
{
  struct secret_ref ref = {SECRET_ENV, (char *)name};
  struct buf text = BUF_INIT;
  int rc = -1;
  size_t n = 0;
  if (secret_get(&ref, "the state key", &text, e) < 0)
    goto out;
  buf_rtrim(&text);
  if (sodium_base642bin(key, crypto_secretbox_KEYBYTES, text.data, text.len,
                        NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      n != crypto_secretbox_KEYBYTES) {
    explicit_bzero(key, crypto_secretbox_KEYBYTES);
    err_set(e, EX_CONFIG,
            "$%s is not the base64 of %d bytes (make one with "
            "'openssl rand -base64 32')",
            name, crypto_secretbox_KEYBYTES);
    goto out;
  }
  rc = 0;
out:
  secret_wipe(&text);
  return rc;
}

static int seal(const char *key_env, bool open, const char *in, const char *out,
                struct err *e)
{
  unsigned char key[crypto_secretbox_KEYBYTES];
  struct buf src = BUF_INIT, dst = BUF_INIT;
  int rc = -1;
  if (sodium_init() < 0) {
    err_set(e, EX_SOFTWARE, "libsodium does not start");
    goto out;
  }
  if (read_key(key_env, key, e) < 0)
    goto out;
  if (file_read(in, SEAL_MAX + 64, &src, e) < 0)
    goto wipe;
  size_t head = sizeof(magic) + crypto_secretbox_NONCEBYTES;
  if (!open) {
    if (src.len > SEAL_MAX) {
      err_set(e, EX_DATAERR, "%s: larger than 1 MiB", in);
      goto wipe;
    }
    unsigned char nonce[crypto_secretbox_NONCEBYTES];
    randombytes_buf(nonce, sizeof(nonce));
    buf_add(&dst, magic, sizeof(magic));
    buf_add(&dst, nonce, sizeof(nonce));
    size_t n = src.len + crypto_secretbox_MACBYTES;
    buf_grow(&dst, n);
    crypto_secretbox_easy((unsigned char *)dst.data + head,
                          (const unsigned char *)src.data, src.len, nonce, key);
    dst.len = head + n;
    dst.data[dst.len] = '\0';
  } else {
    if (src.len < head + crypto_secretbox_MACBYTES ||
        memcmp(src.data, magic, sizeof(magic)) != 0) {
      err_set(e, EX_DATAERR, "%s is not a file crier sealed", in);
      goto wipe;
    }
    size_t n = src.len - head - crypto_secretbox_MACBYTES;
    buf_grow(&dst, n);
    if (crypto_secretbox_open_easy(
            (unsigned char *)dst.data, (const unsigned char *)src.data + head,
            src.len - head, (const unsigned char *)src.data + sizeof(magic),
            key) != 0) {
      err_set(e, EX_DATAERR,
              "%s does not open with $%s (altered, or sealed "
              "with another key)",
              in, key_env);
      goto wipe;
    }
    dst.len = n;
    dst.data[n] = '\0';
  }
  rc = file_replace(out, dst.data, dst.len, 0600, e);
wipe:
  explicit_bzero(key, sizeof(key));
out:
  secret_wipe(&src);
  secret_wipe(&dst);
  return rc;
}

static int paths(struct app *a)
{
  int rc = cli_load_config(a);
  if (rc)
    return rc;
  struct buf tokens = BUF_INIT;
  buf_addf(&tokens, "%s.tokens", a->cfg.journal);
  if (a->json)
    cli_json_out(json_pack("{s:s, s:s, s:s, s:s}", "config", a->config_path,
                           "journal", a->cfg.journal, "tokens", tokens.data,
                           "events", a->cfg.events_dir));
  else
    printf("config %s\njournal %s\ntokens %s\nevents %s\n", a->config_path,
           a->cfg.journal, tokens.data, a->cfg.events_dir);
  buf_release(&tokens);
  return 0;
}

int cmd_state(struct app *a, int argc, char **argv)
{
  const char *key_env = "CRIER_STATE_KEY";
  const struct opt opts[] = {
      OPT_STRING(0, "--key-env", &key_env, "NAME",
                 "seal, unseal: the key from this environment\n"
                 "variable (default CRIER_STATE_KEY)"),
      OPT_END()};
  const char **pos;
  int npos, rc;
  if (!cli_args(a, argc, argv, opts, &help, 1, 3, &pos, &npos, &rc))
    return rc;
  const char *verb = pos[0];
  bool is_seal = strcmp(verb, "seal") == 0,
       is_unseal = strcmp(verb, "unseal") == 0;
  if (strcmp(verb, "paths") == 0 && npos == 1) {
    free(pos);
    return paths(a);
  }
  if (!(is_seal || is_unseal) || npos != 3) {
    fprintf(stderr, "crier state: expected paths, or seal or unseal with IN "
                    "and OUT\n");
    cli_usage(stderr, &help, opts);
    free(pos);
    return EX_USAGE;
  }
  struct err e;
  rc = seal(key_env, is_unseal, pos[1], pos[2], &e);
  free(pos);
  if (rc < 0) {
    cli_error("%s", e.msg);
    return e.code;
  }
  return 0;
}
