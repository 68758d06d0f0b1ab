#include "ical.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"
#include "when.h"
#include "xalloc.h"

static size_t seq_len(unsigned char c)
{
  return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* Control characters are not allowed in values (RFC 5545 3.1, 3.3.11):
 * C0 but tab, and DEL. */
static bool is_control(unsigned char c)
{
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* The length of a C1 control character (U+0080 to U+009F, two bytes in
 * UTF-8) at p, or 0: dropped too, as everywhere crier writes text. */
static size_t c1_at(const char *p)
{
  return (unsigned char)p[0] == 0xc2 && (unsigned char)p[1] >= 0x80 &&
                 (unsigned char)p[1] <= 0x9f
             ? 2
             : 0;
}

void ical_line(struct buf *out, const char *name, const char *value)
{
  struct buf l = BUF_INIT;
  buf_adds(&l, name);
  buf_addc(&l, ':');
  buf_adds(&l, value);
  /* fold at 75 octets without splitting a UTF-8 sequence */
  size_t col = 0;
  for (size_t i = 0; i < l.len;) {
    size_t n = seq_len((unsigned char)l.data[i]);
    if (i + n > l.len)
      n = l.len - i;
    if (col + n > 75) {
      buf_adds(out, "\r\n ");
      col = 1;
    }
    buf_add(out, l.data + i, n);
    col += n;
    i += n;
  }
  buf_adds(out, "\r\n");
  buf_release(&l);
}

void ical_text(struct buf *out, const char *value)
{
  for (const char *p = value; *p; p++) {
    if (c1_at(p)) {
      p++;
      continue;
    }
    if (*p == '\\' || *p == ';' || *p == ',') {
      buf_addc(out, '\\');
      buf_addc(out, *p);
    } else if (*p == '\n') {
      buf_adds(out, "\\n");
    } else if (!is_control((unsigned char)*p)) {
      buf_addc(out, *p);
    }
  }
}

/* A property with a TEXT value. */
static void text_prop(struct buf *out, const char *name, const char *value)
{
  struct buf v = BUF_INIT;
  ical_text(&v, value);
  ical_line(out, name, v.data);
  buf_release(&v);
}

/* A property with a URI or other value that is not escaped: control
 * characters are dropped all the same. */
static void raw_prop(struct buf *out, const char *name, const char *value)
{
  struct buf v = BUF_INIT;
  for (const char *p = value; *p; p++) {
    if (c1_at(p))
      p++;
    else if (!is_control((unsigned char)*p))
      buf_addc(&v, *p);
  }
  ical_line(out, name, v.data);
  buf_release(&v);
}

const char *ical_method_name(enum ical_method m)
{
  return m == ICAL_PUBLISH ? "PUBLISH" : m == ICAL_CANCEL ? "CANCEL" : NULL;
}

void ical_duration(long secs, struct buf *out)
{
  if (secs < 0)
    secs = 0;
  long d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60,
       s = secs % 60;
  buf_adds(out, "P");
  if (d)
    buf_addf(out, "%ldD", d);
  if (h || m || s || !d)
    buf_adds(out, "T");
  if (h)
    buf_addf(out, "%ldH", h);
  if (m)
    buf_addf(out, "%ldM", m);
  if (s || (!d && !h && !m))
    buf_addf(out, "%ldS", s);
}

static void utc_value(time_t t, struct buf *out)
{
  struct tm tm;
  gmtime_r(&t, &tm);
  buf_addf(out, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void local_value(const struct tm *tm, struct buf *out)
{
  buf_addf(out, "%04d%02d%02dT%02d%02d%02d", tm->tm_year + 1900, tm->tm_mon + 1,
           tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec);
}

/* A DATE-TIME property: local with TZID when the calendar has a zone and
 * the local time names t alone, else UTC. (RFC 5545 3.3.5 reads a local
 * time that happens twice as the first, but readers differ: ical.js and
 * Python's icalendar with pytz take the second.) */
static void time_prop(struct buf *out, const struct ical_cal *c,
                      const char *name, time_t t)
{
  struct buf n = BUF_INIT, v = BUF_INIT;
  if (c->zone) {
    struct tm tm;
    time_t first;
    when_local(t, &tm);
    if (when_from_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, &first) == 1 &&
        first == t) {
      buf_addf(&n, "%s;TZID=%s", name, c->zone);
      local_value(&tm, &v);
    }
  }
  if (!v.len) {
    buf_adds(&n, name);
    utc_value(t, &v);
  }
  ical_line(out, n.data, v.data);
  buf_release(&n);
  buf_release(&v);
}

static void utc_prop(struct buf *out, const char *name, time_t t)
{
  struct buf v = BUF_INIT;
  utc_value(t, &v);
  ical_line(out, name, v.data);
  buf_release(&v);
}

/* ---- VTIMEZONE from the tz database ---- */

static void offset_value(long off, struct buf *out)
{
  char sign = off < 0 ? '-' : '+';
  if (off < 0)
    off = -off;
  buf_addf(out, "%c%02ld%02ld", sign, off / 3600, off / 60 % 60);
  if (off % 60)
    buf_addf(out, "%02ld", off % 60);
}

/* The first instant after a whose offset or daylight flag differs from
 * a's, when there is one up to b (a < b, at most one change between). */
static time_t transition(time_t a, time_t b)
{
  struct tm ta;
  when_local(a, &ta);
  while (b - a > 1) {
    time_t m = a + (b - a) / 2;
    struct tm tm;
    when_local(m, &tm);
    if (tm.tm_gmtoff == ta.tm_gmtoff && tm.tm_isdst == ta.tm_isdst)
      a = m;
    else
      b = m;
  }
  return b;
}

/* An observance that starts at t: the offsets before and after, its name,
 * and DTSTART as the wall-clock time in the offset before. */
static void observance(struct buf *out, time_t t, long from,
                       const struct tm *to)
{
  const char *kind = to->tm_isdst > 0 ? "DAYLIGHT" : "STANDARD";
  struct buf v = BUF_INIT;
  buf_addf(out, "BEGIN:%s\r\n", kind);
  time_t wall = t + from;
  struct tm w;
  gmtime_r(&wall, &w);
  local_value(&w, &v);
  ical_line(out, "DTSTART", v.data);
  buf_reset(&v);
  offset_value(from, &v);
  ical_line(out, "TZOFFSETFROM", v.data);
  buf_reset(&v);
  offset_value(to->tm_gmtoff, &v);
  ical_line(out, "TZOFFSETTO", v.data);
  if (to->tm_zone && to->tm_zone[0])
    text_prop(out, "TZNAME", to->tm_zone);
  buf_addf(out, "END:%s\r\n", kind);
  buf_release(&v);
}

/* January 1st, 00:00 UTC, of the year of t, plus years. */
static time_t year_start(time_t t, int years)
{
  struct tm tm;
  gmtime_r(&t, &tm);
  struct tm y = {.tm_year = tm.tm_year + years, .tm_mday = 1};
  return timegm(&y);
}

/* The zone's observances in the whole years from first to last, and the
 * one in force when they begin (found up to ten years back; a zone
 * without any change gets one observance since 1970). */
static void vtimezone(struct buf *out, const struct ical_cal *c)
{
  const time_t step = 86400; /* no zone changes twice within a day */
  time_t from = year_start(c->first, 0), to = year_start(c->last, 1);
  buf_adds(out, "BEGIN:VTIMEZONE\r\n");
  text_prop(out, "TZID", c->zone);
  text_prop(out, "X-LIC-LOCATION", c->zone);
  /* the observance in force at from: the last change before it */
  time_t before = 0;
  struct tm at_from, tm;
  when_local(from, &at_from);
  for (time_t t = from - step; t > from - 10 * 366 * 86400L; t -= step) {
    when_local(t, &tm);
    if (tm.tm_gmtoff != at_from.tm_gmtoff || tm.tm_isdst != at_from.tm_isdst) {
      before = transition(t, t + step);
      struct tm prev;
      time_t p = before - 1;
      when_local(p, &prev);
      observance(out, before, prev.tm_gmtoff, &at_from);
      break;
    }
  }
  if (!before) {
    /* no change in ten years: the offset since 1970 */
    struct tm w = {.tm_year = 70, .tm_mday = 1};
    time_t t = timegm(&w) - at_from.tm_gmtoff;
    observance(out, t, at_from.tm_gmtoff, &at_from);
  }
  struct tm cur = at_from;
  for (time_t t = from; t < to; t += step) {
    time_t next = t + step;
    when_local(next, &tm);
    if (tm.tm_gmtoff == cur.tm_gmtoff && tm.tm_isdst == cur.tm_isdst)
      continue;
    time_t at = transition(t, next);
    struct tm after;
    when_local(at, &after);
    observance(out, at, cur.tm_gmtoff, &after);
    cur = after;
  }
  buf_adds(out, "END:VTIMEZONE\r\n");
}

/* ---- calendars and events ---- */

void ical_begin(struct buf *out, const struct ical_cal *c)
{
  buf_adds(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
                "PRODID:-//crier//crier//EN\r\nCALSCALE:GREGORIAN\r\n");
  const char *method = ical_method_name(c->method);
  if (method)
    ical_line(out, "METHOD", method);
  if (c->name) {
    text_prop(out, "NAME", c->name);
    text_prop(out, "X-WR-CALNAME", c->name);
  }
  if (c->zone)
    text_prop(out, "X-WR-TIMEZONE", c->zone);
  if (c->refresh > 0) {
    struct buf d = BUF_INIT;
    ical_duration(c->refresh, &d);
    ical_line(out, "REFRESH-INTERVAL;VALUE=DURATION", d.data);
    ical_line(out, "X-PUBLISHED-TTL", d.data);
    buf_release(&d);
  }
  if (c->zone && (c->first || c->last))
    vtimezone(out, c);
}

void ical_end(struct buf *out)
{
  buf_adds(out, "END:VCALENDAR\r\n");
}

/* ORGANIZER;CN="Name":mailto:addr */
static void organizer(struct buf *out, const char *from)
{
  char *addr = mail_address(from), *name = mail_display_name(from);
  if (!addr) {
    free(name);
    return;
  }
  struct buf n = BUF_INIT, v = BUF_INIT;
  buf_adds(&n, "ORGANIZER");
  if (name) {
    /* a quoted parameter value holds anything but DQUOTE and controls */
    buf_adds(&n, ";CN=\"");
    for (const char *p = name; *p; p++)
      if (*p != '"' && !is_control((unsigned char)*p))
        buf_addc(&n, *p);
    buf_addc(&n, '"');
  }
  buf_addf(&v, "mailto:%s", addr);
  raw_prop(out, n.data, v.data);
  buf_release(&n);
  buf_release(&v);
  free(addr);
  free(name);
}

void ical_event(struct buf *out, const struct ical_cal *c,
                const struct ical_event *ev)
{
  buf_adds(out, "BEGIN:VEVENT\r\n");
  raw_prop(out, "UID", ev->uid);
  utc_prop(out, "DTSTAMP", ev->stamp);
  time_prop(out, c, "DTSTART", ev->start);
  time_prop(out, c, "DTEND", ev->end > ev->start ? ev->end : ev->start);
  char seq[24];
  snprintf(seq, sizeof(seq), "%d", ev->sequence);
  ical_line(out, "SEQUENCE", seq);
  ical_line(out, "STATUS", ev->cancelled ? "CANCELLED" : "CONFIRMED");
  text_prop(out, "SUMMARY", ev->summary ? ev->summary : "");
  if (ev->location)
    text_prop(out, "LOCATION", ev->location);
  if (ev->has_geo) {
    char geo[64];
    snprintf(geo, sizeof(geo), "%.6f;%.6f", ev->lat, ev->lon);
    ical_line(out, "GEO", geo);
  }
  if (ev->description)
    text_prop(out, "DESCRIPTION", ev->description);
  if (ev->url)
    raw_prop(out, "URL", ev->url);
  if (ev->organizer)
    organizer(out, ev->organizer);
  if (ev->modified)
    utc_prop(out, "LAST-MODIFIED", ev->modified);
  buf_adds(out, "END:VEVENT\r\n");
}

void ical_single(struct buf *out, const struct ical_cal *c,
                 const struct ical_event *ev)
{
  struct ical_cal one = *c;
  one.first = ev->start;
  one.last = ev->end > ev->start ? ev->end : ev->start;
  ical_begin(out, &one);
  ical_event(out, &one, ev);
  ical_end(out);
}
