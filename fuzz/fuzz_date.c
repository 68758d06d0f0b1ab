/* Fuzz target: dates, "now" and durations; a parsed date must format and
 * parse back to the same instant. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evdate.h"
#include "when.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int init;
  struct err e;
  if (!init) {
    when_set_zone("Europe/Berlin", &e);
    init = 1;
  }
  char *s = malloc(size + 1);
  memcpy(s, data, size);
  s[size] = '\0';
  time_t t;
  struct buf warn = BUF_INIT, out = BUF_INIT;
  if (evdate_parse_str(s, &t, &warn, &e) == 0) {
    when_rfc3339(t, &out);
    time_t back;
    if (when_parse_now(out.data, &back, &e) != 0 || back != t)
      abort();
  }
  when_parse_now(s, &t, &e);
  long secs;
  if (when_parse_duration(s, &secs, &e) == 0 && secs > 0)
    (void)when_before(t, secs);
  buf_release(&warn);
  buf_release(&out);
  free(s);
  return 0;
}
