#ifndef CRIER_EVDATE_H
#define CRIER_EVDATE_H
/*
 * An event's start as meetup sites write it: the date and the time in
 * one value or two, the date alone from the file name, and a zone or
 * none. Accepted:
 *
 *   dates   2024-09-11, 2024/09/11, 11.09.2024, "September 11, 2024",
 *           "11 September 2024", "11. September 2024", "Wed, Sep 11th
 *           2024" (month and weekday names in every language loaded,
 *           see i18n.h)
 *   times   19:15, 9:05, 19:15:00, 19:15:00.250, 7pm, "7:15 PM", 7 p.m.;
 *           a range "18:30 - 21:00" is read as its start (with a warning)
 *   zones   an offset (+02:00, +0200, +2, Z, UTC+2, GMT-5): the instant
 *           as written (as Jekyll reads it), with a warning when the
 *           zone of the event has another offset then; an abbreviation
 *           the zone of the event uses (CET, CEST, CST, CDT, …, or a
 *           spelling of one in a language file: MEZ, MESZ): a label, the
 *           wall-clock time wins and a contradiction is a warning; a tz
 *           database name (America/Chicago): the wall-clock time there;
 *           nothing: the wall-clock time in the zone of the event.
 *
 * The zone of an event is its own (a tz name in the date or given apart)
 * or else the site's (when_set_zone). A date in a daylight-saving gap is
 * an error; a time that happens twice takes the first, with a warning.
 */
#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "err.h"

struct evdate_in {
  const char *date;         /* the date as written (may hold the time and a
                               zone); NULL when the event has none */
  const char *time;         /* the time as written apart (may hold a zone) */
  const char *zone;         /* the event's own zone (a tz database name) */
  const char *name_date;    /* a file name starting YYYY-MM-DD, for a
                               missing date */
  const char *default_time; /* the time of events that give none */
};

enum evdate_field { EVDATE_DATE, EVDATE_TIME, EVDATE_ZONE };

struct evdate {
  time_t start;
  int y, m, d;           /* the date, as soon as it was read (else 0) */
  char zone[64];         /* the event's own zone; "" for the site's */
  char form[96];         /* the shape written: "YYYY-MM-DD HH:MM ZONE" */
  bool from_name;        /* the date came from the file name */
  enum evdate_field bad; /* on failure: which value is at fault */
};

/* Reads the start from in. Warnings are appended to warn (joined by
 * "; "); fails with EX_DATAERR and a message that quotes the value at
 * fault (out->bad says which). */
int evdate_parse(const struct evdate_in *in, struct evdate *out,
                 struct buf *warn, struct err *e);

/* The same for one value holding date, time and zone. */
int evdate_parse_str(const char *s, time_t *t, struct buf *warn, struct err *e);

#endif
