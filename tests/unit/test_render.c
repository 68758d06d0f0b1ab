/* Rendering: the context a template sees, escaping of plain text, safe
 * HTML (no raw HTML, no javascript: links), the Meetup title limit, both
 * languages in one message, templates from a user directory first. */
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "chan.h"
#include "config.h"
#include "md.h"
#include "render.h"
#include "util.h"
#include "site.h"
#include "when.h"

static char dir[] = "/tmp/crier-test-render-XXXXXX";

static void put(const char *rel, const char *text)
{
  t_put(dir, rel, text);
}

/* Makes the directories dirs[0..n) in the test directory, in order. */
static void make_dirs(const char *const *dirs, size_t n)
{
  char p[512];
  for (size_t i = 0; i < n; i++) {
    snprintf(p, sizeof(p), "%s/%s", dir, dirs[i]);
    mkdir(p, 0700);
  }
}

/* Removes them and their files, the last first. */
static void remove_dirs(const char *const *dirs, size_t n)
{
  char p[512];
  for (size_t i = n; i-- > 0;) {
    snprintf(p, sizeof(p), "%s/%s", dir, dirs[i]);
    t_rmdir(p);
  }
}

/* Loads the config rel (in the test directory) and its site; true when
 * the site has n events, else the diagnostics are printed and nothing is
 * left to release. */
static bool load_at(const char *rel, size_t n, struct config *cfg,
                    struct site *s)
{
  char p[512];
  struct diags d;
  diags_init(&d);
  snprintf(p, sizeof(p), "%s/%s", dir, rel);
  bool cfg_ok = config_load(cfg, p, &d) == 0;
  bool site_ok = cfg_ok && site_load(s, cfg, NULL, &d) == 0;
  bool ok = site_ok && s->n == n;
  OK(ok, "%s loads with %zu events", rel, n);
  if (!ok) {
    diags_print(&d);
    if (site_ok)
      site_release(s);
    if (cfg_ok)
      config_release(cfg);
  }
  diags_release(&d);
  return ok;
}

/* d/crier.yaml: the events in d/_posts, the templates in d/t. */
static void put_config_with_templates(const char *d)
{
  char yaml[1024], rel[64];
  snprintf(yaml, sizeof(yaml), "site:\n  events: _posts\ntemplates: %s/%s/t\n",
           dir, d);
  snprintf(rel, sizeof(rel), "%s/crier.yaml", d);
  put(rel, yaml);
}

/* Renders the only event of a site with config (site: section body) and
 * notice in lang into m; 0 on success. */
static int render_site(const char *site_yaml, const char *event,
                       const char *notice, int langs, struct message *m)
{
  char p[512];
  snprintf(p, sizeof(p), "%s/s2", dir);
  mkdir(p, 0700);
  snprintf(p, sizeof(p), "%s/s2/_posts", dir);
  mkdir(p, 0700);
  struct buf c = BUF_INIT;
  buf_addf(&c,
           "site:\n  url: https://ex.org\n  permalink: /:title/\n"
           "  locations: loc.yml\n%s",
           site_yaml);
  put("s2/crier.yaml", c.data);
  buf_release(&c);
  put("s2/loc.yml", "hall:\n  name: Hall\n  street: S 1\n  city: Köln\n"
                    "  directions:\n    de: Die Treppe runter.\n"
                    "    en: Down the stairs.\n");
  put("s2/_posts/2030-05-06-x.md", event);
  struct config cfg;
  struct diags d;
  struct err e;
  diags_init(&d);
  snprintf(p, sizeof(p), "%s/s2/crier.yaml", dir);
  int rc = -1;
  struct site s;
  if (config_load(&cfg, p, &d) < 0) {
    diags_print(&d);
    diags_release(&d);
    return -1;
  }
  if (site_load(&s, &cfg, NULL, &d) == 0 && s.n == 1) {
    struct renderer *r = renderer_new(&cfg);
    renderer_set_site(r, &s);
    struct render_req q = {.ev = s.events[0],
                           .notice = notice,
                           .langs = langs,
                           .now = s.events[0]->start - 86400};
    rc = render_message(r, &q, m, &e);
    if (rc < 0)
      fprintf(stderr, "%s\n", e.msg);
    renderer_free(r);
  }
  diags_print(&d);
  site_release(&s);
  config_release(&cfg);
  diags_release(&d);
  snprintf(p, sizeof(p), "%s/s2/_posts", dir);
  t_rmdir(p);
  snprintf(p, sizeof(p), "%s/s2", dir);
  t_rmdir(p);
  return rc;
}

