#ifndef CRIER_I18N_H
#define CRIER_I18N_H
/*
 * German and English names and phrases for dates and times, independent of
 * the installed locales. Dates are broken-down local times of the site zone
 * (see when.h).
 */
#include <time.h>

#include "buf.h"

enum lang { LANG_ID_DE, LANG_ID_EN };

const char *lang_code(enum lang l); /* "de", "en" */

/* Returns a static string. wday 0 = Sunday; mon 0 = January. */
const char *i18n_weekday(enum lang l, int wday);
const char *i18n_month(enum lang l, int mon);

/* "Mittwoch, 11. September 2024" / "Wednesday, 11 September 2024" */
void i18n_date(enum lang l, const struct tm *tm, struct buf *out);
/* "Mi., 11.09.2024" / "Wed, 11 Sep 2024" */
void i18n_date_short(enum lang l, const struct tm *tm, struct buf *out);
/* "19:15" */
void i18n_time(const struct tm *tm, struct buf *out);
/* The zone abbreviation as said in l: CET/CEST in English, MEZ/MESZ in
 * German; other zones unchanged. Static or borrowed from abbr. */
const char *i18n_zone(enum lang l, const char *abbr);

/* How far start is from now, as people say it: "heute Abend", "morgen",
 * "in 7 Tagen" / "tonight", "tomorrow", "in 7 days". */
void i18n_relative(enum lang l, time_t now, time_t start, struct buf *out);

/* Words used in templates' contexts: a field's name (for update notices). */
const char *i18n_field(enum lang l, const char *field);

#endif
