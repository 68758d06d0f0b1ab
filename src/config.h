#ifndef CRIER_CONFIG_H
#define CRIER_CONFIG_H
/*
 * crier.yaml. config_load reads and validates the whole file: unknown keys,
 * wrong types and bad values are errors naming the line (and the closest
 * known key). Relative paths are resolved against the config file's
 * directory. A struct config owns all of its strings.
 */
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "err.h"
#include "i18n.h"
#include "sitefmt.h"
#include "yamlx.h"

#define CONFIG_MAX_REMINDERS 32

/* A reference to a secret: never the secret itself. */
struct secret_ref {
  enum { SECRET_NONE, SECRET_ENV, SECRET_FILE } kind;
  char *name; /* variable name or file path */
};

/* A set of languages: bit 1 << id for each language id of i18n.h. */
enum lang_mask { LANG_DE = 1 << LANG_ID_DE, LANG_EN = 1 << LANG_ID_EN };

/* Which notices a channel takes. */
struct notice_filter {
  bool announce, update, cancel;
  bool all_reminders; /* "reminder" */
  char **reminders;   /* "reminder-7d", … (offsets as written) */
  size_t nreminders;
};

struct strlist {
  char **v;
  size_t n;
};

/* The kinds of value a key of crier.yaml takes. */
enum cfg_kind {
  CFG_STR,
  CFG_PATH,     /* relative to the config file's directory */
  CFG_URL,      /* an absolute URL */
  CFG_ENDPOINT, /* a URL crier sends requests (and credentials) to */
  CFG_LIST,     /* a list of strings (struct strlist), or one string */
  CFG_BOOL,
  CFG_SECRET,   /* {env: NAME} or {file: PATH} (struct secret_ref) */
  CFG_INT,      /* a whole number from 0 to 86400 (long) */
  CFG_NUM,      /* a number of seconds from 0 to 3600 (double) */
  CFG_DURATION, /* 90s, 5m, 2h, 21d (long seconds) */
  CFG_SECTION,  /* a map of its own keys (sub), filling the same struct */
  CFG_IGNORE    /* read elsewhere */
};

enum cfg_flags {
  CFG_REQUIRED = 1, /* the key must be given */
  CFG_TEMPLATE = 4, /* templates see the value as channel.<key> (strings
                       and lists of strings) */
  CFG_LAZY = 2      /* a secret resolved when it is needed, not when the
                       channel is prepared (one that may be kept elsewhere
                       after its first use) */
};

/* A key of a section: where its value goes (an offset into the struct
 * being filled), its default (written as in crier.yaml; NULL: none) and
 * flags. A channel type declares its keys this way (chan.h). */
struct cfg_field {
  const char *key;
  enum cfg_kind kind;
  size_t off;
  const struct cfg_field *sub; /* CFG_SECTION: its keys */
  unsigned flags;
  const char *def;
};
#define CFG_FIELD(k, kind, type, m, flags, def)                                \
  {                                                                            \
    k, kind, offsetof(type, m), NULL, flags, def                               \
  }
#define CFG_SUB(k, sub)                                                        \
  {                                                                            \
    k, CFG_SECTION, 0, sub, 0, NULL                                            \
  }
#define CFG_END                                                                \
  {                                                                            \
    NULL, CFG_IGNORE, 0, NULL, 0, NULL                                         \
  }

struct chan_type; /* chan.h: what a type of channel is and does */

struct channel {
  char *name;
  const struct chan_type *type;
  int line;
  int langs;                          /* LANG_DE | LANG_EN | 1 << other ids */
  bool lang_first_en;                 /* lang: [en, de] */
  unsigned char lang_order[LANG_MAX]; /* the ids as written */
  size_t nlang_order;
  char lang_name[LANG_MAX * 16]; /* "de", "en+de", "nl" */
  struct notice_filter notices;
  long timeout; /* seconds, 0 = default */
  long retries; /* -1 = default */
  /* The type's own settings: its struct (declared in its chan_*.c),
   * filled from its fields, released by config_release. */
  void *conf;
};

