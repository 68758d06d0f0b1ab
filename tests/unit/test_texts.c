/* Every text crier sends, read as an organizer would (issue 22). For every
 * event of the real fixtures (../shared/fixtures: rust-cologne and
 * rust-cologne-2025), every notice (announce, each reminder, update,
 * cancel, reinstate) in every language and in the pairs de+en, en+de and
 * nl+en, for the generic templates and every channel type, rendered as of
 * the moment it goes out:
 *
 * - no paragraph appears twice in one message;
 * - no phrase of crier's own in another language: crier's phrases are read
 *   from each language's templates and texts (every run of two or more
 *   words between tags and Markdown), and a text in language L carries none
 *   of another language's phrases that L does not share — unless the
 *   event's own data (its title, body, abstracts, place, links) says it;
 * - no empty label line ("**Where:**", "**Talks:**" with nothing after it);
 * - no Markdown escape visible in the plain text: the subject and the text
 *   part a mail carries (md_to_text).
 *
 * Each check is first shown rejecting a bad text. Without ../shared the
 * test is skipped (exit 77), which CI counts as a failure. */
#define _GNU_SOURCE /* strcasestr */
#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>

#include "chan.h"
#include "config.h"
#include "md.h"
#include "plan.h"
#include "render.h"
#include "site.h"
#include "util.h"
#include "when.h"
#include "xalloc.h"

static char dir[] = "/tmp/crier-test-texts-XXXXXX";

/* ---- crier's own phrases, per language ---- */

struct phrases {
  char **v;
  size_t n, cap;
};

static struct phrases own[LANG_MAX];

static bool has_phrase(const struct phrases *p, const char *s)
{
  for (size_t i = 0; i < p->n; i++)
    if (strcasecmp(p->v[i], s) == 0)
      return true;
  return false;
}

static size_t words_in(const char *s)
{
  size_t n = 0;
  bool in = false;
  for (; *s; s++) {
    bool letter = (unsigned char)*s >= 0x80 || (*s >= 'a' && *s <= 'z') ||
                  (*s >= 'A' && *s <= 'Z');
    if (letter && !in)
      n++;
    in = letter || *s == '\'';
  }
  return n;
}

/* Adds the runs of text[0..len) between separators as phrases of p. */
static void add_runs(struct phrases *p, const char *text, size_t len)
{
  /* separators: Markdown syntax and the ends of clauses */
  static const char sep[] = "\n*#[]()<>|`_:!?.,;\"{}\\/";
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    while (j < len && !strchr(sep, text[j]) &&
           !(j + 2 < len && (unsigned char)text[j] == 0xE2 &&
             (unsigned char)text[j + 1] == 0x80)) /* – … “ ” „ */
      j++;
    char *run = xstrndup(text + i, j - i);
    char *a = run;
    while (*a == ' ' || *a == '-' || *a == '+')
      a++;
    size_t n = strlen(a);
    while (n && (a[n - 1] == ' ' || a[n - 1] == '-'))
      a[--n] = '\0';
    if (words_in(a) >= 2 && n >= 8 && !has_phrase(p, a)) {
      p->v = xgrow(p->v, &p->cap, p->n + 1, sizeof(*p->v));
      p->v[p->n++] = xstrdup(a);
    }
    free(run);
    i = j + 1;
    if (j + 2 < len && (unsigned char)text[j] == 0xE2)
      i = j + 3;
  }
}

/* The phrases of a template: its text with every tag a separator. */
static void add_template(struct phrases *p, const char *src)
{
  struct buf b = BUF_INIT;
  for (const char *s = src; *s;) {
    const char *t = strstr(s, "{{");
    const char *end = t ? strstr(t, "}}") : NULL;
    if (!t || !end) {
      buf_adds(&b, s);
      break;
    }
    buf_add(&b, s, (size_t)(t - s));
    buf_addc(&b, '\n');
    s = end + 2;
    if (*s == '}')
      s++;
  }
  add_runs(p, b.data, b.len);
  buf_release(&b);
}

