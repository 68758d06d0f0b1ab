#ifndef CRIER_CHAN_H
#define CRIER_CHAN_H
/*
 * Channel types. A type is one chan_<type>.c defining one struct
 * chan_type, its row in the table (chan_types, chan.c): its name, the keys
 * it takes in crier.yaml (config.c reads them into the type's own settings
 * struct, channel.conf), what it can carry (notices, the format and length
 * of its texts), how a repeat of a delivery is recognised, and its
 * adapter: a step function that turns a delivery — one (event, notice,
 * channel, language) with its idempotency key and rendered message — into
 * a sequence of requests for the HTTP engine. config.c, render.c,
 * deliver.c and cmd_check.c walk the table; nothing else names a type.
 * docs/HACKING.md has the checklist for adding one.
 *
 * A channel context holds what the deliveries to one channel share in a
 * run: the values of the channel's secret keys (resolved once, registered
 * for redaction, wiped when the context is released) and the type's own
 * state (ctx->priv: a token fetched, the account it posts as). Each
 * delivery has the type's working state too (d->priv), released when the
 * delivery is done.
 */
#include <stdbool.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "http.h"
#include "journal.h"
#include "plan.h"
#include "render.h"
#include "tpl.h"

/* What a type's texts are. */
enum chan_format {
  CHAN_MARKDOWN, /* CommonMark, and the HTML cmark makes of it */
  CHAN_PLAIN,    /* plain text: fields as written, nothing escaped */
  CHAN_MARKUP    /* the platform's own markup: fields through its escape */
};

/* How a repeat of a delivery is recognised. */
enum chan_idem {
  IDEM_KEY,    /* the server knows the delivery key: Matrix transaction
                  ids, webhook-id, Mastodon's Idempotency-Key (for
                  key_window seconds) */
  IDEM_RECORD, /* the record's own key comes from the delivery key
                  (Bluesky's rkey): the server refuses a second one */
  IDEM_LOOKUP, /* the channel looks for what it posted before: GitHub's
                  markers, Meetup's events, Discourse's external_id. A
                  lookup sees only what the server has finished, so a
                  delivery a stopped run left 'sending' waits until that
                  run's last write can no longer be on its way
                  (journal_touch, deliver.c) */
  IDEM_NONE    /* nothing tells (mail): a delivery a stopped run left
                  'sending' becomes 'uncertain' */
};

struct chan_secret {
  const struct secret_ref *ref; /* its key's slot in channel.conf */
  struct buf value;
};

struct chan_ctx {
  const struct channel *ch;
  const struct config *cfg;
  struct journal *journal;     /* NULL in dry runs */
  char *serial;                /* the serial key of this channel's requests */
  bool ready;                  /* secrets resolved, prepare succeeded */
  struct err error;            /* why the context could not be prepared */
  struct chan_secret *secrets; /* the set secret keys (not CFG_LAZY) */
  size_t nsecrets;
  void *priv; /* the type's (ctx_size bytes), released by ctx_release */
};

struct delivery {
  char key[65];
  const struct event *ev;
  const char *notice;    /* its name: "announce", "reminder-7d", … */
  enum notice_kind kind; /* the kind of notice */
  char lang[8];
  int langs;
  bool en_first;
  struct message msg;
  struct message announcement; /* updates, when the channel shows the
                                  announcement (Meetup's description) */
  struct chan_ctx *ctx;
  time_t now;              /* the moment of sending, for texts */
  const struct event *old; /* update: the event as announced */
  int sequence;            /* the SEQUENCE of the event's calendar entry
                              (journal_sequence) */
  json_t *state;           /* channel state kept in the journal */
  json_t *first;           /* where the announcement went: {"remote_id",
                              "url", "state"} (NULL: not known) */
  struct http_task task;
  /* the result */
  char url[512];
  char remote_id[256];
  /* working fields of the step functions */
  int phase;          /* the step the answer is for */
  struct buf scratch; /* bytes built once per delivery (a signed body) */
  void *priv;         /* the type's (delivery_size bytes), released by
                         delivery_release */
};

