/* The message builder: RFC 2047 words of at most 75 characters that never
 * split a UTF-8 sequence, quoted-printable lines of at most 76, addresses,
 * and iCalendar folding and escaping. */
#include "harness.h"

#include <stdlib.h>

#include "mail.h"
#include "util.h"
#include "when.h"

/* Every line of s (split at CRLF) is at most max bytes. */
static bool lines_within(const char *s, size_t max)
{
  const char *p = s;
  while (*p) {
    const char *e = strstr(p, "\r\n");
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n > max)
      return false;
    p += n + (e ? 2 : 0);
  }
  return true;
}

int main(void)
{
  struct err e;
  when_set_zone("Europe/Berlin", &e);
  struct buf b = BUF_INIT;
  mail_header(&b, "Subject", "plain ASCII");
  STR_EQ(b.data, "Subject: plain ASCII\r\n");
  buf_reset(&b);
  mail_header(&b, "Subject", "Glühwein");
  STR_EQ(b.data, "Subject: =?UTF-8?Q?Gl=C3=BChwein?=\r\n");
  buf_reset(&b);
  /* a long German subject: words ≤ 75, no split sequence */
  const char *long_subject = "Übermorgen: Glühwein & Lifetimes – Köln, "
                             "Mittwoch, 4. Dezember 2030, 19:30 Uhr (MEZ) "
                             "äöüÄÖÜß€ “Zitat” 🎄🎄🎄";
  mail_header(&b, "Subject", long_subject);
  int words = 0;
  for (const char *p = strstr(b.data, "=?UTF-8?Q?"); p;
       p = strstr(p + 1, "=?UTF-8?Q?")) {
    const char *end = strstr(p + 10, "?=");
    OK(end && (size_t)(end + 2 - p) <= 75, "word of %zu chars",
       end ? (size_t)(end + 2 - p) : 0);
    /* a word must not end inside a sequence: its last escaped byte is
     * not a lead or continuation byte left open */
    words++;
  }
  OK(words > 2, "folded into %d words", words);
  OK(lines_within(b.data, 84), "short lines");
  /* decode by hand: concatenating the words gives the original bytes */
  struct buf dec = BUF_INIT;
  for (const char *p = strstr(b.data, "=?UTF-8?Q?"); p;
       p = strstr(p, "=?UTF-8?Q?")) {
    p += 10;
    const char *end = strstr(p, "?=");
    struct buf word = BUF_INIT;
    for (const char *q = p; q < end; q++) {
      if (*q == '_')
        buf_addc(&word, ' ');
      else if (*q == '=') {
        char hex[3] = {q[1], q[2], 0};
        buf_addc(&word, (char)strtol(hex, NULL, 16));
        q += 2;
      } else
        buf_addc(&word, *q);
    }
    int line;
    const char *why;
    OK(utf8_check(word.data, word.len, &line, &why) == 0,
       "each word is valid UTF-8 on its own");
    buf_add(&dec, word.data, word.len);
    buf_release(&word);
    p = end;
  }
  STR_EQ(dec.data, long_subject);
  buf_release(&dec);

  buf_reset(&b);
  struct buf line = BUF_INIT;
  for (int i = 0; i < 30; i++)
    buf_adds(&line, "Glühwein=gut. ");
  buf_adds(&line, "\n.leading dot\ntrailing space \nend");
  mail_qp(&b, line.data);
  OK(lines_within(b.data, 76), "qp lines ≤ 76");
  OK(strstr(b.data, "=3D") != NULL, "= is encoded");
  OK(strstr(b.data, "\r\n=2Eleading") != NULL, "a leading dot is encoded");
  OK(strstr(b.data, "space=20\r\n") != NULL, "trailing space encoded");
  buf_release(&line);

  char *a = mail_address("\"Kölner Treff\" <crier@treff.example>");
  STR_EQ(a, "crier@treff.example");
  free(a);
  a = mail_address("plain@example.org");
  STR_EQ(a, "plain@example.org");
  free(a);
  OK(mail_address("no address") == NULL, "no @");
  OK(mail_address("a@b\r\nBcc: x@y") == NULL, "no header injection");

  buf_reset(&b);
  const char *to[] = {"Mitglieder <list@x.example>", "b@x.example"};
  struct mail m = {.from = "Kölner Rust-Treff <crier@x.example>", .to = to,
                   .nto = 2, .subject = "Erinnerung: morgen Abend",
                   .text = "Hallo\n\nBis morgen!", .html = "<p>Hallo</p>",
                   .message_id = "abc123@x.example", .language = "de",
                   .date = 1733333333, .ics = "BEGIN:VCALENDAR\r\n"};
  mail_build(&m, &b);
  OK(strstr(b.data, "From: =?UTF-8?Q?K=C3=B6lner_Rust-Treff?= "
                    "<crier@x.example>\r\n") != NULL, "%s", b.data);
  OK(strstr(b.data, "To: \"Mitglieder\" <list@x.example>,\r\n b@x.example"),
     "To list");
  OK(strstr(b.data, "Date: Wed, 4 Dec 2024 18:28:53 +0100\r\n"), "Date");
  OK(strstr(b.data, "Message-ID: <abc123@x.example>\r\n"), "Message-ID");
  OK(strstr(b.data, "Auto-Submitted: auto-generated\r\n"), "Auto-Submitted");
  OK(strstr(b.data, "Content-Language: de\r\n"), "Content-Language");
  OK(strstr(b.data, "text/plain") < strstr(b.data, "text/html"),
     "text before HTML");
  OK(strstr(b.data, "text/calendar; method=PUBLISH"), "calendar part");
  OK(lines_within(b.data, 998), "no line over 998");

  buf_reset(&b);
  struct ical_event ev = {
      .uid = "2030-12-04-x@x.example", .start = 1922639400,
      .end = 1922650200, .stamp = 1733333333,
      .summary = "Glühwein; Traits, and \\ more – a very long summary that "
                 "needs folding because it is long, Köln äöü",
      .location = "Keller, Köln", .url = "https://x.example/e"};
  ical_build(&ev, &b);
  OK(strstr(b.data, "DTSTART:20301204T183000Z\r\n"), "%s", b.data);
  OK(strstr(b.data, "SUMMARY:Glühwein\\; Traits\\, and \\\\ more"), "escaped");
  OK(strstr(b.data, "LOCATION:Keller\\, Köln\r\n"), "location");
  OK(lines_within(b.data, 75), "folded at 75 octets");
  OK(strstr(b.data, "\r\n ") != NULL, "continuation lines start with a space");
  OK(strstr(b.data, "STATUS:CONFIRMED"), "status");
  buf_release(&b);
  return t_summary();
}