#define LETTER                                                                 \
  "---\ntitle: Ownership night\ndate: 2030-05-06 19:00\nlocation: hall\n"      \
  "links:\n  Meetup.com: https://www.meetup.com/x/events/1/\n"                 \
  "  Planning discussion on Github: https://github.com/x/y/issues/1\n"         \
  "talks:\n- title: Borrowing\n  speakers:\n"                                  \
  "  - {name: Ada, github: ada, twitter: \"@ada_t\", mastodon: "               \
  "\"ada@rust.social\", bluesky: ada.bsky.social, url: "                       \
  "\"https://ada.example/\"}\n  - {name: Bo}\n"                                \
  "  abstract: We look at the borrow checker and what it wants from us.\n"     \
  "---\nDear Rustaceans,\n\nthis time Ada and Bo are here. We look at the "    \
  "borrow checker and what it wants from us.\n\n"                              \
  "**[Register here](https://www.meetup.com/x/events/1)**.\n\nYours,\nKai\n"

/* The organizers' invitation: in its language the facts and the body, in
 * another the theme and the link; site.body overrides the detection. */
static void test_body_rule(void)
{
  struct message m;
  OK(render_site("", LETTER, "announce", LANG_EN, &m) == 0, "en");
  OK(!strstr(m.markdown, "Hello everyone"),
     "no greeting before the "
     "letter: %s",
     m.markdown);
  OK(strstr(m.markdown, "Dear Rustaceans,") &&
         strstr(m.markdown, "- **When:**") <
             strstr(m.markdown, "Dear Rustaceans,"),
     "the facts, then the letter: %s", m.markdown);
  OK(!strstr(m.markdown, "## Talks"), "no talk section");
  /* every handle, linked */
  OK(strstr(m.markdown, "**Ada** (GitHub [@ada](https://github.com/ada), "
                        "Twitter [@ada_t](https://twitter.com/ada_t), "
                        "Bluesky [@ada.bsky.social](https://bsky.app/profile/"
                        "ada.bsky.social), Mastodon [@ada@rust.social]("
                        "https://rust.social/@ada), Website [ada.example]("
                        "https://ada.example/)) and **Bo**"),
     "handles: %s", m.markdown);
  OK(strstr(m.markdown, "Down the stairs.") &&
         !strstr(m.markdown, "Die Treppe"),
     "English directions");
  OK(!strstr(m.markdown, "issues/1)") || strstr(m.markdown, "GitHub]("),
     "the planning link in crier's words");
  message_release(&m);

  OK(render_site("", LETTER, "announce", LANG_DE, &m) == 0, "de");
  OK(strstr(m.markdown, "Hallo zusammen") &&
         strstr(m.markdown, "(auf Englisch):\n\n> this time Ada and Bo") &&
         !strstr(m.markdown, "Dear Rustaceans"),
     "German: lead, the theme marked as English, no letter: %s", m.markdown);
  OK(strstr(m.markdown, "Die Treppe runter.") &&
         strstr(m.markdown, "[Planungsdiskussion auf GitHub]"),
     "German directions and link label: %s", m.markdown);
  OK(!strstr(m.markdown, "Vorträge gesucht"), "never talks wanted");
  message_release(&m);

  /* both: the German part leaves the letter to the English one */
  OK(render_site("", LETTER, "announce", LANG_DE | LANG_EN, &m) == 0, "de+en");
  OK(strstr(m.markdown, "folgt unten auf Englisch") &&
         !strstr(m.markdown, "> this time"),
     "refers to the English part: %s", m.markdown);
  message_release(&m);

  OK(render_site("  body: details\n", LETTER, "announce", LANG_EN, &m) == 0,
     "details");
  OK(strstr(m.markdown, "Hello everyone") && strstr(m.markdown, "## Talks") &&
         strstr(m.markdown, "Dear Rustaceans,") &&
         strstr(m.markdown, "We look at the borrow checker") ==
             strstr(m.markdown, "here. We look at the borrow checker") + 6,
     "details: crier's text, the body below, the abstract it says left out: "
     "%s",
     m.markdown);
  message_release(&m);

  OK(render_site("  body: ignore\n", LETTER, "announce", LANG_EN, &m) == 0,
     "ignore");
  OK(!strstr(m.markdown, "Dear Rustaceans") &&
         strstr(m.markdown, "We look at the borrow checker"),
     "ignore: no body, the abstract: %s", m.markdown);
  message_release(&m);

  /* forced: a short note is the invitation */
  OK(render_site("  body: invitation\n",
                 "---\ntitle: T\ndate: 2030-05-06 19:00\n---\nBring a "
                 "laptop, we code together.\n",
                 "announce", LANG_EN, &m) == 0,
     "invitation");
  OK(!strstr(m.markdown, "Hello everyone") &&
         strstr(m.markdown, "Bring a laptop") &&
         !strstr(m.markdown, "Talks wanted"),
     "forced invitation: %s", m.markdown);
  message_release(&m);
}

