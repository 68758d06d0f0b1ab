/* Dates and relative phrases in German, English and Dutch, without
 * locales, from the language data files; a user's file overriding single
 * entries; broken language files named with file:line. */
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "i18n.h"
#include "render.h"
#include "when.h"

static char dir[] = "/tmp/crier-test-i18n-XXXXXX";

static void put(const char *rel, const char *text)
{
  t_put(dir, rel, text);
}

/* Loads the built-in languages under the user directory dir; returns the
 * result and the first message in msg. */
static int load_with_user(char *msg, size_t n)
{
  const char *dirs[] = {dir, render_builtin_dir()};
  struct diags d;
  diags_init(&d);
  int rc = i18n_load(dirs, 2, &d);
  snprintf(msg, n, "%s:%d: %s", d.n && d.v[0].file ? d.v[0].file : "",
           d.n ? d.v[0].line : 0, d.n ? d.v[0].msg : "");
  diags_release(&d);
  return rc;
}

static const char *rel(enum lang l, const char *now, const char *start)
{
  static struct buf b = BUF_INIT;
  buf_reset(&b);
  i18n_relative(l, at(now), at(start), &b);
  return b.data;
}

/* A zone as said in l (a static buffer). */
static const char *zone(enum lang l, const char *abbr)
{
  static struct buf b = BUF_INIT;
  buf_reset(&b);
  i18n_zone(l, abbr, &b);
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
  i18n_time(LANG_ID_DE, &tm, &b);
  STR_EQ(b.data, "19:00");
  STR_EQ(zone(LANG_ID_DE, tm.tm_zone), "MEZ");
  STR_EQ(zone(LANG_ID_EN, tm.tm_zone), "CET");
  when_local(at("2024-07-03T19:00:00+02:00"), &tm);
  STR_EQ(zone(LANG_ID_DE, tm.tm_zone), "MESZ");
  STR_EQ(zone(LANG_ID_EN, tm.tm_zone), "CEST");
  /* a zone without an abbreviation: its offset from UTC, said so, with
   * nothing Markdown would escape (issue 22: "19:00 (\+1030)") */
  STR_EQ(zone(LANG_ID_EN, "+1030"), "UTC+10:30");
  STR_EQ(zone(LANG_ID_DE, "-03"), "UTC-3");
  STR_EQ(zone(LANG_ID_EN, "+0500"), "UTC+5");
  STR_EQ(zone(LANG_ID_EN, "UTC"), "UTC");
  buf_release(&b);

  /* the language a text is written in, by the language files' words */
  INT_EQ(i18n_guess("We will talk about the edition and what you can do "
                    "with it."),
         LANG_ID_EN);
  INT_EQ(i18n_guess("Wir sprechen über die Edition und was ihr mit ihr "
                    "machen könnt, und nicht mehr."),
         LANG_ID_DE);
  INT_EQ(i18n_guess("We praten over de editie en wat je er mee kunt doen, "
                    "het is een mooie avond."),
         lang_find("nl"));
  INT_EQ(i18n_guess("Rust 1.85"), -1);
  STR_EQ(i18n_lang_name(LANG_ID_DE, LANG_ID_EN), "Englisch");
  STR_EQ(i18n_lang_name(LANG_ID_EN, LANG_ID_DE), "German");
  for (int m = 0; m < 12; m++)
    OK(i18n_month(LANG_ID_DE, m) && i18n_month(LANG_ID_EN, m), "month %d", m);
  STR_EQ(i18n_month(LANG_ID_DE, 4), "Mai");
  STR_EQ(i18n_weekday(LANG_ID_DE, 0), "Sonntag");

  const char *ev = "2024-09-11T19:15:00+02:00";
  STR_EQ(rel(LANG_ID_DE, "2024-09-11T17:15:00+02:00", ev), "heute Abend");
  STR_EQ(rel(LANG_ID_EN, "2024-09-11T17:15:00+02:00", ev), "tonight");
  STR_EQ(rel(LANG_ID_DE, "2024-09-10T19:15:00+02:00", ev), "morgen Abend");
  STR_EQ(rel(LANG_ID_EN, "2024-09-10T19:15:00+02:00", ev), "tomorrow evening");
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
  STR_EQ(
      rel(LANG_ID_DE, "2024-09-11T08:00:00+02:00", "2024-09-11T12:00:00+02:00"),
      "heute");
  STR_EQ(
      rel(LANG_ID_EN, "2024-09-10T08:00:00+02:00", "2024-09-11T12:00:00+02:00"),
      "tomorrow");
  /* calendar days across the DST change: Saturday to Sunday is one day */
  STR_EQ(
      rel(LANG_ID_EN, "2024-03-30T23:30:00+01:00", "2024-03-31T19:00:00+02:00"),
      "tomorrow evening");
  STR_EQ(
      rel(LANG_ID_DE, "2024-10-20T19:00:00+02:00", "2024-10-27T19:00:00+01:00"),
      "in einer Woche");
  STR_EQ(i18n_field(LANG_ID_DE, "location"), "Ort");
  STR_EQ(i18n_field(LANG_ID_EN, "location"), "Place");

  /* Dutch, from its data file alone */
  int nl = lang_find("nl");
  OK(nl >= 2, "nl is a language (%d); languages: %s", nl, lang_list());
  STR_EQ(lang_code((enum lang)nl), "nl");
  when_local(at("2024-03-13T19:00:00+01:00"), &tm);
  b = (struct buf)BUF_INIT;
  i18n_date((enum lang)nl, &tm, &b);
  STR_EQ(b.data, "woensdag 13 maart 2024");
  buf_reset(&b);
  i18n_date_short((enum lang)nl, &tm, &b);
  STR_EQ(b.data, "wo 13 mrt 2024");
  STR_EQ(rel((enum lang)nl, "2024-09-10T19:15:00+02:00", ev), "morgenavond");
  STR_EQ(rel((enum lang)nl, "2024-09-06T19:15:00+02:00", ev), "over 5 dagen");
  STR_EQ(rel((enum lang)nl, "2024-09-11T19:14:30+02:00", ev),
         "over een minuut");
  STR_EQ(i18n_field((enum lang)nl, "time"), "Tijd");
  /* words for parsing dates, from every language */
  INT_EQ(i18n_month_from("März", strlen("März")), 2);
  INT_EQ(i18n_month_from("mrt", 3), 2);
  INT_EQ(i18n_month_from("Sept.", 5), 8);
  INT_EQ(i18n_month_from("MARCH", 5), 2);
  INT_EQ(i18n_month_from("Marc", 4), -1);
  OK(i18n_is_weekday("Tuesday", 7) && i18n_is_weekday("di", 2) &&
         !i18n_is_weekday("Tues", 4),
     "weekdays");
  INT_EQ(i18n_ampm_from("p.m.", 4), 1);
  INT_EQ(i18n_ampm_from("AM", 2), 0);
  INT_EQ(i18n_ampm_from("pn", 2), -1);
  STR_EQ(i18n_zone_meaning("MESZ"), "CEST");
  STR_EQ(i18n_zone_meaning("mest"), "CEST");
  STR_EQ(i18n_zone_meaning("MEZT"), "CEST");
  OK(i18n_zone_meaning("PST") == NULL, "PST is no language's own");

  /* a user's file replaces single entries of a built-in language, and
   * adds a language of its own when it is complete */
  char msg[1024];
  OK(mkdtemp(dir) != NULL, "tmp");
  char p[600];
  snprintf(p, sizeof(p), "%s/en", dir);
  mkdir(p, 0700);
  put("en/language.yaml", "relative:\n  tonight: this evening\n"
                          "texts: {program_in_description: See below.}\n");
  OK(load_with_user(msg, sizeof(msg)) == 0, "override loads: %s", msg);
  STR_EQ(rel(LANG_ID_EN, "2024-09-11T17:15:00+02:00", ev), "this evening");
  STR_EQ(rel(LANG_ID_EN, "2024-09-10T19:15:00+02:00", ev), "tomorrow evening");
  const char *tn, *tv = NULL;
  for (size_t i = 0; i18n_text(LANG_ID_EN, i, &tn, &tv); i++)
    if (strcmp(tn, "program_in_description") == 0)
      break;
  STR_EQ(tv, "See below.");
  /* broken files: file and line, and the closest key */
  put("en/language.yaml", "relative:\n  tonihgt: this evening\n");
  OK(load_with_user(msg, sizeof(msg)) < 0 &&
         strstr(msg, "en/language.yaml:2: unknown key 'relative.tonihgt' "
                     "(did you mean 'tonight'?)"),
     "unknown key: %s", msg);
  put("en/language.yaml", "weekdays: [a, b]\n");
  OK(load_with_user(msg, sizeof(msg)) < 0 &&
         strstr(msg, "en/language.yaml:1: 'weekdays' must be a list of 7"),
     "short list: %s", msg);
  put("en/language.yaml", "name: x\n");
  snprintf(p, sizeof(p), "%s/pl", dir);
  mkdir(p, 0700);
  put("pl/language.yaml", "name: Polski\n");
  OK(load_with_user(msg, sizeof(msg)) < 0 &&
         strstr(msg, "pl/language.yaml:0: language 'pl' has no 'date'"),
     "incomplete new language: %s", msg);
  snprintf(p, sizeof(p), "%s/pl/language.yaml", dir);
  unlink(p);
  snprintf(p, sizeof(p), "%s/pl", dir);
  rmdir(p);
  snprintf(p, sizeof(p), "%s/en/language.yaml", dir);
  unlink(p);
  snprintf(p, sizeof(p), "%s/en", dir);
  rmdir(p);
  rmdir(dir);
  buf_release(&b);
  return t_summary();
}