static void read_tree(struct phrases *p, const char *path)
{
  struct stat st;
  if (stat(path, &st) < 0)
    return;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d))) {
      if (de->d_name[0] == '.')
        continue;
      struct buf sub = BUF_INIT;
      buf_addf(&sub, "%s/%s", path, de->d_name);
      read_tree(p, sub.data);
      buf_release(&sub);
    }
    if (d)
      closedir(d);
    return;
  }
  size_t n = strlen(path);
  if (n < 9 || strcmp(path + n - 9, ".mustache") != 0)
    return;
  struct buf src = BUF_INIT;
  struct err e;
  if (file_read(path, 1 << 20, &src, &e) == 0)
    add_template(p, src.data);
  buf_release(&src);
}

static void load_phrases(void)
{
  const char *base = render_builtin_dir();
  for (size_t l = 0; l < lang_count(); l++) {
    struct buf p = BUF_INIT;
    buf_addf(&p, "%s/%s", base, lang_code((enum lang)l));
    read_tree(&own[l], p.data);
    buf_release(&p);
    const char *name, *value;
    for (size_t i = 0; i18n_text((enum lang)l, i, &name, &value); i++)
      add_runs(&own[l], value, strlen(value));
  }
}

/* Whether needle occurs in hay as words (ASCII case ignored). */
static bool contains_words(const char *hay, const char *needle)
{
  size_t n = strlen(needle);
  for (const char *p = hay; (p = strcasestr(p, needle)); p++) {
    bool before = p == hay || !isalnum((unsigned char)p[-1]);
    bool after = !isalnum((unsigned char)p[n]);
    if (before && after)
      return true;
  }
  return false;
}

/* ---- the checks: each returns a description of the first fault, or
 * NULL; *why is the caller's to free ---- */

static char *normalized(const char *s, size_t n)
{
  struct buf b = BUF_INIT;
  bool space = false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t') {
      space = b.len > 0;
      continue;
    }
    if (space)
      buf_addc(&b, ' ');
    space = false;
    buf_addc(&b, s[i]);
  }
  return buf_detach(&b);
}

static char *repeated_paragraph(const char *md)
{
  char **seen = NULL;
  size_t n = 0, cap = 0;
  char *fault = NULL;
  const char *p = md;
  while (*p && !fault) {
    const char *end = strstr(p, "\n\n");
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char *para = normalized(p, len);
    bool trivial = strlen(para) < 12 || strcmp(para, "---") == 0 ||
                   strcmp(para, "- - -") == 0;
    for (size_t i = 0; i < n && !trivial && !fault; i++)
      if (strcmp(seen[i], para) == 0) {
        struct buf b = BUF_INIT;
        buf_addf(&b, "a paragraph twice: \"%.120s\"", para);
        fault = buf_detach(&b);
      }
    if (trivial || fault) {
      free(para);
    } else {
      seen = xgrow(seen, &cap, n + 1, sizeof(*seen));
      seen[n++] = para;
    }
    p += len;
    while (*p == '\n')
      p++;
  }
  for (size_t i = 0; i < n; i++)
    free(seen[i]);
  free(seen);
  return fault;
}

/* A label in bold with nothing after it ("- **Where:**"), unless a nested
 * list follows. */
static char *empty_label(const char *md)
{
  for (const char *line = md; *line;) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    char *l = xstrndup(line, len);
    size_t n = len;
    while (n && l[n - 1] == ' ')
      l[--n] = '\0';
    const char *s = l;
    while (*s == ' ' || *s == '-' || (*s == '*' && s[1] != '*'))
      s++;
    bool label = n >= 5 && strncmp(s, "**", 2) == 0 &&
                 strcmp(l + n - 3, ":**") == 0 && !strstr(s + 2, "**:") &&
                 strstr(s + 2, "**") == l + n - 2;
    bool nested = nl && (strncmp(nl + 1, "  - ", 4) == 0 ||
                         strncmp(nl + 1, "  * ", 4) == 0);
    if (label && !nested) {
      struct buf b = BUF_INIT;
      buf_addf(&b, "an empty label: \"%s\"", l);
      free(l);
      return buf_detach(&b);
    }
    free(l);
    line += len + (nl ? 1 : 0);
  }
  return NULL;
}

