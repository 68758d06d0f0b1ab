#ifndef CRIER_SIG_H
#define CRIER_SIG_H
/*
 * Webhook signatures. Standard Webhooks 1.0: "v1,<base64 HMAC-SHA256>" over
 * "{id}.{timestamp}.{body}" with the key base64-decoded from "whsec_…",
 * and "v1a,<base64 ed25519 signature>" with "whsk_…" (base64 of the 64-byte
 * secret key, or of its 32-byte seed) / "whpk_…" (base64 of the 32-byte
 * public key). GitHub: "sha256=<hex HMAC-SHA256(secret, body)>".
 * Verification compares in constant time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

#define SIG_TOLERANCE 300         /* seconds a timestamp may be off */
#define SIG_TS_MAX 253402300799LL /* 9999-12-31T23:59:59Z: later is refused */

/* Appends the signature of id.timestamp.body under key (whsec_ → v1,
 * whsk_ → v1a) to out. Fails with EX_DATAERR for a malformed key. */
int sig_sign(const char *key, const char *id, long long timestamp,
             const void *body, size_t len, struct buf *out, struct err *e);

/* 0 when one of the space-separated signatures in sigs is valid under key
 * (whsec_ checks v1, whpk_ or whsk_ checks v1a) and timestamp is within
 * SIG_TOLERANCE of now; else -1 with the reason. */
int sig_verify(const char *key, const char *id, long long timestamp,
               const char *sigs, const void *body, size_t len, time_t now,
               struct err *e);

/* GitHub's X-Hub-Signature-256 value for body. */
void sig_github(const char *secret, const void *body, size_t len,
                struct buf *out);
int sig_github_verify(const char *secret, const char *header, const void *body,
                      size_t len, struct err *e);

/* New keys: "whsec_" + 32 random bytes; or a whsk_/whpk_ pair. */
void sig_keygen_hmac(struct buf *secret);
void sig_keygen_ed25519(struct buf *secret, struct buf *public_key);

#endif