struct chan_type {
  const char *name;  /* "matrix": crier.yaml's type, templates' directory */
  const char *label; /* "Matrix": the platform, in messages */
  /* crier.yaml: its keys besides name, type, lang, notices, timeout and
   * retries, read into a struct of conf_size bytes (channel.conf); check
   * (may be NULL) applies the rules the fields cannot say and fills
   * defaults that depend on other keys. */
  const struct cfg_field *fields;
  size_t conf_size;
  int (*check)(const struct cfg_check *k, struct channel *ch);
  /* What it carries. Its texts are in format (CHAN_MARKUP: each field
   * through escape). The announcement's subject becomes a title on the
   * platform of at most subject_max characters (0: no limit); a longer one
   * is an error, never cut. The body's length in the platform's count
   * (text_length; NULL: characters) should stay within text_max (0: no
   * limit), or text_limit(ch) where a channel sets its own. cannot: NULL
   * if it can carry d's notice, else the reason (may be NULL). An update
   * re-renders the announcement too (d->announcement) when
   * update_shows_announcement: the channel keeps showing it, with the
   * new facts. */
  enum chan_format format;
  tpl_escape_fn escape;
  size_t subject_max;
  size_t text_max;
  size_t (*text_length)(const char *text);
  size_t (*text_limit)(const struct channel *ch);
  const char *(*cannot)(const struct delivery *d);
  bool update_shows_announcement;
  /* How a repeat is recognised. A delivery a stopped run left 'sending'
   * is sent again unless idem is IDEM_NONE, or IDEM_KEY and its claim is
   * older than key_window seconds (0: the server never forgets). */
  enum chan_idem idem;
  long key_window;
  /* IDEM_LOOKUP: whether the lookup finds d (NULL: every delivery); a
   * delivery it does not find ends 'uncertain' as with IDEM_NONE. */
  bool (*looks_up)(const struct delivery *d);
  /* Running. prepare (may be NULL) checks the channel once per run, its
   * secrets already resolved. ctx->priv and d->priv are zeroed blocks of
   * ctx_size and delivery_size bytes; ctx_release and delivery_release
   * (may be NULL) free what they hold. serial (NULL: "type:name") names
   * the key whose requests go one after another. step is the step
   * function; dry fills the request that carries the message, for
   * --dry-run. sender (may be NULL): the address the channel sends from,
   * a new string or NULL (calendar UIDs use its domain). */
  size_t ctx_size, delivery_size;
  int (*prepare)(struct chan_ctx *ctx, struct err *e);
  void (*ctx_release)(struct chan_ctx *ctx);
  void (*delivery_release)(struct delivery *d);
  void (*serial)(const struct channel *ch, struct buf *out);
  http_step_fn step;
  void (*dry)(struct delivery *d, struct http_req *req);
  char *(*sender)(const struct channel *ch);
};

/* The table: every type, NULL-terminated, in the order messages list
 * them. */
extern const struct chan_type *const chan_types[];
/* The type named name, or NULL. */
const struct chan_type *chan_type_find(const char *name);
/* The types' names as a list for messages: "matrix, github, … or
 * webhook" (static). */
const char *chan_type_names(void);

/* The context for ch: its secrets resolved and its type's prepare run
 * (ctx->ready, else ctx->error says why). chan_ctx_release wipes and frees
 * what it holds. */
void chan_ctx_init(struct chan_ctx *c, const struct channel *ch,
                   const struct config *cfg, struct journal *j);
void chan_ctx_release(struct chan_ctx *c);
/* The value of the secret key whose slot in ch->conf is ref: empty when
 * the key is not set (or CFG_LAZY). Borrowed from c. */
const struct buf *chan_secret(const struct chan_ctx *c,
                              const struct secret_ref *ref);
/* d->priv for its type (zeroed), and its release. */
void chan_delivery_init(struct delivery *d);
void chan_delivery_release(struct delivery *d);