/* A backslash before ASCII punctuation, or an escaped entity, in text. */
static char *visible_escape(const char *what, const char *text)
{
  for (const char *p = text; *p; p++) {
    bool esc = p[0] == '\\' && p[1] &&
               strchr("!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~", p[1]);
    bool entity = strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&lt;", 4) == 0 ||
                  strncmp(p, "&gt;", 4) == 0 || strncmp(p, "&#", 2) == 0;
    if (esc || entity) {
      struct buf b = BUF_INIT;
      const char *from = p - text > 30 ? p - 30 : text;
      buf_addf(&b, "a Markdown escape in the %s: \"%.60s\"", what, from);
      return buf_detach(&b);
    }
  }
  return NULL;
}

/* s with ASCII letters lowercased (caller frees). */
static char *lower(const char *s)
{
  char *c = xstrdup(s);
  for (char *p = c; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  return c;
}

/* Whether lowercase needle occurs in lowercase hay as words. */
static bool has_words(const char *hay, const char *needle)
{
  size_t n = strlen(needle);
  for (const char *p = hay; (p = strstr(p, needle)); p++)
    if ((p == hay || !isalnum((unsigned char)p[-1])) &&
        !isalnum((unsigned char)p[n]))
      return true;
  return false;
}

/* The phrases of other languages that l does not share, lowercased. */
static struct phrases foreign[LANG_MAX];

static void load_foreign(void)
{
  for (size_t l = 0; l < lang_count(); l++)
    for (size_t m = 0; m < lang_count(); m++)
      for (size_t i = 0; m != l && i < own[m].n; i++) {
        char *ph = lower(own[m].v[i]);
        if (has_phrase(&own[l], ph) || has_phrase(&foreign[l], ph)) {
          free(ph);
          continue;
        }
        foreign[l].v = xgrow(foreign[l].v, &foreign[l].cap, foreign[l].n + 1,
                             sizeof(char *));
        foreign[l].v[foreign[l].n++] = ph;
      }
}

/* A phrase of another language in text of language l; data: the event's
 * own words, which may say anything. */
static char *foreign_phrase(enum lang l, const char *text, const char *data)
{
  char *t = lower(text), *dl = data ? lower(data) : NULL;
  char *fault = NULL;
  for (size_t i = 0; i < foreign[l].n && !fault; i++) {
    const char *ph = foreign[l].v[i];
    if (!has_words(t, ph) || (dl && has_words(dl, ph)))
      continue;
    struct buf b = BUF_INIT;
    buf_addf(&b, "another language's phrase in %s: \"%s\"", lang_code(l), ph);
    fault = buf_detach(&b);
  }
  free(t);
  free(dl);
  return fault;
}

/* Words a salutation starts with, in the languages crier has. */
static const char *const greetings[] = {"hello", "hi",    "hey",        "dear",
                                        "hallo", "liebe", "lieber",     "moin",
                                        "beste", "hoi",   "goedenavond"};

/* More than one salutation (a paragraph of one short line ending with a
 * comma and starting with a greeting: "Hello everyone,", "Dear
 * Rustacean,"): a letter after a letter. */
static char *two_salutations(const char *md)
{
  int n = 0;
  const char *first = NULL;
  for (const char *p = md; *p;) {
    const char *end = strstr(p, "\n\n");
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char *para = xstrndup(p, len);
    size_t pl = strlen(para);
    while (pl && para[pl - 1] == '\n')
      para[--pl] = '\0';
    bool greets = false;
    for (size_t i = 0; i < ARRAY_SIZE(greetings) && !greets; i++) {
      size_t gl = strlen(greetings[i]);
      greets = strncasecmp(para, greetings[i], gl) == 0 &&
               (para[gl] == ' ' || para[gl] == ',');
    }
    if (greets && pl && para[pl - 1] == ',' && !strchr(para, '\n') &&
        words_in(para) <= 6 && n++ == 0)
      first = p;
    free(para);
    if (n > 1) {
      struct buf b = BUF_INIT;
      buf_addf(&b, "two salutations: \"%.30s\" and \"%.30s\"", first, p);
      return buf_detach(&b);
    }
    p += len;
    while (*p == '\n')
      p++;
  }
  return NULL;
}

/* Letters and digits of s, lowercase, words separated by one space. */
static char *letters(const char *s)
{
  struct buf b = BUF_INIT;
  bool space = false;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (isalnum(c) || c >= 0x80) {
      if (space && b.len)
        buf_addc(&b, ' ');
      space = false;
      buf_addc(&b, (char)tolower(c));
    } else {
      space = true;
    }
  }
  return buf_detach(&b);
}