/* Whether q renders otherwise with kept (a renderer that rendered others
 * before) than with a fresh renderer of s (then both are printed, after
 * what). */
static bool differs_from_fresh(struct renderer *kept, const struct config *cfg,
                               const struct site *s, const struct render_req *q,
                               const char *what)
{
  struct err e;
  struct renderer *fresh = renderer_new(cfg);
  renderer_set_site(fresh, s);
  struct message a, b;
  OK(render_message(kept, q, &a, &e) == 0, "%s", e.msg);
  OK(render_message(fresh, q, &b, &e) == 0, "%s", e.msg);
  bool differ = a.markdown && b.markdown &&
                (strcmp(a.subject, b.subject) != 0 ||
                 strcmp(a.markdown, b.markdown) != 0 ||
                 strcmp(a.html ? a.html : "", b.html ? b.html : "") != 0);
  if (differ)
    fprintf(stderr, "  %s: kept\n%s\n  fresh\n%s\n", what, a.markdown,
            b.markdown);
  message_release(&a);
  message_release(&b);
  renderer_free(fresh);
  return differ;
}

static const struct {
  int langs;
  bool en_first;
} sets[] = {
    {LANG_DE, false},          {LANG_EN, false}, {LANG_DE | LANG_EN, false},
    {LANG_DE | LANG_EN, true}, {LANG_EN, true},  {LANG_DE, false}};
static const char *const notices[] = {"announce", "reminder-1d", "update",
                                      "reminder-7d"};

/* How many contexts a memo shared over every request of the sets and
 * notices above (in an order that reaches each key after others) makes
 * otherwise than none. */
static int contexts_differ(const struct config *cfg, struct site *s)
{
  struct render_memo *memo = render_memo_new(s->events, s->n);
  int ctx_differ = 0;
  for (size_t l = 0; l < ARRAY_SIZE(sets); l++)
    for (size_t k = 0; k < ARRAY_SIZE(notices); k++)
      for (size_t i = 0; i < s->n; i++)
        for (int part = 0; part < 2; part++) {
          enum lang lang = part ? LANG_ID_EN : LANG_ID_DE;
          bool update = strcmp(notices[k], "update") == 0;
          struct render_req q = {
              .ev = s->events[i],
              .old = update ? s->events[(i + 1) % s->n] : NULL,
              .notice = notices[k],
              .langs = sets[l].langs,
              .en_first = sets[l].en_first,
              .now = s->events[i]->start - (k == 3 ? 7 : 1) * 86400};
          json_t *fresh = render_context(cfg, &q, lang);
          q.memo = memo;
          json_t *kept_ctx = render_context(cfg, &q, lang);
          /* with sorted keys, equal documents dump alike */
          char *a = json_dumps(kept_ctx, JSON_SORT_KEYS);
          char *b = json_dumps(fresh, JSON_SORT_KEYS);
          if (!a || !b || strcmp(a, b) != 0) {
            ctx_differ++;
            fprintf(stderr, "  %s %s langs %d %s: kept\n%s\n  fresh\n%s\n",
                    s->events[i]->id, notices[k], sets[l].langs,
                    lang_code(lang), a ? a : "?", b ? b : "?");
          }
          free(a);
          free(b);
          json_decref(fresh);
          json_decref(kept_ctx);
        }
  render_memo_free(memo);
  return ctx_differ;
}