/* Adds the channel's keys marked CFG_TEMPLATE to o (the template
 * context's "channel"). */
void chan_template_values(const struct channel *ch, json_t *o);
/* The body's length in ch's count, and its limit (0: none). */
size_t chan_text_length(const struct channel *ch, const char *text);
/* 0 when text is within d's channel's limit (chan_text_limit, counted by
 * chan_text_length); else -1 with the error in t, as check words it. */
int chan_fits(struct http_task *t, const struct delivery *d, const char *text);
size_t chan_text_limit(const struct channel *ch);
/* The channel's settings (ch->conf) as the type's struct. */
#define CHAN_CONF(type, ch) ((const type *)(ch)->conf)

/* Shared helpers for adapters. */
/* The delivery behind a task (a task's ud starts with its delivery). */
static inline struct delivery *task_delivery(struct http_task *t)
{
  return t->ud;
}
/* Sets the task's error from a response and a lead text; returns RETRY
 * for temporary failures, else FAIL. */
enum step chan_fail(struct http_task *t, const struct http_resp *r,
                    const char *what);
/* Saves d->state to the journal now (no-op in dry runs). */
void chan_save_state(struct delivery *d);
/* Parses a JSON response body; NULL if it is not JSON. */
json_t *chan_json(const struct http_resp *r);
/* Where the event's announcement went on this channel (for later
 * notices): a string of its channel state, and its remote id; NULL when
 * not known. Borrowed from d->first. */
const char *chan_first_state(const struct delivery *d, const char *key);
const char *chan_first_remote_id(const struct delivery *d);
/* The announcement's id on the platform: its state's key, else its
 * remote id. */
const char *chan_announced(const struct delivery *d, const char *key);
/* The Content-Language of d's languages ("de", "nl, en"), into out. */
void chan_content_language(const struct delivery *d, char *out, size_t n);
/* Adds the User-Agent header. */
void chan_user_agent(struct http_req *req);
/* Appends base (without trailing slashes) and path to req's URL. */
void chan_url(struct http_req *req, const char *base, const char *path);
/* The JSON value as the request's body (compact, in insertion order);
 * steals v. */
void chan_json_body(struct http_req *req, json_t *v);
/* Appends s as a JSON string, byte for byte what chan_json_body (jansson's
 * compact dump) writes for it: '"', '\\' and control characters escaped
 * (\b \f \n \r \t, else \u00XX), everything else, UTF-8 too, as it is;
 * NULL as null. For bodies written without building a JSON value. */
void chan_json_str(struct buf *b, const char *s);
/* What the journal records of an announcement's remote side: the JSON
 * object {"remote_id", "state", "url"}, byte for byte jansson's compact
 * dump with sorted keys (state dumped so, {} when it is empty), or NULL
 * where jansson would refuse it (a string that is not UTF-8, no state). */
char *chan_remote_record(const char *remote_id, const char *url,
                         const json_t *state);
/* A 2xx answer. */
bool chan_ok(const struct http_resp *r);
/* The length of a link at p in text (http:// or https:// at the start or
 * after white space, up to white space, without trailing punctuation), or
 * 0: what plain-text platforms link. */
size_t chan_link_len(const char *text, const char *p);
/* The delivery key as an invisible marker for platforms that keep no key
 * but let crier read its own messages (Discord, Zulip): the first 16 hex
 * digits of key written as 33 zero-width characters (an invisible
 * separator, then two of U+200B, U+200C, U+200D, U+2060 per digit),
 * appended to out. chan_marker_in: whether text carries key's marker. */
void chan_marker(const char *key, struct buf *out);
bool chan_marker_in(const char *text, const char *key);
/* Hashtags as written in crier.yaml, with or without '#': without it
 * after this; -1 (an error at the key) for one that is none. */
int chan_hashtags(const struct cfg_check *k, const char *key,
                  struct strlist *tags);

#endif
