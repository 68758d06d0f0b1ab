#ifndef CRIER_I18N_H
#define CRIER_I18N_H
/*
 * Languages: names and phrases for dates and times, and strings for the
 * templates, independent of the installed locales. Each language is a
 * data file, <templates>/<code>/language.yaml, beside its templates;
 * nothing about a language is in the code. The languages loaded form one
 * process-wide table (like the time zone in when.h): German is always id
 * 0 and English id 1, the others follow in the order of their codes.
 * Dates are broken-down local times (see when.h). Strings returned are
 * borrowed from the table and valid until the next i18n_load.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "diag.h"

#define LANG_MAX 16

/* A language's index in the table. */
enum lang { LANG_ID_DE, LANG_ID_EN };

/* Loads every language found in dirs (in order: a language directory in
 * an earlier one overrides single entries of the same language in a later
 * one, which must then be complete). de and en must be among them.
 * Replaces the table; returns -1 after adding errors (file:line) to d. */
int i18n_load(const char *const *dirs, size_t ndirs, struct diags *d);

/* The number of languages loaded (loading the built-in ones if none
 * are). */
size_t lang_count(void);
/* "de", "en", … ("" for an unknown id). */
const char *lang_code(enum lang l);
/* The id of code, or -1. */
int lang_find(const char *code);
/* "de, en, nl": the codes of the languages loaded (static buffer). */
const char *lang_list(void);

/* wday 0 = Sunday; mon 0 = January. */
const char *i18n_weekday(enum lang l, int wday);
const char *i18n_month(enum lang l, int mon);
const char *i18n_month_short(enum lang l, int mon);

/* The language's long date ("Mittwoch, 11. September 2024"), short date
 * ("Mi. 11.09.2024") and time ("19:15"). */
void i18n_date(enum lang l, const struct tm *tm, struct buf *out);
void i18n_date_short(enum lang l, const struct tm *tm, struct buf *out);
void i18n_time(enum lang l, const struct tm *tm, struct buf *out);
/* The zone abbreviation as said in l (MEZ for CET in German), appended to
 * out; others unchanged, except that a zone without an abbreviation (the
 * tz database's "+1030") is said as UTC+10:30. */
void i18n_zone(enum lang l, const char *abbr, struct buf *out);
/* What a zone abbreviation written in some language's events stands for
 * in the tz database ("MEZ" → "CET", "MEST" → "CEST"), for any language
 * loaded; NULL when no language knows it. */
const char *i18n_zone_meaning(const char *written);
/* The other spellings of the tz abbreviation abbr in the languages
 * loaded ("MEZ" for "CET"), at most max into out (borrowed); returns
 * how many. */
size_t i18n_zone_spellings(const char *abbr, const char **out, size_t max);
/* The month (0-11) whose name or short name in any language loaded is
 * word[0..n) (ASCII case ignored, a final '.' optional), or -1. */
int i18n_month_from(const char *word, size_t n);
/* Whether word[0..n) is a weekday's name or short name in any language. */
bool i18n_is_weekday(const char *word, size_t n);
/* Whether word[0..n) is "am" (0) or "pm" (1) in any language, or -1. */
int i18n_ampm_from(const char *word, size_t n);

/* How far start is from now, as people say it: "heute Abend", "morgen",
 * "in 7 Tagen" / "tonight", "tomorrow", "in 7 days". */
void i18n_relative(enum lang l, time_t now, time_t start, struct buf *out);

/* A field's name (for update notices). */
const char *i18n_field(enum lang l, const char *field);
/* The name of language `of` in language l: the entry of l's 'languages'
 * map ("Englisch" in German), else of's own 'name'. Borrowed. */
const char *i18n_lang_name(enum lang l, enum lang of);
/* The language text is most likely written in, by the common words each
 * language file lists ('words'): the one with the most of them, at least
 * three and twice as many as any other; -1 when none is that clear. */
int i18n_guess(const char *text);

/* The strings of the language file's 'texts' map, for templates; each
 * call gives name and value (borrowed) of entry i, false past the end. */
bool i18n_text(enum lang l, size_t i, const char **name, const char **value);

#endif
