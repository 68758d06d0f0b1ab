/* Time zones through the tz database: DST gaps and overlaps on the last
 * Sundays of March and October, zone names and offsets in event dates,
 * calendar-day offsets across DST, durations and formatting. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evdate.h"
#include "when.h"

static time_t utc(int y, int mo, int d, int h, int mi)
{
  struct tm tm = {.tm_year = y - 1900,
                  .tm_mon = mo - 1,
                  .tm_mday = d,
                  .tm_hour = h,
                  .tm_min = mi};
  return timegm(&tm);
}

static const char *fmt(time_t t)
{
  static struct buf b = BUF_INIT;
  buf_reset(&b);
  when_rfc3339(t, &b);
  return b.data;
}

static void test_local(void)
{
  time_t t;
  /* Europe/Berlin, spring forward: 2024-03-31 02:00 CET → 03:00 CEST */
  INT_EQ(when_from_local(2024, 3, 31, 1, 59, 0, &t), 1);
  INT_EQ(t, utc(2024, 3, 31, 0, 59));
  INT_EQ(when_from_local(2024, 3, 31, 2, 0, 0, &t), 0);
  INT_EQ(when_from_local(2024, 3, 31, 2, 30, 0, &t), 0);
  INT_EQ(when_from_local(2024, 3, 31, 3, 0, 0, &t), 1);
  INT_EQ(t, utc(2024, 3, 31, 1, 0));
  /* fall back: 2024-10-27 03:00 CEST → 02:00 CET; 02:30 happens twice */
  INT_EQ(when_from_local(2024, 10, 27, 2, 30, 0, &t), 2);
  INT_EQ(t, utc(2024, 10, 27, 0, 30)); /* the first, CEST */
  INT_EQ(when_from_local(2024, 10, 27, 3, 0, 0, &t), 1);
  INT_EQ(t, utc(2024, 10, 27, 2, 0));
  /* 2025: last Sundays are March 30 and October 26 */
  INT_EQ(when_from_local(2025, 3, 30, 2, 15, 0, &t), 0);
  INT_EQ(when_from_local(2025, 3, 29, 2, 15, 0, &t), 1);
  INT_EQ(when_from_local(2025, 10, 26, 2, 15, 0, &t), 2);
  INT_EQ(when_from_local(2025, 10, 25, 2, 15, 0, &t), 1);
  /* the same wall clock on both sides of the change */
  INT_EQ(when_from_local(2024, 7, 1, 19, 0, 0, &t), 1);
  STR_EQ(fmt(t), "2024-07-01T19:00:00+02:00");
  INT_EQ(when_from_local(2024, 12, 1, 19, 0, 0, &t), 1);
  STR_EQ(fmt(t), "2024-12-01T19:00:00+01:00");
}

