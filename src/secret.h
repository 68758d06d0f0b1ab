#ifndef CRIER_SECRET_H
#define CRIER_SECRET_H
/*
 * Secrets: resolved from {env: NAME} or {file: PATH} when a command needs
 * them, kept in their own buffers, and wiped before they are freed. Every
 * resolved secret is remembered so that secret_redact can remove it from
 * anything about to be printed, logged or written to the journal.
 */
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "err.h"

/* Resolves ref into out (replacing its content). A file readable or
 * writable by group or others is refused; a trailing newline is dropped.
 * Fails with EX_CONFIG naming the variable or file, never the value. The
 * value is registered for redaction, and so are, for a URL, its path and
 * its last path segment (a webhook's token). */
int secret_get(const struct secret_ref *ref, const char *what, struct buf *out,
               struct err *e);

/* Remembers s (at least 4 bytes) as a secret to redact. */
void secret_register(const char *s, size_t n);
/* Replaces every registered secret in b with "***", and also whatever
 * looks like a credential: Authorization / X-Postmark-Server-Token header
 * values, "access_token=…", "refresh_token=…", "assertion=…",
 * "client_secret=…", "password=…", whsec_/whsk_ keys, JWTs, and the string
 * value of JSON members named access_token, refresh_token, id_token,
 * client_secret, password, api_key, token, accessJwt, refreshJwt or secret
 * (with any white space around the colon). */
void secret_redact(struct buf *b);
/* The same on a NUL-terminated string, into a new buffer (caller frees). */
char *secret_redacted(const char *s);
/* Wipes and forgets every registered secret (at exit). */
void secret_forget_all(void);
/* Wipes and frees a buffer that held a secret. */
void secret_wipe(struct buf *b);

#endif
