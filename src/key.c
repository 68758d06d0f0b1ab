#include "key.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void delivery_key(const char *event, const char *notice, const char *channel,
                  const char *lang, const char *extra, char out[65])
{
  crypto_hash_sha256_state st;
  if (sodium_init() < 0)
    abort();
  crypto_hash_sha256_init(&st);
  const char *parts[] = {event, notice, channel, lang, extra};
  for (size_t i = 0; i < 5; i++) {
    if (!parts[i])
      continue;
    crypto_hash_sha256_update(&st, (const unsigned char *)parts[i],
                              strlen(parts[i]) + 1);
  }
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, h);
  sodium_bin2hex(out, 65, h, sizeof(h));
}
