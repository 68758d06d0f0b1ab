/* The message builder: header lines folded at 78 characters (76 with
 * encoded-words), RFC 2047 words of at most 75 characters that never split
 * a UTF-8 sequence, quoted-printable lines of at most 76, addresses,
 * threading headers, EHLO names, and iCalendar folding and escaping. */
#include "harness.h"

#include <stdlib.h>

#include "mail.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

/* Every line of s (split at CRLF) is at most max bytes. */
/* The header section of a message (up to the first empty line). */
static char *head_of(const char *msg)
{
  const char *e = strstr(msg, "\r\n\r\n");
  return xstrndup(msg, e ? (size_t)(e - msg) + 2 : strlen(msg));
}

/* RFC 5322 unfolding: CRLF before white space removed. */
static char *unfold(const char *s)
{
  struct buf b = BUF_INIT;
  for (const char *p = s; *p; p++) {
    if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) {
      p++;
      continue;
    }
    buf_addc(&b, *p);
  }
  return buf_detach(&b);
}

/* Every line with an encoded-word is at most 76 characters, every other
 * line at most 78. */
static bool folded(const char *s)
{
  const char *p = s;
  while (*p) {
    const char *e = strstr(p, "\r\n");
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char *line = xstrndup(p, n);
    bool enc = strstr(line, "=?") != NULL;
    free(line);
    if (n > (enc ? 76u : 78u))
      return false;
    p += n + (e ? 2 : 0);
  }
  return true;
}

/* The decoded text of the Q encoded-words in s, concatenated. */
static char *decode_words(const char *s)
{
  struct buf dec = BUF_INIT;
  for (const char *p = strstr(s, "=?UTF-8?Q?"); p;
       p = strstr(p, "=?UTF-8?Q?")) {
    p += 10;
    const char *end = strstr(p, "?=");
    for (const char *q = p; q < end; q++) {
      if (*q == '_') {
        buf_addc(&dec, ' ');
      } else if (*q == '=') {
        char hex[3] = {q[1], q[2], 0};
        buf_addc(&dec, (char)strtol(hex, NULL, 16));
        q += 2;
      } else {
        buf_addc(&dec, *q);
      }
    }
    p = end;
  }
  return buf_detach(&dec);
}

static void test_folding(void)
{
  struct buf b = BUF_INIT;
  /* the checks themselves catch what they are for (negative controls) */
  OK(!folded("Subject: "
             "=?UTF-8?Q?"
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "aaaaa?=\r\n"),
     "an 84-character line with an encoded-word is caught");
  OK(!folded("Subject: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"),
     "a 79-character line is caught");
  char *u = unfold("Subject: a\r\n b\r\n");
  STR_EQ(u, "Subject: a b\r\n");
  free(u);

  /* a long ASCII subject is folded at its spaces and unfolds to itself */
  const char *ascii =
      "Reminder: Rust in December, Wednesday 4 December 2030 at "
      "19:30, Kulturkeller South, Cologne, with two talks and "
      "mulled wine";
  mail_header(&b, "Subject", ascii);
  OK(folded(b.data), "ASCII folded at 78: %s", b.data);
  OK(strstr(b.data, "\r\n ") != NULL, "it was folded");
  u = unfold(b.data);
  struct buf want = BUF_INIT;
  buf_addf(&want, "Subject: %s\r\n", ascii);
  STR_EQ(u, want.data);
  free(u);
  buf_release(&want);

  /* a word longer than a line stays whole, on a line of its own */
  buf_reset(&b);
  const char *url = "see https://example.org/a/very/long/path/that/does/not/"
                    "fit/on/one/line/of/a/header/at/all.html ok";
  mail_header(&b, "Subject", url);
  OK(strstr(b.data, "https://example.org/a/very/long/path/that/does/not/fit/"
                    "on/one/line/of/a/header/at/all.html") != NULL,
     "not split: %s", b.data);
  u = unfold(b.data);
  OK(strstr(u, url) != NULL, "unfolds to itself");
  free(u);

  /* after a fold, a short word and a long one: the long one gets a line
   * of its own (a fold was once allowed only past the header's name) */
  buf_reset(&b);
  mail_header(
      &b, "Subject",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaa b ccccccccccccccccccccccccccccccccccccccccccccccccccccc"
      "cccccccccccccccccccccccc d");
  OK(strstr(b.data, "\r\n b\r\n cccc") != NULL,
     "folded before the long word: %s", b.data);

  /* non-ASCII: the first line fits beside the name, every line ≤ 76 */
  buf_reset(&b);
  const char *de = "Erinnerung: morgen Abend – Glühwein & Traits: Rust im "
                   "Dezember – Mi. 04.12.2030, 19:30 Uhr, Kulturkeller Süd";
  mail_header(&b, "Subject", de);
  OK(folded(b.data), "encoded lines ≤ 76: %s", b.data);
  OK(strncmp(b.data, "Subject: =?UTF-8?Q?", 19) == 0,
     "begins on the first line");
  char *dec = decode_words(b.data);
  STR_EQ(dec, de);
  free(dec);

  /* addresses: an encoded name, then the address, folded between them or
   * between addresses when a line is full */
  buf_reset(&b);
  const char *to[] = {
      "Mitglieder des Kölner Rust-Treffs und alle, die es "
      "werden wollen <mitglieder-und-freunde@treff.example.net>",
      "\"Organisation, Team\" <orga@treff.example.net>",
      "plain@treff.example.net", "<angle@treff.example.net>"};
  struct mail m = {.from = "Kölner Rust-Treff <crier@x.example>",
                   .to = to,
                   .nto = 4,
                   .subject = de,
                   .text = "x\n",
                   .html = "<p>x</p>",
                   .message_id =
                       "0123456789abcdef0123456789abcdef@treff.example.net",
                   .language = "de",
                   .date = 1733333333};
  mail_build(&m, &b);
  char *head = head_of(b.data);
  OK(folded(head), "every header line folded:\n%s", head);
  u = unfold(head);
  OK(strstr(u, ", \"Organisation, Team\" <orga@treff.example.net>, "
               "plain@treff.example.net, <angle@treff.example.net>\r\n"),
     "To unfolds to the list: %s", u);
  OK(strstr(u, "?= <mitglieder-und-freunde@treff.example.net>,"), "%s", u);
  OK(strstr(u, "In-Reply-To") == NULL, "no In-Reply-To for an announcement");
  free(u);
  free(head);

  /* threading */
  buf_reset(&b);
  m.in_reply_to = "fedcba9876543210fedcba9876543210@treff.example.net";
  mail_build(&m, &b);
  OK(strstr(b.data, "\r\nIn-Reply-To: "
                    "<fedcba9876543210fedcba9876543210@treff.example.net>\r\n"),
     "In-Reply-To");
  OK(strstr(b.data, "\r\nReferences: "
                    "<fedcba9876543210fedcba9876543210@treff.example.net>\r\n"),
     "References");
  head = head_of(b.data);
  OK(folded(head), "still folded");
  free(head);
  buf_release(&b);
}