static void test_event_dates(void)
{
  struct buf warn = BUF_INIT;
  struct err e = {0};
  time_t t;
  OK(evdate_parse_str("2024-09-11 19:15:00 MESZ", &t, &warn, &e) == 0, "%s",
     e.msg);
  INT_EQ(t, utc(2024, 9, 11, 17, 15));
  INT_EQ(warn.len, 0);
  /* an abbreviation that contradicts the date: a warning, wall clock wins */
  OK(evdate_parse_str("2016-04-06 19:15:00 MEZ", &t, &warn, &e) == 0, "%s",
     e.msg);
  INT_EQ(t, utc(2016, 4, 6, 17, 15));
  OK(strstr(warn.data, "zone 'MEZ' contradicts") != NULL, "%s", warn.data);
  buf_reset(&warn);
  OK(evdate_parse_str("2015-07-29 19:00:00 MEST", &t, &warn, &e) == 0, "%s",
     e.msg);
  INT_EQ(warn.len, 0);
  OK(evdate_parse_str("2020-02-05 19:15 CET", &t, &warn, &e) == 0, "x");
  INT_EQ(t, utc(2020, 2, 5, 18, 15));
  OK(evdate_parse_str("2020-02-05 19:15", &t, &warn, &e) == 0, "x");
  INT_EQ(t, utc(2020, 2, 5, 18, 15));
  OK(evdate_parse_str("2020-02-05 19:15 UTC", &t, &warn, &e) == 0, "x");
  OK(strstr(warn.data, "'UTC' contradicts") != NULL, "%s", warn.data);
  buf_reset(&warn);
  /* an offset is the instant as written; one the zone does not have
   * then is a warning */
  OK(evdate_parse_str("2024-07-01 19:00 +02:00", &t, &warn, &e) == 0, "%s",
     e.msg);
  OK(evdate_parse_str("2024-07-01 19:00 +0200", &t, &warn, &e) == 0, "%s",
     e.msg);
  INT_EQ(warn.len, 0);
  OK(evdate_parse_str("2024-07-01 19:00 +01:00", &t, &warn, &e) == 0, "%s",
     e.msg);
  INT_EQ(t, utc(2024, 7, 1, 18, 0));
  STR_EQ(warn.data,
         "'2024-07-01 19:00 +01:00' is at +01:00, but "
         "Europe/Berlin is +02:00 (CEST) then: the event starts at 20:00 "
         "there (leave out the offset to mean 19:00 there)");
  buf_reset(&warn);
  /* the offset picks the second occurrence in an overlap */
  OK(evdate_parse_str("2024-10-27 02:30 +01:00", &t, &warn, &e) == 0, "%s",
     e.msg);
  INT_EQ(t, utc(2024, 10, 27, 1, 30));
  INT_EQ(warn.len, 0);
  OK(evdate_parse_str("2024-10-27 02:30", &t, &warn, &e) == 0, "x");
  INT_EQ(t, utc(2024, 10, 27, 0, 30));
  OK(strstr(warn.data, "happens twice") != NULL, "%s", warn.data);
  buf_reset(&warn);
  /* impossible dates and times */
  OK(evdate_parse_str("2024-03-31 02:30", &t, &warn, &e) < 0, "gap");
  OK(strstr(e.msg, "does not exist") != NULL, "%s", e.msg);
  OK(evdate_parse_str("2023-02-29 19:00", &t, &warn, &e) < 0, "feb 29");
  OK(evdate_parse_str("2024-02-29 19:00", &t, &warn, &e) == 0, "leap");
  OK(evdate_parse_str("2024-13-01 19:00", &t, &warn, &e) < 0, "mon 13");
  OK(evdate_parse_str("2024-04-31 19:00", &t, &warn, &e) < 0, "apr 31");
  OK(evdate_parse_str("2024-04-30 24:00", &t, &warn, &e) < 0, "24:00");
  OK(evdate_parse_str("2024-04-30 19:60", &t, &warn, &e) < 0, "19:60");
  OK(evdate_parse_str("2024-04-30", &t, &warn, &e) < 0, "no time");
  OK(evdate_parse_str("2024-04-30 19:00 PST", &t, &warn, &e) < 0, "PST");
  STR_EQ(e.msg,
         "'2024-04-30 19:00 PST': unknown zone 'PST' for "
         "Europe/Berlin (it uses CET, CEST; also written MEZ, MET, MESZ, "
         "MEST, MEZT; or write an offset such as +02:00, or give the event "
         "its own time zone)");
  OK(evdate_parse_str("2024-04-30 19:00 MEZ x", &t, &warn, &e) < 0,
     "trailing text");
  buf_release(&warn);
}

static void test_before(void)
{
  time_t t;
  /* event on 2024-03-31 19:00 CEST; one day before is 19:00 CET */
  when_from_local(2024, 3, 31, 19, 0, 0, &t);
  STR_EQ(fmt(when_before(t, 86400)), "2024-03-30T19:00:00+01:00");
  STR_EQ(fmt(when_before(t, 7 * 86400)), "2024-03-24T19:00:00+01:00");
  STR_EQ(fmt(when_before(t, 2 * 3600)), "2024-03-31T17:00:00+02:00");
  /* hours are exact: 24h before is 18:00 the day before */
  STR_EQ(fmt(when_before(t, 24 * 3600 + 1)), "2024-03-30T17:59:59+01:00");
  /* autumn: event 2024-10-27 19:00 CET, 1d before is 19:00 CEST */
  when_from_local(2024, 10, 27, 19, 0, 0, &t);
  STR_EQ(fmt(when_before(t, 86400)), "2024-10-26T19:00:00+02:00");
  STR_EQ(fmt(when_before(t, 21 * 86400)), "2024-10-06T19:00:00+02:00");
  /* a day before lands in the gap: moved forward */
  when_from_local(2024, 4, 1, 2, 30, 0, &t);
  STR_EQ(fmt(when_before(t, 86400)), "2024-03-31T03:30:00+02:00");
  /* across a month and a year */
  when_from_local(2025, 1, 2, 19, 0, 0, &t);
  STR_EQ(fmt(when_before(t, 7 * 86400)), "2024-12-26T19:00:00+01:00");
}