/* A renderer keeps what it works out about each event's body (its kind,
 * language and theme) per event and language, and the HTML of the last
 * Markdown it converted: a message (subject, Markdown, HTML) rendered by a
 * renderer that rendered others before is byte for byte what a fresh
 * renderer makes. The event has a German letter (an invitation) and
 * English details; the second has no language of its own; the third's
 * texts are too short to tell (the first part of a message carries
 * them). The "event" object of the context is shared by the messages of
 * one event, language, set of languages and first language; the notice,
 * the time it goes out and the old event of an update vary beside it. */
static void test_memo_per_language(void)
{
  char p[512];
  const char *dirs[] = {"m",
                        "m/content",
                        "m/content/events",
                        "m/content/events/01-a",
                        "m/content/events/02-b",
                        "m/content/events/03-c"};
  for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
    snprintf(p, sizeof(p), "%s/%s", dir, dirs[i]);
    mkdir(p, 0700);
  }
  put("m/content/events/01-a/index.md",
      "---\ntitle: Traits night\ndate: 2030-05-06T19:00:00+02:00\n---\n"
      "Bring a laptop with Rust installed; we start with a short talk on\n"
      "trait objects and end with pairing on small exercises.\n");
  put("m/content/events/01-a/index.de.md",
      "---\ntitle: Traits-Abend\n---\nLiebe Rustaceans,\n\n"
      "TL;DR: Wir sprechen über Trait-Objekte und üben danach.\n\n"
      "Bringt einen Laptop mit.\n\nEuer\nOrga-Team\n");
  put("m/content/events/02-b/index.md",
      "---\ntitle: Async Abend\ndate: 2030-06-03T19:00:00+02:00\n---\n"
      "Wir treffen uns zum gemeinsamen Lernen über async und await,\n"
      "mit Beispielen aus echten Projekten und viel Zeit für Fragen.\n");
  put("m/content/events/03-c/index.md",
      "---\ntitle: Rust\ndate: 2030-07-01T19:00:00+02:00\n---\nRust!\n");
  put("m/crier.yaml", "site:\n  events: content/events\n"
                      "  translations: [en, de]\n  url: https://ex.org\n");
  struct config cfg;
  struct diags d;
  struct site s;
  diags_init(&d);
  snprintf(p, sizeof(p), "%s/m/crier.yaml", dir);
  bool ok = config_load(&cfg, p, &d) == 0 &&
            site_load(&s, &cfg, NULL, &d) == 0 && s.n == 3;
  OK(ok, "the site loads");
  if (!ok) {
    diags_print(&d);
    diags_release(&d);
    return;
  }
  struct renderer *kept = renderer_new(&cfg);
  renderer_set_site(kept, &s);
  int differ = 0;
  for (size_t k = 0; k < ARRAY_SIZE(notices); k++)
    for (size_t i = 0; i < s.n; i++)
      for (size_t l = 0; l < ARRAY_SIZE(sets); l++) {
        bool update = strcmp(notices[k], "update") == 0;
        struct render_req q = {.ev = s.events[i],
                               .old = update ? s.events[(i + 1) % s.n] : NULL,
                               .notice = notices[k],
                               .langs = sets[l].langs,
                               .en_first = sets[l].en_first,
                               .now = s.events[i]->start -
                                      (k == 3 ? 7 : 1) * 86400};
        char what[128];
        snprintf(what, sizeof(what), "%s %s langs %d", s.events[i]->id,
                 notices[k], sets[l].langs);
        differ += differs_from_fresh(kept, &cfg, &s, &q, what);
      }
  INT_EQ(differ, 0);
  renderer_free(kept);
  INT_EQ(contexts_differ(&cfg, &s), 0);
  /* without translations the texts' language is guessed, and when it
   * cannot be, the first part of the message carries them */
  struct config plain;
  struct site ps;
  snprintf(p, sizeof(p), "%s/m/plain.yaml", dir);
  put("m/plain.yaml",
      "site:\n  events: content/events\n  url: https://ex.org\n");
  ok = config_load(&plain, p, &d) == 0 && site_load(&ps, &plain, NULL, &d) == 0;
  OK(ok, "the site without translations loads");
  if (ok) {
    INT_EQ(contexts_differ(&plain, &ps), 0);
    site_release(&ps);
    config_release(&plain);
  }
  site_release(&s);
  config_release(&cfg);
  diags_release(&d);
  for (size_t i = ARRAY_SIZE(dirs); i-- > 0;) {
    snprintf(p, sizeof(p), "%s/%s", dir, dirs[i]);
    t_rmdir(p);
  }
}

