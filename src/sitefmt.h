#ifndef CRIER_SITEFMT_H
#define CRIER_SITEFMT_H
/*
 * The shape of a site's event files, from the config's 'site' section:
 * where the events are (a directory searched recursively or not, include
 * and exclude globs, page bundles, translations, YAML data files), which
 * front-matter key holds each of crier's fields (site.fields, dotted
 * paths), and what a missing program, an inline place or a generator's
 * markup mean. A struct site_format owns its strings.
 */
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "yamlx.h"

/* crier's fields, in the order of site.fields. */
enum fld {
  FLD_ID, /* data files: the key naming each event */
  FLD_TITLE,
  FLD_DATE,     /* the date, or the date and time in one value */
  FLD_TIME,     /* the time apart (may hold a zone) */
  FLD_END,      /* when it ends: a time of day or a date and time */
  FLD_DURATION, /* or how long it lasts (2h, 1h30m) */
  FLD_TIMEZONE, /* the event's own tz database zone */
  FLD_LOCATION, /* a key of the locations file, a text, or a map */
  FLD_PLACE_NAME,
  FLD_PLACE_ADDRESS,
  FLD_PLACE_CITY,
  FLD_PLACE_URL,
  FLD_ONLINE,    /* the URL to join online */
  FLD_LINKS,     /* a map from a label to a URL */
  FLD_MEETUP,    /* the Meetup.com URL */
  FLD_MEETUP_ID, /* the Meetup.com event id */
  FLD_SPEAKERS,  /* a list of names (or maps with a name) */
  FLD_TALKS,
  FLD_CANCELLED,
  FLD_PUBLISHED,
  FLD_DRAFT,
  FLD_BODY, /* Markdown in a key (data files; else the file's text) */
  FLD_CATEGORIES,
  FLD_URL, /* the event's page */
  FLD_N
};

enum talks_missing { MISSING_TALKS_WANTED, MISSING_TALKS_DESCRIPTION };
/* What an event's body is (site.body; body.h): told apart by its text, the
 * organizers' invitation, details for crier's own text, or never shown. */
enum body_mode { BODY_DETECT, BODY_INVITATION, BODY_DETAILS, BODY_IGNORE };
enum places_mode { PLACES_AUTO, PLACES_KEY, PLACES_TEXT };

struct link_field {
  char *label, *path;
};

struct site_format {
  char *fields[FLD_N];      /* dotted paths; NULL: not read */
  struct link_field *links; /* site.fields.link: one key per label */
  size_t nlinks;
  bool recursive;            /* search subdirectories */
  char **include, **exclude; /* globs (NULL-terminated) */
  char **data;               /* YAML data files or directories */
  char **translations;       /* language suffixes, the first is that of
                                files without one */
  char **other_keys;         /* front-matter keys the site uses otherwise */
  char *default_time;        /* for events that give no time */
  enum talks_missing talks_missing;
  enum body_mode body;
  enum places_mode places;
  bool keep_markup;   /* site.shortcodes: keep */
  long archive_after; /* seconds after an event's day */
  bool events_given;  /* site.events was set */
  char *meetup_group; /* the first meetup channel's group */
};

/* The name of field f in site.fields ("place_name"). */
const char *fld_name(enum fld f);

/* Sets today's format: title, date, location, links, talks, cancelled,
 * published, draft, categories; *.md and *.markdown in one directory. */
void sitefmt_init(struct site_format *f);
void sitefmt_release(struct site_format *f);

/* Reads the keys of the 'site' map that are about the format (the others
 * are the config's): fields, recursive, include, exclude, data,
 * translations, other_keys, default_time, talks_missing, body, places,
 * shortcodes, archive_after. Paths are resolved against dir. Problems go
 * to d with file and line; returns -1 if any is an error. */
int sitefmt_read(struct site_format *f, const struct ynode *site,
                 const char *file, const char *dir, struct diags *d);
/* Whether key is one sitefmt_read takes. */
bool sitefmt_key(const char *key);

/* Whether the first segment of a front-matter key is read by f (or is
 * one of the site's other keys). */
bool sitefmt_known_key(const struct site_format *f, const char *key);
/* For an unknown front-matter key: a hint that points the right way
 * ("did you mean 'title'?", or "to read the place from it, set
 * site.fields.location: venue"), appended to out (empty when none). */
void sitefmt_hint(const struct site_format *f, const char *key,
                  struct buf *out);

/* The id of the event file at path: its name without .md (or
 * .markdown); for a page bundle (DIR/index.md) DIR's name; for
 * NAME.LANG.md with LANG one of the translations, NAME. *lang: that LANG
 * (borrowed from f), or NULL for the site's first language or a file
 * without a suffix. f may be NULL (today's format). Caller frees. */
char *sitefmt_file_id(const struct site_format *f, const char *path,
                      const char **lang);

/* Whether the path rel (relative to the events directory, '/'
 * separated) is an event file of f. */
bool sitefmt_match(const struct site_format *f, const char *rel);
/* Whether the glob pat matches rel: '*' and '?' within a name, '**'
 * across directories; a pattern without '/' matches the last name. */
bool glob_match(const char *pat, const char *rel);

#endif
