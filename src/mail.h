#ifndef CRIER_MAIL_H
#define CRIER_MAIL_H
/*
 * Internet messages and iCalendar events, built as text: RFC 5322 headers
 * with RFC 2047 encoded-words (at most 75 characters, never splitting a
 * UTF-8 sequence), multipart/alternative (text, then HTML) in quoted-
 * printable UTF-8 with CRLF line ends, and an optional RFC 5545 event.
 */
#include <stdbool.h>
#include <time.h>

#include "buf.h"

struct mail {
  const char *from;       /* "Name <addr>" or "addr" */
  const char *const *to;  /* the same forms */
  size_t nto;
  const char *subject;
  const char *text;       /* text/plain part */
  const char *html;       /* text/html part */
  const char *message_id; /* without <> */
  const char *language;   /* Content-Language, e.g. "de" or "de, en" */
  time_t date;
  const char *ics;        /* an iCalendar object to attach, or NULL */
};

/* Appends the whole message to out. */
void mail_build(const struct mail *m, struct buf *out);

/* The address part of "Name <addr>" (or the whole string); caller frees.
 * NULL when there is no plausible address. */
char *mail_address(const char *s);

/* The display name of "Name <addr>" without quotes, or NULL; caller
 * frees. */
char *mail_display_name(const char *s);

/* An unstructured header value as RFC 2047 encoded-words when it is not
 * plain ASCII, folded; name is the header name (for the first line's
 * length). */
void mail_header(struct buf *out, const char *name, const char *value);

/* Quoted-printable, lines of at most 76 characters, CRLF. */
void mail_qp(struct buf *out, const char *s);

struct ical_event {
  const char *uid;
  time_t start, end, stamp;
  const char *summary, *location, *description, *url;
  bool cancelled;
  int sequence;
};

/* A VCALENDAR with METHOD:PUBLISH and one VEVENT (times in UTC), folded at
 * 75 octets, CRLF. */
void ical_build(const struct ical_event *ev, struct buf *out);

#endif
