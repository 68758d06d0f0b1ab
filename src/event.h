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

#include "diag.h"

struct location {
  char *key;
  int line;
  char *short_name, *name, *street, *city, *web, *osm, *directions;
  bool has_geo;    /* lat/lon given, or read from the osm link */
  double lat, lon; /* WGS 84 degrees */
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

struct talk {
  char *title, *abstract, *slides, *video;
  char *speaker, *github, *twitter;
};

struct link {
  char *label, *url;
  int line;
};

struct event {
  char *id;   /* file name without .md */
  char *uid;  /* the id the journal knows it by (its first file's id, when
                 the file was renamed since); NULL: id. See event_uid. */
  char *path; /* as given to event_load */
  char *title;
  char *date_text; /* the date: value as written */
  time_t start;
  time_t end; /* from 'end:' or 'duration:'; 0 when the file gives neither
                 (then event_end uses schedule.default_duration) */
  char *location_key; /* NULL when absent */
  const struct location *loc; /* NULL when absent or unknown */
  enum talks_state talks_state;
  struct talk *talks;
  size_t ntalks;
  struct link *links;
  size_t nlinks;
  char *categories;
  char *body;    /* Markdown after the front matter */
  bool cancelled;
  bool unpublished;  /* published: false or draft: true: never announced */
  char hash[65]; /* hex SHA-256 of what matters to attendees */
  struct location *own_loc; /* from a snapshot: owned, loc points here */
  /* line numbers of the front matter fields (0 when absent) */
  int line_title, line_date, line_location, line_links, line_talks;
  int line_body, line_end;
};

/* Loads the event file at path. Problems are added to d, with file and
 * line; returns NULL when any of them is an error. locs may be NULL (then
 * locations are not resolved). */
struct event *event_load(const char *path, const struct locations *locs,
                         struct diags *d);
/* The same for an event file's text already in memory (len bytes). */
struct event *event_parse(const char *path, const char *text, size_t len,
                          const struct locations *locs, struct diags *d);
void event_free(struct event *ev);

/* When ev ends: its own end, else default_duration seconds after the
 * start. */
static inline time_t event_end(const struct event *ev, long default_duration)
{
  return ev->end ? ev->end : ev->start + default_duration;
}

/* The id the journal knows ev by (borrowed). */
static inline const char *event_uid(const struct event *ev)
{
  return ev->uid ? ev->uid : ev->id;
}
/* Sets ev's journal identity (copied). */
void event_set_uid(struct event *ev, const char *uid);

/* The id of an event file: its name without the directory and .md (or
 * .markdown). Caller frees. */
char *event_id_from_path(const char *path);

/* A JSON snapshot of what matters to attendees (id, title, start, place,
 * links), kept in the journal when an event is announced, so that later
 * notices can be sent when the file is gone (a cancellation of a linked
 * Meetup event needs the link). Caller frees. */
char *event_snapshot(const struct event *ev);
/* An event rebuilt from a snapshot (for updates and cancellations of
 * changed or deleted files); NULL if the snapshot is unusable. */
struct event *event_from_snapshot(const char *json);

/* The URL of a link whose label is label (case-insensitive), or NULL. */
const char *event_link(const struct event *ev, const char *label);

/* Well-known link labels. */
#define LINK_MEETUP "Meetup.com"
#define LINK_PLANNING "Planning discussion on Github"

#endif
