#ifndef CRIER_SITE_H
#define CRIER_SITE_H
/*
 * A site: the configuration, its locations and every event file in its
 * events directory, sorted by file name. The site owns its locations and
 * events; the config is borrowed and must outlive it.
 */
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "event.h"

#define SITE_MAX_EVENTS 100000

struct site {
  const struct config *cfg;
  struct locations locs;
  struct event **events; /* the events that loaded */
  size_t n;
  size_t nfiles; /* events found (files and entries of data
                    files), including broken ones */
  char **broken; /* ids of events that exist but did not load */
  size_t nbroken;
  bool broken_unknown;   /* a data file did not parse and not every id in
                            it could be read: any id may be broken */
  bool locations_failed; /* the locations file did not load */
};

/* How to load a site. */
struct site_opts {
  bool progress; /* a progress line on stderr for large sites */
  time_t now;    /* 0: no archive rule */
  bool strict;   /* old events' problems stay errors (check --strict) */
};

/* Whether id is the id of an event that exists but did not load (or may
 * be, see broken_unknown): such an event is reported and otherwise left
 * alone (never taken for a removed one). */
bool site_is_broken(const struct site *s, const char *id);

/* Loads the locations and every event of the site: the files of the
 * events directory that site.include and site.exclude select (with its
 * subdirectories when site.recursive; page bundles DIR/index.md one
 * level down always), translations (NAME.LANG.md) as texts of NAME, and
 * the events of the data files (site.data). Events that fail to load
 * are reported in d and their ids listed in broken; an event whose day
 * lies more than site.archive_after before o->now reports warnings
 * instead of errors unless o->strict. Ids must be unique: a second
 * event with an id is an error naming both places. Returns -1 only when
 * the events directory cannot be read. o may be NULL. */
int site_load(struct site *s, const struct config *cfg,
              const struct site_opts *o, struct diags *d);
/* Loads the events of one file (an event file or a data file) that is
 * not part of the site's walk, and adds them to s. Returns how many
 * loaded, -1 when none did. */
int site_load_file(struct site *s, const char *path, struct diags *d);
void site_release(struct site *s);

/* One event of a data file as written: its id and a digest of its
 * fields (equal digests: nothing changed). */
struct data_entry {
  char *id;
  char digest[65];
};
/* The events in the text of a data file (a version of one from git, for
 * 'changed'); returns how many (0 when the text does not parse) and sets
 * *out (free with data_entries_free). */
size_t site_data_entries(const struct config *cfg, const char *text, size_t len,
                         struct data_entry **out);
void data_entries_free(struct data_entry *v, size_t n);
/* Whether path (relative to the events directory) is one of the site's
 * event files: chosen by site.include and site.exclude, at the top,
 * below it when site.recursive, or a page bundle's index one level down. */
bool site_is_event_path(const struct config *cfg, const char *rel);
/* Whether path (a file) is one of the site's data files (site.data, or a
 * .yml/.yaml file in a directory named there). */
bool site_is_data_path(const struct config *cfg, const char *path);

/* An event by id, file name or path; loads a path outside the events
 * directory too. NULL with an error (EX_DATAERR / EX_NOINPUT) otherwise. */
const struct event *site_find(struct site *s, const char *what, struct diags *d,
                              struct err *e);

/* Lint rules across files: file-name date vs date:, a month named in the
 * title vs the event's month, the same Meetup or planning link in two
 * files. Adds warnings to d. */
void site_lint(const struct site *s, struct diags *d);

/* The event's page: site url + permalink pattern. */
void site_event_url(const struct config *cfg, const struct event *ev,
                    struct buf *out);

#endif