/* A talk's abstract more than once (as written, or in the body too). */
static char *abstract_twice(const struct event *ev, const char *text)
{
  char *t = letters(text);
  char *fault = NULL;
  for (size_t i = 0; i < ev->ntalks && !fault; i++) {
    if (!ev->talks[i].abstract)
      continue;
    char *a = letters(ev->talks[i].abstract);
    const char *p = a[0] ? strstr(t, a) : NULL;
    if (p && strstr(p + 1, a)) {
      struct buf b = BUF_INIT;
      buf_addf(&b, "the abstract of \"%s\" twice", ev->talks[i].title);
      fault = buf_detach(&b);
    }
    free(a);
  }
  free(t);
  return fault;
}

/* The phrase with which language l asks for talks: its text.talks_wanted
 * without the final punctuation ("Vorträge gesucht"), or NULL. */
static char *wanted_phrase(enum lang l)
{
  const char *name, *value;
  for (size_t i = 0; i18n_text(l, i, &name, &value); i++)
    if (strcmp(name, "talks_wanted") == 0) {
      size_t n = strlen(value);
      while (n && strchr("!.: ", value[n - 1]))
        n--;
      return xstrndup(value, n);
    }
  return NULL;
}

/* "Talks wanted" for an event whose body describes the evening (no
 * talks: key, a body of 40 words or more); "the programme is in the
 * description below" without that description. */
static char *program_faults(enum lang l, const struct event *ev,
                            const char *text)
{
  const char *body = event_body(ev, lang_code(l));
  bool program =
      ev->talks_state == TALKS_WANTED && body && words_in(body) >= 40;
  char *wanted = program ? wanted_phrase(l) : NULL;
  if (wanted && contains_words(text, wanted)) {
    struct buf b = BUF_INIT;
    buf_addf(&b, "\"%s\" although the body describes the evening", wanted);
    free(wanted);
    return buf_detach(&b);
  }
  free(wanted);
  const char *name, *value;
  for (size_t i = 0; i18n_text(l, i, &name, &value); i++) {
    if (strcmp(name, "program_in_description") != 0 || !strstr(text, value))
      continue;
    char *t = letters(text), *b = letters(body ? body : "");
    b[b[0] ? (strlen(b) < 40 ? strlen(b) : 40) : 0] = '\0';
    bool shown = b[0] && strstr(t, b);
    free(t);
    free(b);
    if (!shown) {
      struct buf f = BUF_INIT;
      buf_addf(&f, "\"%s\" without the description", value);
      return buf_detach(&f);
    }
  }
  return NULL;
}

/* ---- negative controls: every check rejects a bad text ---- */

