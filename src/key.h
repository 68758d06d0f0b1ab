#ifndef CRIER_KEY_H
#define CRIER_KEY_H
/*
 * Idempotency keys. A delivery — one (event, notice, channel, language) —
 * is known everywhere by the hex SHA-256 of those four and an extra part
 * (an update's content, a reminder's start, a cancellation's generation,
 * a nonce for --force). The key is the Matrix transaction id, the GitHub
 * marker, the webhook-id and the mail's Message-ID.
 */

/* Writes the key (64 hex digits and a NUL) to out; extra may be NULL. */
void delivery_key(const char *event, const char *notice, const char *channel,
                  const char *lang, const char *extra, char out[65]);

#endif
