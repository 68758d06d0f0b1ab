/* Fuzz target: the message and iCalendar builders with hostile subjects,
 * names and bodies: no header line may break out (a CR or LF in a value),
 * encoded-words stay within 75 characters, iCalendar lines within 75
 * octets. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = malloc(size + 1);
  memcpy(s, data, size);
  s[size] = '\0';
  struct buf h = BUF_INIT;
  mail_header(&h, "Subject", s);
  /* every line break is a fold: CRLF followed by a space */
  for (const char *p = strstr(h.data, "\r\n"); p; p = strstr(p + 2, "\r\n"))
    if (p[2] && p[2] != ' ')
      abort();
  for (const char *p = strstr(h.data, "=?UTF-8?Q?"); p;
       p = strstr(p + 1, "=?UTF-8?Q?")) {
    const char *end = strstr(p + 10, "?=");
    if (!end || end + 2 - p > 75)
      abort();
  }
  const char *to[] = {s, "b@example.org"};
  struct mail m = {.from = s, .to = to, .nto = 2, .subject = s, .text = s,
                   .html = s, .message_id = "id@x", .language = "de",
                   .date = 1700000000, .ics = NULL};
  struct buf out = BUF_INIT;
  mail_build(&m, &out);
  struct ical_event ev = {.uid = "u@x", .start = 1700000000,
                          .end = 1700003600, .stamp = 1700000000,
                          .summary = s, .location = s, .description = s,
                          .url = "https://x"};
  struct buf cal = BUF_INIT;
  ical_build(&ev, &cal);
  for (const char *p = cal.data; *p;) {
    const char *e = strstr(p, "\r\n");
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n > 75)
      abort();
    p += n + (e ? 2 : 0);
  }
  free(mail_address(s));
  free(mail_display_name(s));
  buf_release(&h);
  buf_release(&out);
  buf_release(&cal);
  free(s);
  return 0;
}
