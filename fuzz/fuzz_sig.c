/* Fuzz target: signature verification with hostile ids, timestamps,
 * signature lists and keys (the input split at the first three '\n'). A
 * signature crier made must always verify. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = malloc(size + 1);
  memcpy(s, data, size);
  s[size] = '\0';
  char *parts[4] = {s, "", "", ""};
  for (int i = 1; i < 4; i++) {
    char *nl = strchr(parts[i - 1], '\n');
    if (!nl)
      break;
    *nl = '\0';
    parts[i] = nl + 1;
  }
  struct err e;
  const char *key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  sig_verify(key, parts[0], 1700000000, parts[1], parts[2], strlen(parts[2]),
             1700000000, &e);
  sig_verify(parts[3], parts[0], 1700000000, parts[1], parts[2],
             strlen(parts[2]), 1700000000, &e);
  sig_github_verify(parts[3], parts[1], parts[2], strlen(parts[2]), &e);
  struct buf out = BUF_INIT;
  if (sig_sign(key, parts[0], 1700000000, parts[2], strlen(parts[2]), &out,
               &e) == 0 &&
      sig_verify(key, parts[0], 1700000000, out.data, parts[2],
                 strlen(parts[2]), 1700000000, &e) != 0)
    abort();
  buf_release(&out);
  free(s);
  return 0;
}