static void controls(void)
{
  char *f = repeated_paragraph("Dear all,\n\nThe same words again.\n\n- x\n\n"
                               "The same  words\nagain.\n");
  OK(f != NULL, "a repeated paragraph is found");
  free(f);
  f = repeated_paragraph("One paragraph here.\n\nAnother one here.\n\n---\n\n"
                         "---\n");
  OK(f == NULL, "distinct paragraphs pass: %s", f ? f : "");
  free(f);
  f = empty_label("- **When:** today\n- **Where:**\n");
  OK(f != NULL, "an empty Where: is found");
  free(f);
  f = empty_label("- **Talks:**\n  - One\n- **Wo:** Köln\n");
  OK(f == NULL, "a label over a nested list passes: %s", f ? f : "");
  free(f);
  f = visible_escape("text", "19:00 (\\+1030)");
  OK(f != NULL, "an escaped offset is found");
  free(f);
  f = visible_escape("text", "C:\\path and a \\n");
  OK(f == NULL, "a backslash before a letter passes: %s", f ? f : "");
  free(f);
  OK(has_phrase(&own[LANG_ID_EN], "Talks wanted") &&
         has_phrase(&own[LANG_ID_DE], "Vorträge gesucht"),
     "the phrases are read from the templates");
  f = two_salutations(
      "Hello everyone,\n\n- **When:** now\n\nDear Rustacean,\n\n"
      "our next meetup …\n\nYours,\nKai\n");
  OK(f != NULL, "a second salutation is found");
  free(f);
  f = two_salutations("Hello everyone,\n\nA first, second,\nthird.\n\n"
                      "Yours,\nKai\n");
  OK(f == NULL, "one salutation passes: %s", f ? f : "");
  free(f);
  /* every language says how it asks for talks, and it is one of its
   * phrases */
  for (size_t l = 0; l < lang_count(); l++) {
    char *w = wanted_phrase((enum lang)l);
    OK(w && has_phrase(&own[l], w), "%s: text.talks_wanted '%s'",
       lang_code((enum lang)l), w ? w : "(none)");
    free(w);
  }
  struct event described = {
      .talks_state = TALKS_WANTED,
      .body = (char *)"This month we look at slices, vectors and strings, "
                      "and at how Rust keeps them apart: what a slice "
                      "borrows, what a vector owns, why a string is not an "
                      "array of characters, and where each of them lives "
                      "in memory when your program runs on a machine."};
  f = program_faults(LANG_ID_DE, &described,
                     "Hallo zusammen, Vorträge gesucht! Du möchtest …");
  OK(f != NULL, "talks wanted above a described evening is found");
  free(f);
  f = program_faults(LANG_ID_DE, &described,
                     "Das Programm steht in der Beschreibung unten.");
  OK(f != NULL, "the description below, without it, is found");
  free(f);
  f = foreign_phrase(LANG_ID_DE, "Hallo zusammen, Talks wanted!", NULL);
  OK(f != NULL, "an English phrase in German is found");
  free(f);
  f = foreign_phrase(LANG_ID_DE, "Hallo zusammen, Talks wanted!",
                     "Talks wanted for our next meetup");
  OK(f == NULL, "a phrase the event's data says passes: %s", f ? f : "");
  free(f);
}

/* ---- rendering everything ---- */

struct counts {
  size_t texts, faults;
};

static void data_of(const struct event *ev, struct buf *b)
{
  buf_addf(b, "%s\n%s\n", ev->title ? ev->title : "",
           event_own_body(ev) ? event_own_body(ev) : "");
  for (size_t i = 0; i < ev->ntexts; i++)
    buf_addf(b, "%s\n%s\n", ev->texts[i].title ? ev->texts[i].title : "",
             ev->texts[i].body ? ev->texts[i].body : "");
  for (size_t i = 0; i < ev->ntalks; i++)
    buf_addf(b, "%s\n%s\n%s\n", ev->talks[i].title ? ev->talks[i].title : "",
             ev->talks[i].abstract ? ev->talks[i].abstract : "",
             ev->talks[i].speaker ? ev->talks[i].speaker : "");
  for (size_t i = 0; i < ev->nlinks; i++)
    buf_addf(b, "%s\n", ev->links[i].label);
  if (ev->loc)
    buf_addf(b, "%s\n%s\n", ev->loc->name ? ev->loc->name : "",
             ev->loc->directions ? ev->loc->directions : "");
}

