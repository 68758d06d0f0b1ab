/* German and English dates and relative phrases, without locales. */
#include "harness.h"

#include "i18n.h"
#include "when.h"

static const char *rel(enum lang l, const char *now, const char *start)
{
  static struct buf b = BUF_INIT;
  buf_reset(&b);
  i18n_relative(l, at(now), at(start), &b);
  return b.data;
}

int main(void)
{
  struct err e;
  if (when_set_zone("Europe/Berlin", &e) < 0) {
    printf("SKIP: %s\n", e.msg);
    return 77;
  }
  struct tm tm;
  struct buf b = BUF_INIT;
  when_local(at("2024-03-13T19:00:00+01:00"), &tm);
  i18n_date(LANG_ID_DE, &tm, &b);
  STR_EQ(b.data, "Mittwoch, 13. März 2024");
  buf_reset(&b);
  i18n_date(LANG_ID_EN, &tm, &b);
  STR_EQ(b.data, "Wednesday, 13 March 2024");
  buf_reset(&b);
  i18n_date_short(LANG_ID_DE, &tm, &b);
  STR_EQ(b.data, "Mi. 13.03.2024");
  buf_reset(&b);
  i18n_date_short(LANG_ID_EN, &tm, &b);
  STR_EQ(b.data, "Wed, 13 Mar 2024");
  buf_reset(&b);
  i18n_time(&tm, &b);
  STR_EQ(b.data, "19:00");
  STR_EQ(i18n_zone(LANG_ID_DE, tm.tm_zone), "MEZ");
  STR_EQ(i18n_zone(LANG_ID_EN, tm.tm_zone), "CET");
  when_local(at("2024-07-03T19:00:00+02:00"), &tm);
  STR_EQ(i18n_zone(LANG_ID_DE, tm.tm_zone), "MESZ");
  STR_EQ(i18n_zone(LANG_ID_EN, tm.tm_zone), "CEST");
  buf_release(&b);
  for (int m = 0; m < 12; m++)
    OK(i18n_month(LANG_ID_DE, m) && i18n_month(LANG_ID_EN, m), "month %d", m);
  STR_EQ(i18n_month(LANG_ID_DE, 4), "Mai");
  STR_EQ(i18n_weekday(LANG_ID_DE, 0), "Sonntag");

  const char *ev = "2024-09-11T19:15:00+02:00";
  STR_EQ(rel(LANG_ID_DE, "2024-09-11T17:15:00+02:00", ev), "heute Abend");
  STR_EQ(rel(LANG_ID_EN, "2024-09-11T17:15:00+02:00", ev), "tonight");
  STR_EQ(rel(LANG_ID_DE, "2024-09-10T19:15:00+02:00", ev), "morgen Abend");
  STR_EQ(rel(LANG_ID_EN, "2024-09-10T19:15:00+02:00", ev),
         "tomorrow evening");
  STR_EQ(rel(LANG_ID_DE, "2024-09-09T10:00:00+02:00", ev), "übermorgen");
  STR_EQ(rel(LANG_ID_EN, "2024-09-09T10:00:00+02:00", ev), "in 2 days");
  STR_EQ(rel(LANG_ID_DE, "2024-09-04T19:15:00+02:00", ev), "in einer Woche");
  STR_EQ(rel(LANG_ID_EN, "2024-09-04T19:15:00+02:00", ev), "in a week");
  STR_EQ(rel(LANG_ID_DE, "2024-09-06T19:15:00+02:00", ev), "in 5 Tagen");
  STR_EQ(rel(LANG_ID_EN, "2024-08-21T19:15:00+02:00", ev), "in 3 weeks");
  STR_EQ(rel(LANG_ID_DE, "2024-09-01T19:15:00+02:00", ev), "in 10 Tagen");
  STR_EQ(rel(LANG_ID_DE, "2024-09-11T18:45:00+02:00", ev), "in 30 Minuten");
  STR_EQ(rel(LANG_ID_EN, "2024-09-11T19:14:30+02:00", ev), "in a minute");
  STR_EQ(rel(LANG_ID_EN, "2024-09-11T19:20:00+02:00", ev), "now");
  STR_EQ(rel(LANG_ID_DE, "2024-09-11T08:00:00+02:00",
             "2024-09-11T12:00:00+02:00"), "heute");
  STR_EQ(rel(LANG_ID_EN, "2024-09-10T08:00:00+02:00",
             "2024-09-11T12:00:00+02:00"), "tomorrow");
  /* calendar days across the DST change: Saturday to Sunday is one day */
  STR_EQ(rel(LANG_ID_EN, "2024-03-30T23:30:00+01:00",
             "2024-03-31T19:00:00+02:00"), "tomorrow evening");
  STR_EQ(rel(LANG_ID_DE, "2024-10-20T19:00:00+02:00",
             "2024-10-27T19:00:00+01:00"), "in einer Woche");
  STR_EQ(i18n_field(LANG_ID_DE, "location"), "Ort");
  STR_EQ(i18n_field(LANG_ID_EN, "location"), "Place");
  return t_summary();
}
