/* Fuzz target: the message and iCalendar builders with hostile subjects,
 * names and bodies: no header line may break out (a CR or LF in a value),
 * encoded-words stay within 75 characters and their lines within 76, other
 * lines within 78 unless one word fills them, iCalendar lines within 75
 * octets, and every iCalendar line a fold or a property of its own (no
 * value breaks out into a line of its own). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ical.h"
#include "mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = malloc(size + 1);
  memcpy(s, data, size);
  s[size] = '\0';
  struct buf h = BUF_INIT;
  mail_header(&h, "Subject", s);
  /* every line break is a fold: CRLF followed by a space; every
   * encoded-word ends within 75 characters. (Plain loops: strstr under
   * ASan measures the whole rest of the string on each call, which made
   * these checks quadratic and the target slow.) */
  for (size_t i = 0; i + 2 < h.len; i++)
    if (h.data[i] == '\r' && h.data[i + 1] == '\n' && h.data[i + 2] != ' ')
      abort();
  for (size_t i = 0; i + 10 <= h.len; i++) {
    if (memcmp(h.data + i, "=?UTF-8?Q?", 10) != 0)
      continue;
    size_t j = i + 10;
    while (j + 1 < h.len && j + 2 - i <= 75 &&
           !(h.data[j] == '?' && h.data[j + 1] == '='))
      j++;
    if (j + 1 >= h.len || j + 2 - i > 75)
      abort();
  }
  /* a line is at most 76 characters when it holds encoded-words, else at
   * most 78, unless it is one word that no fold could shorten */
  for (size_t i = 0, start = 0; i <= h.len; i++) {
    if (i < h.len &&
        !(h.data[i] == '\r' && i + 1 < h.len && h.data[i + 1] == '\n'))
      continue;
    const char *line = h.data + start;
    size_t n = i - start;
    bool enc = false;
    for (size_t k = 0; k + 1 < n; k++)
      enc = enc || (line[k] == '=' && line[k + 1] == '?');
    size_t skip = start == 0 ? strlen("Subject:") : 0;
    while (skip < n && line[skip] == ' ')
      skip++;
    bool one_word = !memchr(line + skip, ' ', n - skip);
    if ((enc && n > 76) || (!enc && n > 78 && !one_word))
      abort();
    start = i + 2;
    i++;
  }
  const char *to[] = {s, "b@example.org"};
  struct mail m = {.from = s,
                   .to = to,
                   .nto = 2,
                   .subject = s,
                   .text = s,
                   .html = s,
                   .message_id = "id@x",
                   .language = "de",
                   .date = 1700000000,
                   .ics = NULL};
  struct buf out = BUF_INIT;
  mail_build(&m, &out);
  struct ical_event ev = {.uid = s,
                          .start = 1700000000,
                          .end = 1700003600,
                          .stamp = 1700000000,
                          .summary = s,
                          .location = s,
                          .description = s,
                          .url = s,
                          .organizer = s};
  struct ical_cal c = {.method = ICAL_PUBLISH, .name = s};
  struct buf cal = BUF_INIT;
  ical_single(&cal, &c, &ev);
  for (size_t i = 0, start = 0; i <= cal.len; i++) {
    bool eol = i == cal.len || (cal.data[i] == '\r' && i + 1 < cal.len &&
                                cal.data[i + 1] == '\n');
    if (!eol) {
      if (cal.data[i] == '\r' || cal.data[i] == '\n')
        abort(); /* a bare CR or LF */
      continue;
    }
    if (i - start > 75)
      abort();
    /* a line is a fold (a space first) or NAME followed by ; or : */
    size_t k = start;
    while (k < i &&
           ((cal.data[k] >= 'A' && cal.data[k] <= 'Z') || cal.data[k] == '-'))
      k++;
    if (i > start && cal.data[start] != ' ' &&
        (k == start || k == i || (cal.data[k] != ':' && cal.data[k] != ';')))
      abort();
    start = i + 2;
    i++;
  }
  free(mail_address(s));
  free(mail_display_name(s));
  buf_release(&h);
  buf_release(&out);
  buf_release(&cal);
  free(s);
  return 0;
}
