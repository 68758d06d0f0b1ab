#ifndef CRIER_WHEN_H
#define CRIER_WHEN_H
/*
 * Instants and wall-clock times. The site's time zone comes from the
 * system's tz database (via TZ and the C library); nothing here knows any
 * daylight-saving rule. when_set_zone must be called before the other
 * functions that talk about local time.
 */
#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "err.h"

/* Makes name (e.g. "Europe/Berlin") the zone for local time. Fails with
 * EX_CONFIG if the tz database has no such zone. */
int when_set_zone(const char *name, struct err *e);
/* The zone set last ("UTC" before any). Borrowed. */
const char *when_zone(void);

/* Converts a wall-clock time in the site zone to an instant. Returns the
 * number of instants that show this wall-clock time: 0 (in a gap), 1, or 2
 * (in an overlap; *t is then the first). */
int when_from_local(int year, int mon, int day, int hour, int min, int sec,
                    time_t *t);

/* Local time of t in the site zone; tm_gmtoff and tm_zone are set. */
void when_local(time_t t, struct tm *tm);

/* Whether the zone name exists in the tz database ("UTC" always). */
bool when_zone_exists(const char *name);
/* Whether y-m-d is a date of the calendar (years 1900-9999). */
bool when_valid_date(int y, int m, int d);

/* when_from_local and when_local for another zone of the tz database
 * (zone NULL: the site zone). The zone is made local time for the call
 * only: not for use from two threads at once. */
int when_from_local_in(const char *zone, int year, int mon, int day, int hour,
                       int min, int sec, time_t *t);
void when_local_in(const char *zone, time_t t, struct tm *tm);

#define WHEN_MAX_ABBRS 16
struct when_abbr {
  char name[16]; /* "CET" */
  long off;      /* seconds east of UTC while it is used */
};
/* The abbreviations zone (NULL: the site zone) has used in 1990-2037, as
 * the tz database has them (zones without letters have none). Sets *out
 * to a borrowed array valid until the next call; returns how many. */
size_t when_zone_abbrs(const char *zone, const struct when_abbr **out);

/* "+02:00" for 7200. */
void when_format_offset(long off, char out[8]);

/* Parses "now" for --now / CRIER_NOW: RFC 3339 ("2024-09-11T19:15:00+02:00",
 * "...Z"), also with a space instead of T, without seconds, or without an
 * offset (then site-local). */
int when_parse_now(const char *s, time_t *t, struct err *e);

/* Parses a duration "21d", "2h", "30m", "90s" (or a combination such as
 * "1d12h") into seconds. */
int when_parse_duration(const char *s, long *secs, struct err *e);
/* Formats a duration as the shortest of "Nd", "Nh", "Nm", "Ns". */
void when_format_duration(long secs, struct buf *out);

/* The instant offset seconds before t. A whole number of days counts
 * calendar days in the site zone (the same wall-clock time, so a "1d"
 * reminder of a 19:00 event is at 19:00 even across a daylight-saving
 * change; a time that falls into a gap moves forward by the gap); other
 * offsets are exact. */
time_t when_before(time_t t, long offset);

/* RFC 3339 with the site zone's offset: "2024-09-11T19:15:00+02:00". */
void when_rfc3339(time_t t, struct buf *out);
/* RFC 3339 in UTC: "2024-09-11T17:15:00Z". */
void when_rfc3339_utc(time_t t, struct buf *out);

/* English abbreviations for Internet dates (RFC 5322, RFC 9110): "Sun"
 * for tm_wday 0, "Jan" for tm_mon 0. Static strings. */
const char *when_day_abbr(int wday);
const char *when_month_abbr(int mon);

/* The current time: CRIER_NOW if set (parsed), else the clock. */
int when_now(time_t *t, struct err *e);

#endif