static void check_one(const struct render_req *q, const struct message *m,
                      const char *data, struct counts *c)
{
  enum lang order[LANG_MAX];
  int nl = render_order(q, order);
  struct buf text = BUF_INIT;
  md_to_text(m->markdown, strlen(m->markdown), &text);
  char *faults[8] = {
      repeated_paragraph(m->markdown),
      empty_label(m->markdown),
      visible_escape("subject", m->subject),
      visible_escape("text part", text.data),
      nl == 1 ? foreign_phrase(order[0], text.data, data) : NULL,
      nl == 1 ? two_salutations(m->markdown) : NULL,
      nl == 1 ? abstract_twice(q->ev, text.data) : NULL,
      nl == 1 ? program_faults(order[0], q->ev, text.data) : NULL,
  };
  if (!faults[4] && nl == 1)
    faults[4] = foreign_phrase(order[0], m->subject, data);
  c->texts++;
  for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
    if (!faults[i])
      continue;
    c->faults++;
    /* the first few in full; all of them counted */
    if (c->faults <= 40 || getenv("TEXTS_ALL"))
      fprintf(stderr, "  %s %s %s %s%s%s: %s\n", q->ev->id, q->notice,
              q->ch ? chan_type_name(q->ch->type) : "-", lang_code(order[0]),
              nl > 1 ? "+" : "", nl > 1 ? lang_code(order[1]) : "", faults[i]);
    free(faults[i]);
  }
  buf_release(&text);
}

static void render_all(const char *name, const char *config, struct counts *c)
{
  char path[600];
  snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
  t_put(dir, strrchr(path, '/') + 1, config);
  struct config cfg;
  struct diags d;
  diags_init(&d);
  struct site s;
  bool ok = config_load(&cfg, path, &d) == 0 &&
            site_load(&s, &cfg, NULL, &d) == 0 && s.n > 0;
  OK(ok, "%s loads", name);
  if (!ok) {
    diags_print(&d);
    diags_release(&d);
    return;
  }
  struct renderer *r = renderer_new(&cfg);
  renderer_set_site(r, &s);
  const char *notices[3 + CONFIG_MAX_REMINDERS + 1] = {"announce"};
  size_t nn = 1;
  char names[CONFIG_MAX_REMINDERS][32];
  for (size_t i = 0; i < cfg.nreminders; i++) {
    struct buf b = BUF_INIT;
    buf_adds(&b, "reminder-");
    when_format_duration(cfg.reminders[i], &b);
    snprintf(names[i], sizeof(names[i]), "%s", b.data);
    buf_release(&b);
    notices[nn++] = names[i];
  }
  notices[nn++] = "update";
  notices[nn++] = "cancel";
  notices[nn++] = "reinstate";
  /* every language alone, and three pairs */
  int sets[LANG_MAX + 3][2];
  size_t nsets = 0;
  for (size_t l = 0; l < lang_count(); l++) {
    sets[nsets][0] = (int)l;
    sets[nsets++][1] = -1;
  }
  int nl_id = lang_find("nl");
  int pairs[3][2] = {
      {LANG_ID_DE, LANG_ID_EN}, {LANG_ID_EN, LANG_ID_DE}, {nl_id, LANG_ID_EN}};
  for (size_t i = 0; i < 3; i++)
    if (pairs[i][0] >= 0) {
      sets[nsets][0] = pairs[i][0];
      sets[nsets++][1] = pairs[i][1];
    }
  size_t ntypes = 0;
  while (chan_types[ntypes])
    ntypes++;
  for (size_t i = 0; i < s.n; i++) {
    const struct event *ev = s.events[i];
    /* an update as if the event had been announced as the one before */
    const struct event *old = s.events[i ? i - 1 : s.n - 1];
    struct buf data = BUF_INIT;
    data_of(ev, &data);
    for (size_t k = 0; k < nn; k++) {
      time_t now = plan_send_time(&cfg, ev, notices[k], ev->start - 3 * 86400);
      for (size_t t = 0; t <= ntypes; t++) {
        for (size_t ls = 0; ls < nsets; ls++) {
          struct channel ch = {.name = (char *)"test",
                               .type = chan_types[t ? t - 1 : 0]};
          ch.lang_order[0] = (unsigned char)sets[ls][0];
          ch.langs = 1 << sets[ls][0];
          ch.nlang_order = 1;
          if (sets[ls][1] >= 0) {
            ch.lang_order[1] = (unsigned char)sets[ls][1];
            ch.langs |= 1 << sets[ls][1];
            ch.nlang_order = 2;
          }
          snprintf(ch.lang_name, sizeof(ch.lang_name), "%s%s%s",
                   lang_code((enum lang)sets[ls][0]),
                   ch.nlang_order > 1 ? "+" : "",
                   ch.nlang_order > 1 ? lang_code((enum lang)sets[ls][1]) : "");
          struct render_req q = {
              .ev = ev,
              .old = strcmp(notices[k], "update") == 0 ? old : NULL,
              .notice = notices[k],
              .ch = t ? &ch : NULL,
              .langs = ch.langs,
              .now = now};
          /* the generic templates: in the order of the set too */
          if (!t) {
            q.ch = NULL;
            q.en_first = sets[ls][0] == LANG_ID_EN && sets[ls][1] >= 0;
          }
          struct message m;
          struct err e;
          if (render_message(r, &q, &m, &e) < 0) {
            c->faults++;
            fprintf(stderr, "  %s %s: does not render: %s\n", ev->id,
                    notices[k], e.msg);
            continue;
          }
          check_one(&q, &m, data.data, c);
          message_release(&m);
        }
      }
    }
    buf_release(&data);
  }
  renderer_free(r);
  site_release(&s);
  config_release(&cfg);
  diags_release(&d);
}