struct config {
  char *path; /* the config file */
  char *dir;  /* its directory */
  /* site */
  char *events_dir, *locations, *timezone, *site_url, *permalink, *site_name;
  struct site_format fmt; /* the shape of the event files */
  bool walk_events;       /* read the events directory (not only data) */
  char *journal, *templates;
  long announce_lead; /* seconds */
  long *reminders;    /* seconds, sorted descending */
  size_t nreminders;
  long min_gap;          /* seconds */
  long default_duration; /* seconds an event lasts when its file does not
                            say (schedule.default_duration, 2h) */
  long max_vanished;     /* announced events whose files vanished that one
                            run may cancel without --confirm-cancel */
  struct channel *channels;
  size_t nchannels;
  /* calendar: the iCalendar feed (crier calendar, serve's /events.ics) */
  char *cal_name;   /* X-WR-CALNAME; NULL: site.name, else the host */
  char *cal_output; /* where crier calendar writes; NULL: stdout */
  char *cal_times;  /* "local" (TZID and VTIMEZONE) or "utc" */
  long cal_past;    /* events that started up to this long ago */
  long cal_future;  /* events up to this far ahead; 0: all */
  long cal_refresh; /* REFRESH-INTERVAL, seconds */
  /* serve */
  char *serve_listen, *serve_branch;
  struct secret_ref serve_github_secret, serve_announce_secret;
  long serve_queue;       /* requests that may wait for the worker */
  long serve_git_timeout; /* seconds a git pull may take */
  /* delivery */
  long connections; /* connections at once to one host (default 16) */
};

/* Finds the config: explicit (may be NULL), else ./crier.yaml, else
 * /etc/crier/crier.yaml. Returns a malloc'd path or NULL (EX_CONFIG). */
char *config_find(const char *explicit_path, struct err *e);

/* Loads and validates path. Problems go to d; returns -1 if any is an
 * error. */
int config_load(struct config *c, const char *path, struct diags *d);
/* The same for text in memory; path names the file in messages and is the
 * base of relative paths. */
int config_parse(struct config *c, const char *path, const char *text,
                 size_t len, struct diags *d);
void config_release(struct config *c);

/* The name of a channel type ("matrix"), as crier.yaml writes it. */
const char *chan_type_name(const struct chan_type *t);
/* What a channel type's check sees (chan.h): the channel's map in
 * crier.yaml, for lines, and where problems go. */
struct cfg_check {
  const char *file;
  struct diags *d;
  const struct ynode *node;
  struct config *cfg;
};
/* An error about the channel at the line of key (the channel's own line
 * when key is NULL or not written); returns -1. */
int cfg_error(const struct cfg_check *k, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether the channel's map has key. */
bool cfg_has(const struct cfg_check *k, const char *key);
/* Channel by name, or NULL. */
const struct channel *config_channel(const struct config *c, const char *name);
/* "de", "en", "de+en", "en+de", "nl", …: the languages of a channel as
 * written, joined by '+' (borrowed from ch, or static). */
const char *channel_lang_name(const struct channel *ch);
/* The value of a channel's key, found through its type's fields (keys in
 * sections by their own name): a pointer into ch->conf to a char *, a
 * struct secret_ref, a struct strlist, a bool, a long or a double as the
 * field's kind says; NULL when the type has no such key. channel_str: the
 * string of a CFG_STR, CFG_PATH, CFG_URL or CFG_ENDPOINT key (NULL when it
 * is not set). Borrowed from ch. */
const void *channel_value(const struct channel *ch, const char *key);
const char *channel_str(const struct channel *ch, const char *key);
/* Whether channel ch takes notice kind ("announce", "reminder-7d", …). */
bool channel_takes(const struct channel *ch, const char *notice);

#endif
