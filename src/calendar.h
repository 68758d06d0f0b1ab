#ifndef CRIER_CALENDAR_H
#define CRIER_CALENDAR_H
/*
 * Events as calendar entries, for mail invitations and the feed (the
 * iCalendar text is ical.c's). One event has one UID everywhere and for
 * ever: its journal identity (which survives a file rename) at the site's
 * host. Its SEQUENCE comes from the journal (journal_sequence): it grows
 * with every change of date, time, place, title or status and never goes
 * down.
 *
 * The feed holds the site's published events that start in the window
 * (calendar.past before now to calendar.future after, or all ahead), and
 * the announced events whose files are gone, as cancelled (unless the
 * events directory is empty or the locations did not load, when nothing
 * counts as gone; a file that exists but does not load shows as it was
 * announced). Its DTSTAMP and LAST-MODIFIED are when the journal first saw
 * an entry's state, so the same events give the same bytes.
 */
#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "ical.h"
#include "journal.h"
#include "site.h"

/* The calendar settings of cfg for a calendar with method m: the site's
 * zone (calendar.times: local) or UTC, the name and refresh interval (the
 * feed's; m is then ICAL_NO_METHOD). */
void calendar_settings(const struct config *cfg, enum ical_method m,
                       struct ical_cal *c);

/* The domain of every UID: site.url's host, else the domain of the first
 * mail channel's from address, else "crier.invalid" (borrowed from cfg or
 * static; the caller's buffer may be used: see the definition). */
void calendar_uid_domain(const struct config *cfg, struct buf *out);

/* An event's entry. ie's strings point into the buffers and ev. The
 * caller sets stamp, modified, sequence, cancelled and organizer. */
struct calendar_entry {
  struct ical_event ie;
  struct buf uid, location, description, url;
};
void calendar_entry_init(struct calendar_entry *ce, const struct config *cfg,
                         const struct event *ev);
void calendar_entry_release(struct calendar_entry *ce);

/* The SEQUENCE of ev's entry with status cancelled, and when its state
 * was first seen (journal_sequence with the event's identity, hash and
 * end). j NULL: 0 and 0. */
int calendar_sequence(struct journal *j, const struct config *cfg,
                      const struct event *ev, bool cancelled, bool record,
                      int *seq, time_t *changed, struct err *e);

/* The feed at now: an iCalendar text, or (json) a JSON document with the
 * same entries. j may be NULL (sequences 0, stamps now); otherwise the
 * entries' states are recorded in it. Fails (-1, e) only when the journal
 * fails. */
int calendar_feed(const struct config *cfg, struct site *site,
                  struct journal *j, time_t now, bool json, struct buf *out,
                  struct err *e);

#endif