int main(void)
{
  const char *shared = getenv("CRIER_SHARED");
  struct buf fx = BUF_INIT;
  buf_addf(&fx, "%s/fixtures", shared ? shared : "../shared");
  struct stat st;
  if (stat(fx.data, &st) < 0 || !S_ISDIR(st.st_mode)) {
    printf("SKIP: %s is absent (set CRIER_SHARED)\n", fx.data);
    buf_release(&fx);
    return 77;
  }
  if (!render_builtin_dir() || !mkdtemp(dir)) {
    printf("SKIP: no built-in templates\n");
    buf_release(&fx);
    return 77;
  }
  char *abs = realpath(fx.data, NULL);
  load_phrases();
  load_foreign();
  CASE(controls);

  /* the two sites as the golden tests read them (tests/golden/shared-*.yaml) */
  struct buf cfg = BUF_INIT;
  struct counts c = {0};
  buf_addf(&cfg,
           "site:\n  events: %s/rust-cologne/_posts\n"
           "  locations: %s/rust-cologne/_data/locations.yml\n"
           "  timezone: Europe/Berlin\n  url: http://rust.cologne\n"
           "  permalink: /:year/:month/:day/:title.html\n",
           abs, abs);
  render_all("rust-cologne", cfg.data, &c);
  buf_reset(&cfg);
  buf_addf(&cfg,
           "site:\n  events: %s/rust-cologne-2025/_posts\n"
           "  locations: %s/rust-cologne/_data/locations.yml\n"
           "  timezone: Europe/Berlin\n  url: http://rust.cologne\n"
           "  permalink: /:year/:month/:day/:title.html\n"
           "  talks_missing: description\n",
           abs, abs);
  render_all("rust-cologne-2025", cfg.data, &c);
  /* the same events on a site that says nothing about missing talks: a
   * body with the program is still never "talks wanted" */
  buf_reset(&cfg);
  buf_addf(&cfg,
           "site:\n  events: %s/rust-cologne-2025/_posts\n"
           "  locations: %s/rust-cologne/_data/locations.yml\n"
           "  timezone: Europe/Berlin\n  url: http://rust.cologne\n"
           "  permalink: /:year/:month/:day/:title.html\n",
           abs, abs);
  render_all("rust-cologne-2025-wanted", cfg.data, &c);
  OK(c.faults == 0, "%zu faults in %zu texts (the first 40 above)", c.faults,
     c.texts);
  printf("%zu texts rendered and read\n", c.texts);
  buf_release(&cfg);
  buf_release(&fx);
  free(abs);
  t_rmdir(dir);
  for (size_t l = 0; l < LANG_MAX; l++) {
    for (size_t i = 0; i < own[l].n; i++)
      free(own[l].v[i]);
    free(own[l].v);
    for (size_t i = 0; i < foreign[l].n; i++)
      free(foreign[l].v[i]);
    free(foreign[l].v);
  }
  return t_summary();
}