/* The HTML of a message is its Markdown's, whatever the renderer
 * converted before: bodies of the same length one after the other, more
 * of them than it keeps, and each again. */
static void test_md_kept(void)
{
  const char *dirs[] = {"k", "k/_posts", "k/t", "k/t/en"};
  make_dirs(dirs, ARRAY_SIZE(dirs));
  put("k/t/en/announce.subject.mustache", "{{event.title}}\n");
  put("k/t/en/announce.md.mustache", "{{event.title}}\n");
  enum { N = 11 };
  for (int i = 0; i < N; i++) {
    char name[64], text[128];
    snprintf(name, sizeof(name), "k/_posts/2030-05-%02d-e.md", i + 1);
    /* titles of one length: "Title aa", "Title ab", … */
    snprintf(text, sizeof(text),
             "---\ntitle: Title %c%c\ndate: 2030-05-%02d 19:00\n---\n",
             'a' + i / 26, 'a' + i % 26, i + 1);
    put(name, text);
  }
  put_config_with_templates("k");
  struct config cfg;
  struct site s;
  struct err e;
  if (load_at("k/crier.yaml", N, &cfg, &s)) {
    struct renderer *r = renderer_new(&cfg);
    int wrong = 0;
    for (int round = 0; round < 2; round++)
      for (size_t i = 0; i < s.n; i++) {
        struct render_req q = {.ev = s.events[i],
                               .notice = "announce",
                               .langs = LANG_EN,
                               .now = s.events[i]->start - 86400};
        struct message m;
        OK(render_message(r, &q, &m, &e) == 0, "%s", e.msg);
        struct buf want = BUF_INIT;
        md_to_html(m.markdown, strlen(m.markdown), &want);
        if (!m.html || strcmp(m.html, want.data) != 0) {
          wrong++;
          fprintf(stderr, "  %s: %s for %s", s.events[i]->id, m.html,
                  m.markdown);
        }
        buf_release(&want);
        /* without HTML: the same subject and text */
        struct message t;
        q.no_html = true;
        OK(render_message(r, &q, &t, &e) == 0, "%s", e.msg);
        OK(!t.html && t.subject && strcmp(t.subject, m.subject) == 0 &&
               t.markdown && strcmp(t.markdown, m.markdown) == 0,
           "no_html: %s", t.markdown ? t.markdown : "(null)");
        message_release(&t);
        message_release(&m);
      }
    INT_EQ(wrong, 0);
    renderer_free(r);
    site_release(&s);
    config_release(&cfg);
  }
  remove_dirs(dirs, ARRAY_SIZE(dirs));
}

/* check's parse of a partial is the one rendering uses where the
 * partial is included as it is: a message rendered after render_check
 * is what a renderer that never checked makes, for a one-line partial
 * (included without its line end), a partial included with indentation
 * and one included as it is; a broken one-line partial is reported
 * with its file and line. */