static void test_helo(void)
{
  OK(mail_helo_ok("mail.example.org"), "a domain");
  OK(mail_helo_ok("treff.example.net"), "a domain");
  OK(mail_helo_ok("a-b.c9.example"), "hyphens and digits inside");
  OK(mail_helo_ok("[192.0.2.1]"), "an IPv4 literal");
  OK(mail_helo_ok("[IPv6:2001:db8::1]"), "an IPv6 literal");
  OK(!mail_helo_ok("crier"), "a short name");
  OK(!mail_helo_ok("localhost"), "localhost");
  OK(!mail_helo_ok(""), "empty");
  OK(!mail_helo_ok("example..org"), "an empty label");
  OK(!mail_helo_ok(".example.org"), "a leading dot");
  OK(!mail_helo_ok("-a.example.org"), "a leading hyphen");
  OK(!mail_helo_ok("a_b.example.org"), "an underscore");
  OK(!mail_helo_ok("host.example.org/x"), "a slash");
  OK(!mail_helo_ok("192.0.2.1"), "a bare address (the last label is numeric)");
  OK(!mail_helo_ok("[192.0.2.300]"), "a bad literal");
  OK(!mail_helo_ok("[IPv6:zz::1]"), "a bad IPv6 literal");
  OK(!mail_helo_ok("a.b\r\nMAIL FROM:<x@y>"), "no command injection");
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
  OK(folded(b.data), "lines of at most 76: %s", b.data);
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
  OK(t_lines_within(b.data, 76), "qp lines ≤ 76");
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
  struct mail m = {.from = "Kölner Rust-Treff <crier@x.example>",
                   .to = to,
                   .nto = 2,
                   .subject = "Erinnerung: morgen Abend",
                   .text = "Hallo\n\nBis morgen!",
                   .html = "<p>Hallo</p>",
                   .message_id = "abc123@x.example",
                   .language = "de",
                   .date = 1733333333,
                   .ics = "BEGIN:VCALENDAR\r\n",
                   .ics_method = "CANCEL"};
  mail_build(&m, &b);
  OK(strstr(b.data, "From: =?UTF-8?Q?K=C3=B6lner_Rust-Treff?= "
                    "<crier@x.example>\r\n") != NULL,
     "%s", b.data);
  OK(strstr(b.data, "To: \"Mitglieder\" <list@x.example>, b@x.example\r\n"),
     "To list: %s", b.data);
  OK(strstr(b.data, "Date: Wed, 4 Dec 2024 18:28:53 +0100\r\n"), "Date");
  OK(strstr(b.data, "Message-ID: <abc123@x.example>\r\n"), "Message-ID");
  OK(strstr(b.data, "Auto-Submitted: auto-generated\r\n"), "Auto-Submitted");
  OK(strstr(b.data, "Content-Language: de\r\n"), "Content-Language");
  OK(strstr(b.data, "text/plain") < strstr(b.data, "text/html"),
     "text before HTML");
  OK(strstr(b.data, "Content-Type: text/calendar; method=CANCEL; "
                    "charset=utf-8\r\n"),
     "calendar part with its method");
  OK(t_lines_within(b.data, 998), "no line over 998");

  buf_release(&b);
  test_folding();
  test_helo();
  return t_summary();
}