static void test_now_and_durations(void)
{
  struct err e;
  time_t t;
  OK(when_parse_now("2024-09-11T19:15:00+02:00", &t, &e) == 0, "%s", e.msg);
  INT_EQ(t, utc(2024, 9, 11, 17, 15));
  OK(when_parse_now("2024-09-11T17:15:00Z", &t, &e) == 0, "%s", e.msg);
  INT_EQ(t, utc(2024, 9, 11, 17, 15));
  OK(when_parse_now("2024-09-11 19:15", &t, &e) == 0, "%s", e.msg);
  INT_EQ(t, utc(2024, 9, 11, 17, 15)); /* site-local without an offset */
  OK(when_parse_now("2024-09-11T17:15:00.123Z", &t, &e) == 0, "%s", e.msg);
  OK(when_parse_now("tomorrow", &t, &e) < 0, "bad now");
  OK(when_parse_now("2024-03-31T02:30", &t, &e) < 0, "now in a gap");
  long s;
  OK(when_parse_duration("21d", &s, &e) == 0 && s == 21 * 86400, "21d");
  OK(when_parse_duration("2h", &s, &e) == 0 && s == 7200, "2h");
  OK(when_parse_duration("1d12h", &s, &e) == 0 && s == 129600, "1d12h");
  OK(when_parse_duration("1w", &s, &e) == 0 && s == 604800, "1w");
  OK(when_parse_duration("", &s, &e) < 0, "empty");
  OK(when_parse_duration("7", &s, &e) < 0, "no unit");
  OK(when_parse_duration("-7d", &s, &e) < 0, "negative");
  OK(when_parse_duration("7x", &s, &e) < 0, "bad unit");
  struct buf b = BUF_INIT;
  when_format_duration(7 * 86400, &b);
  buf_adds(&b, " ");
  when_format_duration(7200, &b);
  buf_adds(&b, " ");
  when_format_duration(90, &b);
  STR_EQ(b.data, "7d 2h 90s");
  buf_release(&b);
  OK(when_set_zone("Mars/Olympus_Mons", &e) < 0, "unknown zone");
  OK(when_set_zone("../../etc/passwd", &e) < 0, "path as zone");
}

static void test_other_zone(void)
{
  struct err e;
  time_t t;
  OK(when_set_zone("America/New_York", &e) == 0, "%s", e.msg);
  INT_EQ(when_from_local(2024, 3, 10, 2, 30, 0, &t), 0);
  INT_EQ(when_from_local(2024, 11, 3, 1, 30, 0, &t), 2);
  INT_EQ(t, utc(2024, 11, 3, 5, 30));
  struct tm tm;
  when_local(t, &tm);
  STR_EQ(tm.tm_zone, "EDT");
  OK(when_set_zone("Europe/Berlin", &e) == 0, "%s", e.msg);
}

/* One event's start from date, time and zone as given; "" if it fails
 * (the message in *msg), else RFC 3339 in the event's zone, with
 * warnings after " | ". */
static const char *ev(const char *date, const char *tm, const char *zone,
                      const char *name, const char *dflt)
{
  static struct buf b = BUF_INIT;
  struct buf warn = BUF_INIT;
  struct err e;
  struct evdate_in in = {date, tm, zone, name, dflt};
  struct evdate out;
  buf_reset(&b);
  if (evdate_parse(&in, &out, &warn, &e) < 0) {
    buf_addf(&b, "error: %s", e.msg);
  } else {
    struct tm t;
    when_local_in(out.zone[0] ? out.zone : NULL, out.start, &t);
    char off[8];
    when_format_offset(t.tm_gmtoff, off);
    buf_addf(&b, "%04d-%02d-%02dT%02d:%02d:%02d%s", t.tm_year + 1900,
             t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, off);
    if (out.zone[0])
      buf_addf(&b, " %s", out.zone);
    if (warn.len)
      buf_addf(&b, " | %s", warn.data);
  }
  buf_release(&warn);
  return b.data;
}