static void test_check_keeps_partials(void)
{
  char p[512];
  const char *dirs[] = {"c",      "c/_posts",        "c/t",
                        "c/t/en", "c/t/en/partials", "c/b",
                        "c/b/en", "c/b/en/partials"};
  make_dirs(dirs, ARRAY_SIZE(dirs));
  put("c/t/en/announce.subject.mustache", "{{event.title}}\n");
  put("c/t/en/announce.md.mustache", "Title: {{>inline}}!\n"
                                     "{{>block}}\n"
                                     "  {{>block}}\n"
                                     "end\n");
  put("c/t/en/partials/inline.mustache", "{{event.title}}\n");
  put("c/t/en/partials/block.mustache", "one {{event.title}}\ntwo\n");
  put("c/_posts/2030-05-06-e.md",
      "---\ntitle: Kept\ndate: 2030-05-06 19:00\n---\n");
  put_config_with_templates("c");
  struct config cfg;
  struct site s;
  struct err e;
  if (load_at("c/crier.yaml", 1, &cfg, &s)) {
    struct render_req q = {.ev = s.events[0],
                           .notice = "announce",
                           .langs = LANG_EN,
                           .now = s.events[0]->start - 86400};
    struct renderer *fresh = renderer_new(&cfg);
    struct message a, b;
    OK(render_message(fresh, &q, &a, &e) == 0, "%s", e.msg);
    STR_EQ(a.markdown, "Title: Kept!\none Kept\ntwo\n  one Kept\n  two\nend\n");
    renderer_free(fresh);
    struct renderer *checked = renderer_new(&cfg);
    struct diags cd;
    diags_init(&cd);
    render_check(checked, NULL, q.now, &cd);
    INT_EQ(cd.errors, 0);
    diags_release(&cd);
    OK(render_message(checked, &q, &b, &e) == 0, "%s", e.msg);
    STR_EQ(b.markdown, a.markdown);
    message_release(&a);
    message_release(&b);
    renderer_free(checked);

    /* a broken one-line partial: its file and line */
    snprintf(p, sizeof(p), "%s/c/b", dir);
    free(cfg.templates);
    cfg.templates = strdup(p);
    put("c/b/en/partials/broken.mustache", "{{#event.title}}\n");
    struct renderer *r = renderer_new(&cfg);
    diags_init(&cd);
    render_check(r, NULL, q.now, &cd);
    char want[600];
    snprintf(want, sizeof(want),
             "%s/c/b/en/partials/broken.mustache:1: 'event.title' is never "
             "closed",
             dir);
    bool found = false;
    for (size_t i = 0; i < cd.n; i++)
      found |= strcmp(cd.v[i].msg, want) == 0;
    OK(found, "diagnostic: %s", cd.n ? cd.v[0].msg : "(none)");
    diags_release(&cd);
    renderer_free(r);
    site_release(&s);
    config_release(&cfg);
  }
  remove_dirs(dirs, ARRAY_SIZE(dirs));
}

/* A renderer keeps a part's context for the next message that differs
 * only in its channel: a message rendered by it is byte for byte what a
 * fresh renderer makes, whatever differs from the message before — the
 * channel, the notice, the time, the languages or their order, the event
 * or the old event. */
