#ifndef CRIER_EVENT_H
#define CRIER_EVENT_H
/*
 * Events (one Markdown file with YAML front matter each) and the locations
 * they point to. An event owns all of its strings; a location is borrowed
 * from the struct locations it was resolved against, which must outlive it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "diag.h"

/* A text in one language. */
struct ltext {
  char *lang, *text;
};

struct location {
  char *key; /* "" for a place written in the event itself */
  int line;
  char *short_name, *name, *street, *city, *web, *osm;
  char *directions;            /* as written, or the first of a map of
                                  them by language */
  struct ltext *directions_in; /* directions: {de: …, en: …} */
  size_t ndirections_in;
  bool has_geo;    /* lat/lon given, or read from the osm link */
  double lat, lon; /* WGS 84 degrees */
  bool online;     /* a place without a street in the locations file */
};

struct locations {
  char *path;
  struct location *v;
  size_t n;
};

/* Loads a locations file (a map from key to fields). Returns -1 after adding
 * errors to d. An absent path (NULL) gives an empty set. */
int locations_load(struct locations *l, const char *path, struct diags *d);
void locations_release(struct locations *l);
const struct location *locations_find(const struct locations *l,
                                      const char *key);

enum talks_state {
  TALKS_WANTED, /* no talks: key: talks are still wanted */
  TALKS_NONE,   /* talks: [] */
  TALKS_OPEN,   /* talks: false, an open space */
  TALKS_LIST,   /* a list of talks */
};

/* A speaker: a name, and where to find them (as written; NULL: not
 * given). */
struct person {
  char *name;
  char *github, *twitter, *mastodon, *bluesky, *url;
};

struct talk {
  char *title, *abstract, *slides, *video;
  char *speaker, *github, *twitter; /* speaker: names joined by ", ";
                                       github, twitter: the first given */
  struct person *people;            /* each speaker, in order */
  size_t npeople;
};

/* The title and text of an event in another language (a translation
 * file, x.de.md beside x.md). */
struct event_text {
  char *lang, *title, *body, *path;
};

struct link {
  char *label, *url;
  int line;
};

struct event {
  char *id;   /* file name without .md; a page bundle's directory name; a
                 data file's id key */
  char *uid;  /* the id the journal knows it by (its first file's id, when
                 the file was renamed since); NULL: id. See event_uid. */
  char *path; /* as given to event_load; a data file's path */
  char *lang; /* the language of title and body (site.translations),
                 NULL when the site names none */
  struct event_text *texts; /* translations */
  size_t ntexts;
  char *title;
  char *date_text; /* the date: value as written */
  time_t start;
  time_t end; /* from 'end:' or 'duration:'; 0 when the file gives neither
                 (then event_end uses schedule.default_duration) */
  char *tz;   /* the event's own time zone; NULL: the site's */
  char *location_key;         /* NULL when absent */
  const struct location *loc; /* NULL when absent or unknown */
  char *online_url;           /* where to join online (online or hybrid) */
  enum talks_state talks_state;
  bool program_in_body; /* no talks: key, and the site describes the
                           program in the body (site.talks_missing) */
  char **speakers;      /* the event's speakers, without talks */
  size_t nspeakers;
  char *page_url; /* the event's page from the file (site.fields.url) */
  struct talk *talks;
  size_t ntalks;
  struct link *links;
  size_t nlinks;
  char *categories;
  /* Markdown after the front matter, cleaned (markup_clean); read it
   * through event_own_body: loading keeps the text as written in
   * body_src and cleans it when first asked, as a cron run that renders
   * nothing never does */
  char *body;
  struct body_src *body_src;
  bool cancelled;
  bool unpublished; /* published: false or draft: true: never announced */
  char hash[65];    /* event_hash's, once asked ("" before) */
  struct location *own_loc; /* written in the file or from a snapshot:
                               owned, loc points here */
  /* line numbers of the front matter fields (0 when absent) */
  int line_title, line_date, line_location, line_links, line_talks;
  int line_body, line_end;
};

/* What loading found out about an event even when it failed: for the
 * rule that old events do not fail a run, and for suggestions. */
