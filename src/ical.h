#ifndef CRIER_ICAL_H
#define CRIER_ICAL_H
/*
 * iCalendar (RFC 5545) as text: the one writer behind mail invitations
 * (RFC 5546 PUBLISH and CANCEL) and the subscribable feed. Lines end in
 * CRLF and are folded at 75 octets without splitting a UTF-8 sequence;
 * TEXT values are escaped (\\ \; \, \n) and lose control characters.
 *
 * Times are written in UTC, or as local times with a TZID and a
 * VTIMEZONE made from the tz database (the zone of when.h) for the whole
 * years the calendar covers: one observance per transition, so that every
 * reader gets the offsets the C library has, whatever rules it knows. An
 * instant whose local time happens twice (the clocks go back) is written
 * in UTC: readers do not agree on which of the two a local time means.
 *
 * Every string is borrowed; output is appended to a struct buf. The same
 * input gives the same bytes.
 */
#include <stdbool.h>
#include <time.h>

#include "buf.h"

enum ical_method { ICAL_NO_METHOD, ICAL_PUBLISH, ICAL_CANCEL };

struct ical_cal {
  enum ical_method method;
  const char *zone;   /* TZID for local times (a tz database name, the zone
                         of when.h); NULL: UTC */
  time_t first, last; /* the instants the calendar covers (for the
                         VTIMEZONE; both 0: none needed) */
  const char *name;   /* NAME and X-WR-CALNAME, or NULL */
  long refresh;       /* seconds: REFRESH-INTERVAL and X-PUBLISHED-TTL; 0:
                         none */
};

struct ical_event {
  const char *uid;
  time_t start, end;
  time_t stamp;    /* DTSTAMP */
  time_t modified; /* LAST-MODIFIED, 0: none */
  int sequence;
  bool cancelled; /* STATUS:CANCELLED, else CONFIRMED */
  const char *summary;
  const char *location, *description, *url; /* NULL: none */
  bool has_geo;
  double lat, lon;
  const char *organizer; /* "Name <addr>" or "addr"; NULL: none */
};

/* BEGIN:VCALENDAR and the calendar's properties, and the VTIMEZONE when
 * c->zone is set. */
void ical_begin(struct buf *out, const struct ical_cal *c);
/* One VEVENT. */
void ical_event(struct buf *out, const struct ical_cal *c,
                const struct ical_event *ev);
/* END:VCALENDAR. */
void ical_end(struct buf *out);

/* A calendar of one event (a mail invitation). */
void ical_single(struct buf *out, const struct ical_cal *c,
                 const struct ical_event *ev);

/* "PUBLISH", "CANCEL" or NULL. */
const char *ical_method_name(enum ical_method m);

/* secs as an RFC 5545 / ISO 8601 duration: P1D, PT2H, PT1H30M, P1DT2H. */
void ical_duration(long secs, struct buf *out);

/* One content line, name (with its parameters) and value as they are,
 * folded. */
void ical_line(struct buf *out, const char *name, const char *value);
/* value as TEXT: escaped, without control characters. */
void ical_text(struct buf *out, const char *value);

#endif
