/* crier webhook: signature helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "secret.h"
#include "sig.h"
#include "util.h"
#include "when.h"

static const struct cmd_help help = {
    "webhook",
    "keygen [--ed25519]\n"
    "       crier webhook sign (--secret-env NAME | --secret-file PATH)\n"
    "                          --id ID --timestamp TS [FILE]\n"
    "       crier webhook verify (--secret-env NAME | --secret-file PATH)\n"
    "                          --id ID --timestamp TS --signature SIGS\n"
    "                          [--now TIME] [FILE]\n"
    "       crier webhook verify --github (--secret-env NAME | --secret-file\n"
    "                          PATH) --signature sha256=HEX [FILE]",
    "keygen prints a new whsec_ secret (Standard Webhooks v1, HMAC-SHA256),\n"
    "or with --ed25519 a whsk_ signing key and a whpk_ public key (v1a).\n"
    "sign prints the webhook-signature value for the bytes of FILE (or\n"
    "standard input). verify exits 0 when one of the space-separated\n"
    "signatures is valid and the timestamp is within 5 minutes, else 1 with\n"
    "the reason; --github checks an X-Hub-Signature-256 value instead.\n"
    "Secrets are read from the environment or a file, never from the\n"
    "command line.\n",
    NULL};

static int read_input(const char *path, struct buf *out, struct err *e)
{
  if (path)
    return file_read(path, (size_t)16 << 20, out, e);
  char tmp[65536];
  size_t n;
  while ((n = fread(tmp, 1, sizeof(tmp), stdin)) > 0) {
    buf_add(out, tmp, n);
    if (out->len > ((size_t)16 << 20))
      return err_set(e, EX_DATAERR, "standard input is larger than 16 MiB");
  }
  return 0;
}

int cmd_webhook(struct app *a, int argc, char **argv)
{
  bool ed = false, github = false;
  const char *env = NULL, *file = NULL, *id = NULL, *ts = NULL, *sigs = NULL;
  const struct opt opts[] = {
      OPT_BOOL(0, "--ed25519", &ed, "keygen: an ed25519 key pair (v1a)"),
      OPT_BOOL(0, "--github", &github,
               "verify: a GitHub X-Hub-Signature-256 value"),
      OPT_STRING(0, "--secret-env", &env, "NAME",
                 "the secret or key from this environment variable"),
      OPT_STRING(0, "--secret-file", &file, "PATH",
                 "the secret or key from this file (mode 600)"),
      OPT_STRING(0, "--id", &id, "ID", "the webhook-id"),
      OPT_STRING(0, "--timestamp", &ts, "TS",
                 "the webhook-timestamp (unix seconds)"),
      OPT_STRING(0, "--signature", &sigs, "SIGS",
                 "verify: the webhook-signature value"),
      OPT_END()};
  const char **pos;
  int npos, rc;
  if (!cli_args(a, argc, argv, opts, &help, 1, 2, &pos, &npos, &rc))
    return rc;
  const char *verb = pos[0], *path = npos > 1 ? pos[1] : NULL;
  free(pos);
  struct err e;
  if (strcmp(verb, "keygen") == 0) {
    struct buf s = BUF_INIT, p = BUF_INIT;
    if (ed) {
      sig_keygen_ed25519(&s, &p);
      printf("%s\n%s\n", s.data, p.data);
    } else {
      sig_keygen_hmac(&s);
      printf("%s\n", s.data);
    }
    secret_wipe(&s);
    buf_release(&p);
    return 0;
  }
  if (strcmp(verb, "sign") != 0 && strcmp(verb, "verify") != 0) {
    fprintf(stderr, "crier webhook: unknown action '%s'\n", verb);
    cli_usage(stderr, &help, opts);
    return EX_USAGE;
  }
  if (!!env == !!file) {
    fprintf(stderr, "crier webhook %s: give --secret-env or --secret-file\n",
            verb);
    return EX_USAGE;
  }
  bool need_id = !(strcmp(verb, "verify") == 0 && github);
  if (need_id && (!id || !ts)) {
    fprintf(stderr, "crier webhook %s: give --id and --timestamp\n", verb);
    return EX_USAGE;
  }
  if (strcmp(verb, "verify") == 0 && !sigs) {
    fprintf(stderr, "crier webhook verify: give --signature\n");
    return EX_USAGE;
  }
  char *end = NULL;
  long long t = ts ? strtoll(ts, &end, 10) : 0;
  if (ts && (!*ts || *end)) {
    fprintf(stderr, "crier webhook %s: --timestamp must be unix seconds\n",
            verb);
    return EX_USAGE;
  }
  struct secret_ref ref = {env ? SECRET_ENV : SECRET_FILE,
                           (char *)(env ? env : file)};
  struct buf key = BUF_INIT, body = BUF_INIT, out = BUF_INIT;
  rc = 0;
  if (secret_get(&ref, "the key", &key, &e) < 0 ||
      read_input(path, &body, &e) < 0) {
    cli_error("%s", e.msg);
    rc = e.code;
    goto out;
  }
  if (strcmp(verb, "sign") == 0) {
    if (sig_sign(key.data, id, t, body.data, body.len, &out, &e) < 0) {
      cli_error("%s", e.msg);
      rc = e.code;
    } else {
      printf("%s\n", out.data);
    }
    goto out;
  }
  time_t now;
  if (a->now_arg) {
    if (when_parse_now(a->now_arg, &now, &e) < 0) {
      cli_error("--now: %s", e.msg);
      rc = EX_USAGE;
      goto out;
    }
  } else if (when_now(&now, &e) < 0) {
    cli_error("%s", e.msg);
    rc = EX_USAGE;
    goto out;
  }
  int ok =
      github ? sig_github_verify(key.data, sigs, body.data, body.len, &e)
             : sig_verify(key.data, id, t, sigs, body.data, body.len, now, &e);
  if (ok < 0) {
    fprintf(stderr, "crier: invalid: %s\n", e.msg);
    rc = 1;
  } else if (!a->quiet) {
    fprintf(stderr, "crier: valid\n");
  }
out:
  secret_wipe(&key);
  buf_release(&body);
  buf_release(&out);
  return rc;
}
