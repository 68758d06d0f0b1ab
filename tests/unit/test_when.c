/* Time zones through the tz database: DST gaps and overlaps on the last
 * Sundays of March and October, zone names and offsets in event dates,
 * calendar-day offsets across DST, durations and formatting. */
#include "harness.h"

#include <stdlib.h>

#include "when.h"

static time_t utc(int y, int mo, int d, int h, int mi)
{
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                  .tm_hour = h, .tm_min = mi};
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
  OK(when_parse_event_date("2024-09-11 19:15:00 MESZ", &t, &warn, &e) == 0,
     "%s", e.msg);
  INT_EQ(t, utc(2024, 9, 11, 17, 15));
  INT_EQ(warn.len, 0);
  /* an abbreviation that contradicts the date: a warning, wall clock wins */
  OK(when_parse_event_date("2016-04-06 19:15:00 MEZ", &t, &warn, &e) == 0,
     "%s", e.msg);
  INT_EQ(t, utc(2016, 4, 6, 17, 15));
  OK(strstr(warn.data, "zone 'MEZ' contradicts") != NULL, "%s", warn.data);
  buf_reset(&warn);
  OK(when_parse_event_date("2015-07-29 19:00:00 MEST", &t, &warn, &e) == 0,
     "%s", e.msg);
  INT_EQ(warn.len, 0);
  OK(when_parse_event_date("2020-02-05 19:15 CET", &t, &warn, &e) == 0, "x");
  INT_EQ(t, utc(2020, 2, 5, 18, 15));
  OK(when_parse_event_date("2020-02-05 19:15", &t, &warn, &e) == 0, "x");
  INT_EQ(t, utc(2020, 2, 5, 18, 15));
  OK(when_parse_event_date("2020-02-05 19:15 UTC", &t, &warn, &e) == 0, "x");
  OK(strstr(warn.data, "'UTC' contradicts") != NULL, "%s", warn.data);
  buf_reset(&warn);
  /* numeric offsets must agree */
  OK(when_parse_event_date("2024-07-01 19:00 +02:00", &t, &warn, &e) == 0,
     "%s", e.msg);
  OK(when_parse_event_date("2024-07-01 19:00 +0200", &t, &warn, &e) == 0,
     "%s", e.msg);
  OK(when_parse_event_date("2024-07-01 19:00 +01:00", &t, &warn, &e) < 0,
     "a contradicting offset is an error");
  OK(strstr(e.msg, "contradicts") != NULL, "%s", e.msg);
  /* the offset picks the second occurrence in an overlap */
  OK(when_parse_event_date("2024-10-27 02:30 +01:00", &t, &warn, &e) == 0,
     "%s", e.msg);
  INT_EQ(t, utc(2024, 10, 27, 1, 30));
  INT_EQ(warn.len, 0);
  OK(when_parse_event_date("2024-10-27 02:30", &t, &warn, &e) == 0, "x");
  INT_EQ(t, utc(2024, 10, 27, 0, 30));
  OK(strstr(warn.data, "happens twice") != NULL, "%s", warn.data);
  buf_reset(&warn);
  /* impossible dates and times */
  OK(when_parse_event_date("2024-03-31 02:30", &t, &warn, &e) < 0, "gap");
  OK(strstr(e.msg, "does not exist") != NULL, "%s", e.msg);
  OK(when_parse_event_date("2023-02-29 19:00", &t, &warn, &e) < 0, "feb 29");
  OK(when_parse_event_date("2024-02-29 19:00", &t, &warn, &e) == 0, "leap");
  OK(when_parse_event_date("2024-13-01 19:00", &t, &warn, &e) < 0, "mon 13");
  OK(when_parse_event_date("2024-04-31 19:00", &t, &warn, &e) < 0, "apr 31");
  OK(when_parse_event_date("2024-04-30 24:00", &t, &warn, &e) < 0, "24:00");
  OK(when_parse_event_date("2024-04-30 19:60", &t, &warn, &e) < 0, "19:60");
  OK(when_parse_event_date("2024-04-30", &t, &warn, &e) < 0, "no time");
  OK(when_parse_event_date("30.04.2024 19:00", &t, &warn, &e) < 0, "german");
  OK(when_parse_event_date("2024-04-30 19:00 PST", &t, &warn, &e) < 0, "PST");
  OK(strstr(e.msg, "unknown zone 'PST'") != NULL, "%s", e.msg);
  OK(when_parse_event_date("2024-04-30 19:00 MEZ x", &t, &warn, &e) < 0,
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
  return t_summary();
}