static void test_context_kept(void)
{
  const char *dirs[] = {"x", "x/_posts", "x/t", "x/t/de", "x/t/en"};
  make_dirs(dirs, ARRAY_SIZE(dirs));
  /* templates that show what differs */
  static const char *const kinds[] = {"announce", "reminder", "update"};
  for (size_t i = 0; i < 2 * ARRAY_SIZE(kinds); i++) {
    char rel[128];
    snprintf(rel, sizeof(rel), "x/t/%s/%s.subject.mustache",
             i % 2 ? "de" : "en", kinds[i / 2]);
    put(rel, "{{event.title}}\n");
    snprintf(rel, sizeof(rel), "x/t/%s/%s.md.mustache", i % 2 ? "de" : "en",
             kinds[i / 2]);
    put(rel, "{{notice.name}} {{notice.offset}} {{notice.relative}} {{lang}} "
             "{{event.title}} {{channel.name}} {{message.parts}} "
             "{{#message.first}}first{{/message.first}} "
             "{{#changed}}changed{{/changed}}\n");
  }
  put("x/_posts/2030-05-06-a.md",
      "---\ntitle: Traits night\ndate: 2030-05-06 19:00\n---\n"
      "We look at trait objects and generics, with many examples.\n");
  put("x/_posts/2030-06-03-b.md",
      "---\ntitle: Async evening\ndate: 2030-06-03 19:30\n---\n"
      "Wir lernen gemeinsam async und await mit echten Beispielen.\n");
  put_config_with_templates("x");
  struct config cfg;
  struct site s;
  if (!load_at("x/crier.yaml", 2, &cfg, &s)) {
    remove_dirs(dirs, ARRAY_SIZE(dirs));
    return;
  }
  struct channel mx = {.name = (char *)"mx",
                       .type = chan_type_find("matrix"),
                       .langs = LANG_DE | LANG_EN,
                       .lang_order = {LANG_ID_EN, LANG_ID_DE},
                       .nlang_order = 2};
  struct channel tg = {.name = (char *)"tg",
                       .type = chan_type_find("telegram"),
                       .langs = LANG_DE | LANG_EN};
  struct channel hook = {.name = (char *)"hook",
                         .type = chan_type_find("webhook"),
                         .langs = LANG_DE | LANG_EN};
  const struct channel *chans[] = {NULL, &mx, &tg, &hook};
  const struct event *a = s.events[0], *b = s.events[1];
  /* each request differs from the one before in one thing, the channel
   * most often */
  struct step {
    const struct event *ev, *old;
    const char *notice;
    long before; /* now = the first event's start - before */
    int langs;
    bool en_first;
  } steps[] = {
      {a, NULL, "announce", 86400, LANG_DE | LANG_EN, false},
      {a, NULL, "reminder-1d", 86400, LANG_DE | LANG_EN, false},
      {a, NULL, "reminder-1d", 7 * 86400, LANG_DE | LANG_EN, false},
      {a, NULL, "reminder-1d", 7 * 86400, LANG_DE | LANG_EN, true},
      {a, NULL, "reminder-1d", 7 * 86400, LANG_EN, true},
      {b, NULL, "reminder-1d", 7 * 86400, LANG_EN, true},
      {b, NULL, "reminder-7d", 7 * 86400, LANG_EN, true},
      {b, a, "reminder-7d", 7 * 86400, LANG_EN, true},
      {b, a, "update", 7 * 86400, LANG_EN, true},
      {b, b, "update", 7 * 86400, LANG_EN, true},
      {b, b, "update", 7 * 86400, LANG_DE | LANG_EN, false},
  };
  struct renderer *kept = renderer_new(&cfg);
  renderer_set_site(kept, &s);
  int differ = 0;
  for (size_t k = 0; k < ARRAY_SIZE(steps); k++)
    for (size_t c = 0; c < ARRAY_SIZE(chans); c++) {
      const struct step *st = &steps[k];
      /* the channel's own languages, or the step's */
      struct render_req q = {.ev = st->ev,
                             .old = st->old,
                             .notice = st->notice,
                             .ch = chans[c],
                             .langs = chans[c] && c == 1 ? chans[c]->langs
                                                         : st->langs,
                             .en_first = st->en_first,
                             .now = a->start - st->before};
      char what[64];
      snprintf(what, sizeof(what), "step %zu channel %zu", k, c);
      differ += differs_from_fresh(kept, &cfg, &s, &q, what);
    }
  INT_EQ(differ, 0);
  renderer_free(kept);
  site_release(&s);
  config_release(&cfg);
  remove_dirs(dirs, ARRAY_SIZE(dirs));
}

