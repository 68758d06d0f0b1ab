#include "i18n.h"

#include <string.h>

#include "util.h"
#include "when.h"

static const char *const weekdays[2][7] = {
    {"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag",
     "Samstag"},
    {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
     "Saturday"}};
static const char *const weekdays_short[2][7] = {
    {"So.", "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa."},
    {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}};
static const char *const months[2][12] = {
    {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
     "September", "Oktober", "November", "Dezember"},
    {"January", "February", "March", "April", "May", "June", "July", "August",
     "September", "October", "November", "December"}};

const char *lang_code(enum lang l)
{
  return l == LANG_ID_DE ? "de" : "en";
}

const char *i18n_weekday(enum lang l, int wday)
{
  return weekdays[l][((wday % 7) + 7) % 7];
}

const char *i18n_month(enum lang l, int mon)
{
  return months[l][((mon % 12) + 12) % 12];
}

void i18n_date(enum lang l, const struct tm *tm, struct buf *out)
{
  if (l == LANG_ID_DE)
    buf_addf(out, "%s, %d. %s %d", i18n_weekday(l, tm->tm_wday), tm->tm_mday,
             i18n_month(l, tm->tm_mon), tm->tm_year + 1900);
  else
    buf_addf(out, "%s, %d %s %d", i18n_weekday(l, tm->tm_wday), tm->tm_mday,
             i18n_month(l, tm->tm_mon), tm->tm_year + 1900);
}

void i18n_date_short(enum lang l, const struct tm *tm, struct buf *out)
{
  if (l == LANG_ID_DE)
    buf_addf(out, "%s %02d.%02d.%d", weekdays_short[l][tm->tm_wday],
             tm->tm_mday, tm->tm_mon + 1, tm->tm_year + 1900);
  else
    buf_addf(out, "%s, %d %.3s %d", weekdays_short[l][tm->tm_wday],
             tm->tm_mday, i18n_month(l, tm->tm_mon), tm->tm_year + 1900);
}

void i18n_time(const struct tm *tm, struct buf *out)
{
  buf_addf(out, "%02d:%02d", tm->tm_hour, tm->tm_min);
}

const char *i18n_zone(enum lang l, const char *abbr)
{
  if (l == LANG_ID_DE) {
    if (strcmp(abbr, "CET") == 0)
      return "MEZ";
    if (strcmp(abbr, "CEST") == 0)
      return "MESZ";
  }
  return abbr;
}

/* Days between the local calendar dates of a and b. */
static long day_diff(time_t a, time_t b)
{
  struct tm ta, tb;
  when_local(a, &ta);
  when_local(b, &tb);
  struct tm da = {.tm_year = ta.tm_year, .tm_mon = ta.tm_mon,
                  .tm_mday = ta.tm_mday};
  struct tm db = {.tm_year = tb.tm_year, .tm_mon = tb.tm_mon,
                  .tm_mday = tb.tm_mday};
  return (long)((timegm(&db) - timegm(&da)) / 86400);
}

void i18n_relative(enum lang l, time_t now, time_t start, struct buf *out)
{
  bool de = l == LANG_ID_DE;
  long secs = (long)(start - now);
  if (secs <= 0) {
    buf_adds(out, de ? "jetzt" : "now");
    return;
  }
  long days = day_diff(now, start);
  struct tm st;
  when_local(start, &st);
  bool evening = st.tm_hour >= 17;
  if (secs < 3600) {
    long m = (secs + 59) / 60;
    if (m == 1)
      buf_adds(out, de ? "in einer Minute" : "in a minute");
    else
      buf_addf(out, de ? "in %ld Minuten" : "in %ld minutes", m);
  } else if (days == 0) {
    buf_adds(out, evening ? (de ? "heute Abend" : "tonight")
                          : (de ? "heute" : "today"));
  } else if (days == 1) {
    buf_adds(out, evening ? (de ? "morgen Abend" : "tomorrow evening")
                          : (de ? "morgen" : "tomorrow"));
  } else if (days == 2 && de) {
    buf_adds(out, "übermorgen");
  } else if (days % 7 == 0 && days >= 7) {
    if (days == 7)
      buf_adds(out, de ? "in einer Woche" : "in a week");
    else
      buf_addf(out, de ? "in %ld Wochen" : "in %ld weeks", days / 7);
  } else {
    buf_addf(out, de ? "in %ld Tagen" : "in %ld days", days);
  }
}

const char *i18n_field(enum lang l, const char *field)
{
  static const char *const names[][3] = {
      {"title", "Titel", "Title"},
      {"date", "Datum", "Date"},
      {"time", "Uhrzeit", "Time"},
      {"location", "Ort", "Place"},
      {"end", "Ende", "Ends"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(names); i++)
    if (strcmp(names[i][0], field) == 0)
      return names[i][l == LANG_ID_DE ? 1 : 2];
  return field;
}
