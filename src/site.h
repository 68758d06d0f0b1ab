#ifndef CRIER_SITE_H
#define CRIER_SITE_H
/*
 * A site: the configuration, its locations and every event file in its
 * events directory, sorted by file name. The site owns its locations and
 * events; the config is borrowed and must outlive it.
 */
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "event.h"

#define SITE_MAX_EVENTS 100000

struct site {
  const struct config *cfg;
  struct locations locs;
  struct event **events; /* the files that loaded */
  size_t n;
  size_t nfiles;         /* event files found, including broken ones */
  char **broken;         /* ids of files that exist but did not load */
  size_t nbroken;
  bool locations_failed; /* the locations file did not load */
};

/* Whether id is the id of an event file that exists but did not load:
 * such an event is reported and otherwise left alone (never taken for a
 * removed one). */
bool site_is_broken(const struct site *s, const char *id);

/* Loads the locations and every *.md / *.markdown file of the events
 * directory. Files that fail to load are reported in d and listed in
 * broken; returns -1 only when the directory cannot be read.
 * progress: print a progress line on stderr for large sites. */
int site_load(struct site *s, const struct config *cfg, struct diags *d,
              bool progress);
void site_release(struct site *s);

/* An event by id, file name or path; loads a path outside the events
 * directory too. NULL with an error (EX_DATAERR / EX_NOINPUT) otherwise. */
const struct event *site_find(struct site *s, const char *what,
                              struct diags *d, struct err *e);

/* Lint rules across files: file-name date vs date:, a month named in the
 * title vs the event's month, the same Meetup or planning link in two
 * files. Adds warnings to d. */
void site_lint(const struct site *s, struct diags *d);

/* The event's page: site url + permalink pattern. */
void site_event_url(const struct config *cfg, const struct event *ev,
                    struct buf *out);

#endif
