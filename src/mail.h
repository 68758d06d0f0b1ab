#ifndef CRIER_MAIL_H
#define CRIER_MAIL_H
/*
 * Internet messages and iCalendar events, built as text: RFC 5322 headers
 * folded at 78 characters, with RFC 2047 encoded-words (at most 75
 * characters, on lines of at most 76, never splitting a UTF-8 sequence),
 * multipart/alternative (text, then HTML) in quoted-printable UTF-8 with
 * CRLF line ends, and an optional iCalendar part (ical.h).
 */
#include <stdbool.h>
#include <time.h>

#include "buf.h"

struct mail {
  const char *from;      /* "Name <addr>" or "addr" */
  const char *const *to; /* the same forms */
  size_t nto;
  const char *subject;
  const char *text;        /* text/plain part (plain text, not Markdown) */
  const char *html;        /* text/html part */
  const char *message_id;  /* without <> */
  const char *in_reply_to; /* the Message-ID this one follows (without <>),
                              or NULL: In-Reply-To and References */
  const char *language;    /* Content-Language, e.g. "de" or "de, en" */
  time_t date;
  const char *ics;        /* an iCalendar object to attach, or NULL */
  const char *ics_method; /* its METHOD ("PUBLISH", "CANCEL"), or NULL */
};

/* Appends the whole message to out. */
void mail_build(const struct mail *m, struct buf *out);

/* The address part of "Name <addr>" (or the whole string); caller frees.
 * NULL when there is no plausible address. */
char *mail_address(const char *s);

/* The display name of "Name <addr>" without quotes, or NULL; caller
 * frees. */
char *mail_display_name(const char *s);

/* A header field with an unstructured value: printable ASCII as it is,
 * folded at its spaces; anything else (or text that looks like an
 * encoded-word) as RFC 2047 encoded-words, one to a line. */
void mail_header(struct buf *out, const char *name, const char *value);

/* Whether s may be said in EHLO: a fully qualified domain name (two or
 * more labels of letters, digits and inner hyphens, at most 253
 * characters, the last not numeric) or an address literal ("[192.0.2.1]",
 * "[IPv6:2001:db8::1]"). */
bool mail_helo_ok(const char *s);

/* Quoted-printable, lines of at most 76 characters, CRLF. */
void mail_qp(struct buf *out, const char *s);

#endif