int main(void)
{
  struct err e;
  if (when_set_zone("Europe/Berlin", &e) < 0 || !mkdtemp(dir))
    return 77;
  if (!render_builtin_dir()) {
    printf("SKIP: no built-in templates\n");
    return 77;
  }
  char p[512];
  snprintf(p, sizeof(p), "%s/_posts", dir);
  mkdir(p, 0700);
  put("crier.yaml", "site:\n  url: https://ex.org/\n  permalink: "
                    "/:year/:title/\n");
  put("_posts/2030-05-06-x.md",
      "---\ntitle: \"A *very* <b>bold</b> title that goes on and on and on "
      "beyond eighty characters for sure\"\ndate: 2030-05-06 19:00\n---\n"
      "<script>alert(1)</script>\n\n[click](javascript:alert(1)) "
      "<img src=x onerror=alert(1)>\n");
  struct config cfg;
  struct diags d;
  diags_init(&d);
  snprintf(p, sizeof(p), "%s/crier.yaml", dir);
  OK(config_load(&cfg, p, &d) == 0, "config");
  struct site s;
  OK(site_load(&s, &cfg, NULL, &d) == 0 && s.n == 1, "site");
  const struct event *ev = s.events[0];
  struct renderer *r = renderer_new(&cfg);
  time_t now = ev->start - 86400;

  struct render_req q = {
      .ev = ev, .notice = "announce", .langs = LANG_EN, .now = now};
  json_t *ctx = render_context(&cfg, &q, LANG_ID_EN);
  STR_EQ(
      json_string_value(json_object_get(json_object_get(ctx, "event"), "url")),
      "https://ex.org/2030/x/");
  OK(json_is_true(
         json_object_get(json_object_get(ctx, "event"), "talks_wanted")),
     "talks wanted");
  STR_EQ(json_string_value(
             json_object_get(json_object_get(ctx, "notice"), "relative")),
         "tomorrow evening");
  json_decref(ctx);

  struct message m;
  OK(render_message(r, &q, &m, &e) == 0, "%s", e.msg);
  OK(strstr(m.markdown, "A \\*very\\* \\<b\\>bold\\</b\\>") != NULL,
     "plain-text title escaped in Markdown: %s", m.markdown);
  OK(strstr(m.html, "<script") == NULL, "no raw script in HTML");
  OK(strstr(m.html, "onerror") == NULL, "no raw img in HTML");
  OK(strstr(m.html, "javascript:") == NULL, "no javascript: link in HTML");
  OK(strstr(m.html, "A *very* &lt;b&gt;bold&lt;/b&gt;") != NULL,
     "the title is text in HTML: %s", m.html);
  OK(strchr(m.subject, '\n') == NULL, "one-line subject");
  message_release(&m);

  struct channel mu = {
      .name = (char *)"mu", .type = chan_type_find("meetup"), .langs = LANG_EN};
  q.ch = &mu;
  /* a Meetup title is never cut: an error names the limit */
  OK(render_message(r, &q, &m, &e) < 0 && e.code == EX_DATAERR &&
         strstr(e.msg, "more than Meetup's 80"),
     "meetup title: %s", e.msg);
  /* check's renders, without HTML, fail alike */
  q.no_html = true;
  OK(render_message(r, &q, &m, &e) < 0 && e.code == EX_DATAERR &&
         strstr(e.msg, "more than Meetup's 80"),
     "meetup title without HTML: %s", e.msg);
  q.no_html = false;

  q.ch = NULL;
  q.langs = LANG_DE | LANG_EN;
  OK(render_message(r, &q, &m, &e) == 0, "%s", e.msg);
  char *de = strstr(m.markdown, "Hallo zusammen"),
       *en = strstr(m.markdown, "Hello everyone");
  OK(de && en && de < en, "German first, then English");
  OK(strstr(m.subject, " / ") != NULL, "both subjects: %s", m.subject);
  message_release(&m);
  q.en_first = true;
  OK(render_message(r, &q, &m, &e) == 0, "%s", e.msg);
  de = strstr(m.markdown, "Hallo zusammen");
  en = strstr(m.markdown, "Hello everyone");
  OK(de && en && en < de, "English first when asked");
  message_release(&m);
  renderer_free(r);

  /* a user's template wins over the built-in one; the rest still comes
   * from the built-in directory */
  snprintf(p, sizeof(p), "%s/t", dir);
  mkdir(p, 0700);
  snprintf(p, sizeof(p), "%s/t/en", dir);
  mkdir(p, 0700);
  put("t/en/announce.subject.mustache", "Custom: {{event.title}}\n");
  snprintf(p, sizeof(p), "%s/t", dir);
  cfg.templates = strdup(p);
  r = renderer_new(&cfg);
  q.langs = LANG_EN;
  q.en_first = false;
  OK(render_message(r, &q, &m, &e) == 0, "%s", e.msg);
  OK(strncmp(m.subject, "Custom: A *very*", 16) == 0, "%s", m.subject);
  OK(strstr(m.markdown, "Hello everyone") != NULL, "built-in body");
  message_release(&m);
  q.notice = "bogus";
  OK(render_message(r, &q, &m, &e) < 0 && strstr(e.msg, "no template"),
     "missing template: %s", e.msg);
  renderer_free(r);

  site_release(&s);
  config_release(&cfg);
  diags_release(&d);
  CASE(test_body_rule);
  CASE(test_memo_per_language);
  CASE(test_md_kept);
  CASE(test_check_keeps_partials);
  CASE(test_context_kept);
  put("t/en/announce.subject.mustache", "");
  snprintf(p, sizeof(p), "%s/t/en/announce.subject.mustache", dir);
  unlink(p);
  snprintf(p, sizeof(p), "%s/t/en", dir);
  rmdir(p);
  snprintf(p, sizeof(p), "%s/t", dir);
  rmdir(p);
  snprintf(p, sizeof(p), "%s/_posts", dir);
  t_rmdir(p);
  t_rmdir(dir);
  return t_summary();
}