struct event_info {
  int y, m, d;       /* the event's date, when it could be read */
  char form[96];     /* the shape its date was written in, "" if none */
  char example[160]; /* its date (and time) as written */
  size_t date_diag;  /* the index in d of an error about the date, or
                        SIZE_MAX */
  int date_line;
};

/* Loads the event file at path, in the format of cfg's site (NULL:
 * today's format). Problems are added to d, with file and line; returns
 * NULL when any of them is an error. locs may be NULL (then locations
 * are not resolved). */
struct event *event_load(const char *path, const struct config *cfg,
                         const struct locations *locs, struct diags *d);
/* The same for an event file's text already in memory (len bytes); id:
 * the event's id (NULL: from path); info (may be NULL) is filled in
 * whether it loads or not. */
struct event *event_parse(const char *path, const char *id, const char *text,
                          size_t len, const struct config *cfg,
                          const struct locations *locs, struct diags *d,
                          struct event_info *info);
/* Only the title and body of an event file (a translation of another),
 * with its id and language; NULL when the file does not parse. */
struct event *event_parse_text(const char *path, const char *id,
                               const char *data, size_t len,
                               const struct config *cfg, struct diags *d);
/* An event from a map of fields (one event of a data file at path): the
 * same rules as for front matter; body from site.fields.body (default
 * 'body'). */
struct event *event_from_map(const char *path, const char *id,
                             const struct ynode *map, const struct config *cfg,
                             const struct locations *locs, struct diags *d,
                             struct event_info *info);
void event_free(struct event *ev);
/* The hex SHA-256 of what matters to attendees (title, start, end, place,
 * online link, zone): an announced event whose hash changed gets an
 * update. Computed on the first call (a cron run with nothing due asks
 * for none), kept in ev->hash; not for two threads at once. */
const char *event_hash(const struct event *ev);

/* When ev ends: its own end, else default_duration seconds after the
 * start. */
static inline time_t event_end(const struct event *ev, long default_duration)
{
  return ev->end ? ev->end : ev->start + default_duration;
}
/* Adds the title and body of ev's translation tr (in language lang) to
 * ev, taking them from tr. */
void event_add_text(struct event *ev, const char *lang, struct event *tr);
/* The title and body of ev in language code lang (its own when it has no
 * translation into lang); borrowed. */
const char *event_title(const struct event *ev, const char *lang);
const char *event_body(const struct event *ev, const char *lang);
/* ev's own body (not a translation's), cleaned on first use; borrowed,
 * NULL when it has none. */
const char *event_own_body(const struct event *ev);
/* Whether ev has its own text in lang (its language, or a translation). */
bool event_has_text(const struct event *ev, const char *lang);

/* The id the journal knows ev by (borrowed). */
static inline const char *event_uid(const struct event *ev)
{
  return ev->uid ? ev->uid : ev->id;
}
/* Sets ev's journal identity (copied). */
void event_set_uid(struct event *ev, const char *uid);

/* The id of an event file: its name without the directory and .md (or
 * .markdown); see sitefmt_file_id for page bundles and translations.
 * Caller frees. */
char *event_id_from_path(const char *path);

/* Whether an id starts as a dated post's does ("YYYY-MM-DD-", exactly those
 * eleven characters); sets *y, *m, *d and *slug (what follows the date). */
bool event_id_date(const char *id, int *y, int *m, int *d, const char **slug);

/* A JSON snapshot of what matters to attendees (id, title, start, place,
 * links), kept in the journal when an event is announced, so that later
 * notices can be sent when the file is gone (a cancellation of a linked
 * Meetup event needs the link). Caller frees. */
char *event_snapshot(const struct event *ev);
/* An event rebuilt from a snapshot (for updates and cancellations of
 * changed or deleted files); NULL if the snapshot is unusable. */
struct event *event_from_snapshot(const char *json);

/* The directions to l in language code lang: those given for it, else
 * l->directions (NULL: none). Borrowed. */
const char *location_directions(const struct location *l, const char *lang);

/* The URL of a link whose label is label (case-insensitive), or NULL. */
const char *event_link(const struct event *ev, const char *label);

/* Well-known link labels. */
#define LINK_MEETUP "Meetup.com"
#define LINK_PLANNING "Planning discussion on Github"

#endif
