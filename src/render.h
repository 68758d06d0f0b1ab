#ifndef CRIER_RENDER_H
#define CRIER_RENDER_H
/*
 * Messages from templates: event + notice + channel + language → subject,
 * Markdown body and HTML. Templates are looked up in the user's directory
 * (config 'templates') first, then in the built-in one:
 *   <lang>/<channel-type>/<kind>.md.mustache, <lang>/<kind>.md.mustache
 *   <lang>/<channel-type>/<kind>.subject.mustache, <lang>/<kind>.subject...
 * and partials in <lang>/<channel-type>/partials/, <lang>/partials/.
 * A renderer caches template sources; it borrows the config. Cached
 * sources are read once and stay at one address until renderer_free
 * (rendering a template loads partials into the cache while the template
 * itself is in use).
 */
#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "body.h"
#include "config.h"
#include "diag.h"
#include "err.h"
#include "event.h"
#include "i18n.h"

struct renderer;
struct site;

struct message {
  char *subject;  /* one line, plain text */
  char *markdown; /* body: Markdown, or the channel's own format (plain
                     text, the platform's markup: chan.h) */
  char *html;     /* body through cmark, safe mode (other formats: the
                     text escaped for HTML) */
};

struct render_req {
  const struct event *ev;
  const struct event *old;  /* update: the event as announced; may be NULL */
  const char *notice;       /* "announce", "reminder-7d", "update", "cancel" */
  const struct channel *ch; /* NULL: the generic templates */
  int langs;                /* LANG_DE | LANG_EN | … (config.h) */
  bool en_first;            /* en before de (when not in ch's order) */
  time_t now;               /* when the notice goes out */
  /* what recurs in the site's bodies (for the theme); NULL: the
   * renderer's site's (renderer_set_site), else nothing */
  const struct body_recur *recur;
  /* what render_context worked out about the renderer's site's events,
   * kept while the renderer lives (set by render_message); NULL: none */
  struct render_memo *memo;
  /* no HTML wanted (m->html stays NULL): check, which only asks whether
   * a message renders and how long its text is (making HTML from a
   * rendered body cannot fail) */
  bool no_html;
};

/* The built-in template directory (installed, or the source tree's);
 * borrowed static string, NULL if none is found. */
const char *render_builtin_dir(void);

struct renderer *renderer_new(const struct config *cfg);
void renderer_free(struct renderer *r);
/* The site whose events r renders (borrowed; it must outlive r): what
 * recurs in its bodies is collected when r first renders a message. */
void renderer_set_site(struct renderer *r, const struct site *s);

/* Renders q into m (caller releases m with message_release). Fails with
 * EX_DATAERR for a missing or broken template, naming the file. */
int render_message(struct renderer *r, const struct render_req *q,
                   struct message *m, struct err *e);
void message_release(struct message *m);

/* The languages of q in the order their texts appear: ch's order as
 * written when q has ch's languages, else de and en (en first with
 * en_first), then the others by id. Returns how many. */
int render_order(const struct render_req *q, enum lang order[LANG_MAX]);

/* What render_context works out from an event's texts that depends on
 * nothing else: the language its texts and each body are written in,
 * what kind of text each body is, each body's theme (with the site's
 * recurring paragraphs). A catch-up renders an event once per channel
 * and check once per notice, channel type and language: each is worked
 * out once per event (and language). The context's "event" object is
 * made once per event, language, set of languages and first language and
 * shared (the language's texts and the site's once per memo). Only the
 * events of evs are kept (others, such as an event read back from the
 * journal, are worked out each time); evs must outlive the memo and not
 * change. */
struct render_memo;
struct render_memo *render_memo_new(struct event *const *evs, size_t n);
void render_memo_free(struct render_memo *m);

/* The context a template sees, for one language (new reference). */
json_t *render_context(const struct config *cfg, const struct render_req *q,
                       enum lang l);

/* Checks the template files a site can send, in German, English and the
 * channels' languages, generic or of a channel type the config uses —
 * every file of the user's and the built-in directories when the config
 * has templates of its own, which may change what any of them includes
 * (crier's tests render its own templates of every type and language):
 * each parses, and each notice renders for ev (if not NULL). Problems go
 * to d. */
void render_check(struct renderer *r, const struct event *ev, time_t now,
                  struct diags *d);

/* The notice's template kind: "reminder" for "reminder-7d" etc. */
const char *notice_kind(const char *notice);

#endif