/* The offset as RFC 3339 writes it, as "%c%02ld:%02ld" would. */
static void offsets(void)
{
  static const long offs[] = {0,     3600,   7200,  -18000, 19800,  -34200,
                              45900, -43200, 50400, 359999, -359999};
  for (size_t i = 0; i < sizeof(offs) / sizeof(*offs); i++) {
    long a = offs[i] < 0 ? -offs[i] : offs[i];
    char got[8], want[16];
    snprintf(want, sizeof(want), "%c%02ld:%02ld", offs[i] < 0 ? '-' : '+',
             (a / 3600) % 100, (a / 60) % 60);
    when_format_offset(offs[i], got);
    STR_EQ(got, want);
  }
}

#define EV(date, time, want) STR_EQ(ev(date, time, NULL, NULL, NULL), want)

static void test_forms(void)
{
  /* date and time in one value or two; names of months and weekdays */
  EV("March 24, 2015", "6:30 PM", "2015-03-24T18:30:00+01:00");
  EV("Tuesday, March 24, 2015", "6:30 pm", "2015-03-24T18:30:00+01:00");
  EV("Tue, Mar 24th 2015 6:30pm", NULL, "2015-03-24T18:30:00+01:00");
  EV("24 March 2015", "18:30", "2015-03-24T18:30:00+01:00");
  EV("24. März 2015, 18:30", NULL, "2015-03-24T18:30:00+01:00");
  EV("Dienstag, 24. März 2015 um 18:30", NULL,
     "error: date 'Dienstag, 24. März 2015 um 18:30': unexpected text at "
     "the end");
  EV("24 maart 2015 19:00", NULL, "2015-03-24T19:00:00+01:00");
  EV("24.03.2015 18:30", NULL, "2015-03-24T18:30:00+01:00");
  EV("2015/03/24 18:30", NULL, "2015-03-24T18:30:00+01:00");
  EV("03/24/2015 18:30", NULL,
     "error: date '03/24/2015 18:30': not a date I can read");
  EV("2015-03-24", "7 p.m.", "2015-03-24T19:00:00+01:00");
  EV("2015-03-24", "12 AM", "2015-03-24T00:00:00+01:00");
  EV("2015-03-24", "12:15 PM", "2015-03-24T12:15:00+01:00");
  EV("2015-03-24", "13:15 PM", "error: time '13:15 PM': not a time I can read");
  EV("2015-03-24", "19", "error: time '19': not a time I can read");
  /* single-digit hours, seconds and their fractions */
  EV("2015-03-24 9:05", NULL, "2015-03-24T09:05:00+01:00");
  EV("2015-03-24 19:15:30.250", NULL, "2015-03-24T19:15:30+01:00");
  EV("2015-03-24T19:15:30,5", NULL, "2015-03-24T19:15:30+01:00");
  /* ISO 8601 and YAML timestamps: the instant as written */
  EV("2024-09-11T19:15:00+02:00", NULL, "2024-09-11T19:15:00+02:00");
  EV("2024-09-11T17:15:00Z", NULL,
     "2024-09-11T19:15:00+02:00 | '2024-09-11T17:15:00Z' is at +00:00, "
     "but Europe/Berlin is +02:00 (CEST) then: the event starts at 19:15 "
     "there (leave out the offset to mean 17:15 there)");
  EV("2024-09-11 19:15:00.000 +2", NULL, "2024-09-11T19:15:00+02:00");
  EV("2024-09-11t19:15:00-05:00", NULL,
     "2024-09-12T02:15:00+02:00 | '2024-09-11t19:15:00-05:00' is at "
     "-05:00, but Europe/Berlin is +02:00 (CEST) then: the event starts at "
     "02:15 there (leave out the offset to mean 19:15 there)");
  EV("2024-09-11 19:15 UTC+2", NULL, "2024-09-11T19:15:00+02:00");
  EV("2024-12-11 19:15 GMT+1", NULL, "2024-12-11T19:15:00+01:00");
  EV("2024-12-11 19:15 UTC\xE2\x88\x92"
     "5",
     NULL,
     "2024-12-12T01:15:00+01:00 | '2024-12-11 19:15 UTC\xE2\x88\x92"
     "5' is at "
     "-05:00, but Europe/Berlin is +01:00 (CET) then: the event starts at "
     "01:15 there (leave out the offset to mean 19:15 there)");
  EV("2024-12-11", "19:15 (MEZ)", "2024-12-11T19:15:00+01:00");
  /* a generator's date at midnight, and the time apart */
  EV("2024-09-11T00:00:00+02:00", "19:15", "2024-09-11T19:15:00+02:00");
  EV("2024-09-11 18:00", "19:15",
     "error: the time is given twice: in the date '2024-09-11 18:00' and "
     "as '19:15'");
  /* a range: its start */
  EV("2024-09-11", "18:30 - 21:00",
     "2024-09-11T18:30:00+02:00 | '18:30 - 21:00' is a range: crier reads "
     "its start");
  EV("2024-09-11 6:30 PM\xE2\x80\x93"
     "9 PM",
     NULL,
     "2024-09-11T18:30:00+02:00 | '2024-09-11 6:30 PM\xE2\x80\x93"
     "9 PM' is a "
     "range: crier reads its start");
  /* a tz name per event: the wall-clock time there */
  EV("2024-09-11 18:30 America/Chicago", NULL,
     "2024-09-11T18:30:00-05:00 America/Chicago");
  STR_EQ(ev("2024-09-11", "18:30 CDT", "America/Chicago", NULL, NULL),
         "2024-09-11T18:30:00-05:00 America/Chicago");
  STR_EQ(ev("2024-12-11", "18:30 CDT", "America/Chicago", NULL, NULL),
         "2024-12-11T18:30:00-06:00 America/Chicago | zone 'CDT' "
         "contradicts America/Chicago, which is -06:00 (CST) on 2024-12-11; "
         "the wall-clock time 18:30 wins");
  STR_EQ(ev("2024-12-11", "18:30 MEZ", "America/Chicago", NULL, NULL),
         "error: '18:30 MEZ': unknown zone 'MEZ' for America/Chicago (it "
         "uses CST, CDT; or write an offset such as -06:00)");
  STR_EQ(
      ev("2024-12-11 18:30 Europe/Paris", NULL, "America/Chicago", NULL, NULL),
      "error: '2024-12-11 18:30 Europe/Paris' names the zone "
      "Europe/Paris, but the event's time zone is America/Chicago");
  STR_EQ(ev("2024-12-11 18:30", NULL, "Mars/Base", NULL, NULL),
         "error: unknown time zone 'Mars/Base' (expected a name from the tz "
         "database such as 'America/Chicago')");
  STR_EQ(ev("2024-03-10", "2:30", "America/Chicago", NULL, NULL),
         "error: 2024-03-10 02:30 does not exist in America/Chicago (the "
         "clocks skip it when daylight saving time starts)");
  /* the date from the file name; a site's default time */
  STR_EQ(ev(NULL, "19:00", NULL, "2024-09-11-rust.md", NULL),
         "2024-09-11T19:00:00+02:00");
  STR_EQ(ev(NULL, NULL, NULL, "2024-09-11-rust.md", "19:30"),
         "2024-09-11T19:30:00+02:00");
  STR_EQ(ev(NULL, "19:00", NULL, "rust.md", NULL), "error: no date");
  STR_EQ(ev("2024-09-11", NULL, NULL, NULL, NULL),
         "error: date '2024-09-11' has no time of day");
  /* a site in another zone: its own abbreviations, in any language */
  struct err e;
  OK(when_set_zone("America/Chicago", &e) == 0, "%s", e.msg);
  EV("March 24, 2015", "6:30 PM CDT", "2015-03-24T18:30:00-05:00");
  EV("January 14, 2015", "6:30 PM CST", "2015-01-14T18:30:00-06:00");
  EV("January 14, 2015", "6:30 PM EST",
     "error: '6:30 PM EST': unknown zone 'EST' for America/Chicago (it "
     "uses CST, CDT; or write an offset such as -06:00, or give the event "
     "its own time zone)");
  OK(when_set_zone("America/New_York", &e) == 0, "%s", e.msg);
  EV("January 14, 2015", "6:30 PM EST", "2015-01-14T18:30:00-05:00");
  OK(when_set_zone("Europe/Berlin", &e) == 0, "%s", e.msg);
}

int main(void)
{
  struct err e;
  if (when_set_zone("Europe/Berlin", &e) < 0) {
    printf("SKIP: %s\n", e.msg);
    return 77;
  }
  test_local();
  test_event_dates();
  test_before();
  test_now_and_durations();
  test_other_zone();
  test_forms();
  offsets();
  return t_summary();
}
