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

/* A reference to a secret: never the secret itself. */
#define CONFIG_MAX_REMINDERS 32

struct secret_ref {
  enum { SECRET_NONE, SECRET_ENV, SECRET_FILE } kind;
  char *name; /* variable name or file path */
};

enum chan_type {
  CHAN_MATRIX,
  CHAN_GITHUB,
  CHAN_MAIL,
  CHAN_MEETUP,
  CHAN_WEBHOOK
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

struct channel {
  char *name;
  enum chan_type type;
  int line;
  int langs;                          /* LANG_DE | LANG_EN | 1 << other ids */
  bool lang_first_en;                 /* lang: [en, de] */
  unsigned char lang_order[LANG_MAX]; /* the ids as written */
  size_t nlang_order;
  char lang_name[LANG_MAX * 16]; /* "de", "en+de", "nl" */
  struct notice_filter notices;
  long timeout; /* seconds, 0 = default */
  long retries; /* -1 = default */
  /* matrix */
  char *homeserver, *room;
  struct secret_ref access_token;
  /* github */
  char *repo, *mode, *api_url, *login;
  struct strlist labels;
  struct secret_ref token;
  double gap; /* seconds between writes to one repository */
  /* mail */
  char *url, *username, *from, *ca_file, *provider, *domain;
  char *helo; /* the name said in EHLO (SMTP) */
  struct secret_ref password, api_key;
  struct strlist to, bcc;
  bool calendar;
  /* meetup */
  char *group, *token_url;
  char *on_cancel; /* "cancel" (keep it on the calendar) or "delete" */
  struct {
    struct secret_ref access_token;
    char *client_key, *member_id, *key_id, *client_id;
    struct secret_ref private_key, client_secret, refresh_token;
    enum {
      MEETUP_AUTH_NONE,
      MEETUP_AUTH_TOKEN,
      MEETUP_AUTH_JWT,
      MEETUP_AUTH_REFRESH
    } kind;
  } auth;
  /* webhook */
  struct secret_ref secret, signing_key;
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

const char *chan_type_name(enum chan_type t);
/* Channel by name, or NULL. */
const struct channel *config_channel(const struct config *c, const char *name);
/* "de", "en", "de+en", "en+de", "nl", …: the languages of a channel as
 * written, joined by '+' (borrowed from ch, or static). */
const char *channel_lang_name(const struct channel *ch);
/* Whether channel ch takes notice kind ("announce", "reminder-7d", …). */
bool channel_takes(const struct channel *ch, const char *notice);

#endif
