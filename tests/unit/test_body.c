/* What an event's body is (body.h): an invitation or details, what it
 * already says, and its theme — on bodies written as the Rust Cologne
 * organizers write theirs. */
#include "harness.h"

#include <stdlib.h>

#include "body.h"
#include "event.h"
#include "when.h"

static char dir[] = "/tmp/crier-test-body-XXXXXX";

static struct event *load(const char *name, const char *text)
{
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  t_put(dir, name, text);
  struct diags d;
  diags_init(&d);
  struct event *ev = event_load(path, NULL, NULL, &d);
  if (!ev)
    diags_print(&d);
  diags_release(&d);
  return ev;
}

#define HEAD(title, date)                                                      \
  "---\ntitle: \"" title "\"\ndate: " date "\nlinks:\n"                        \
  "  \"Meetup.com\": \"https://www.meetup.com/rc/events/1/\"\n"

static void test_says(void)
{
  OK(body_says("We'll *look* at\nthe `Drop` trait, in depth.",
               "we'll look at the Drop trait"),
     "letters compared, Markdown and case ignored");
  OK(!body_says("We'll look at the Drop trait.", "the Copy trait"),
     "other words are not found");
  OK(!body_says("A short one.", "short one"), "fewer than four words: never");
  OK(body_links_to("**[Register](https://www.meetup.com/rc/events/1)**.",
                   "https://www.meetup.com/rc/events/1/"),
     "a final slash and the scheme ignored");
  OK(body_links_to("see http://meetup.com/rc/events/1 now",
                   "https://www.meetup.com/rc/events/1"),
     "www. and http ignored");
  OK(!body_links_to("see https://www.meetup.com/rc/events/10 now",
                    "https://www.meetup.com/rc/events/1"),
     "another event's link is not it");
  OK(!body_links_to("see https://www.meetup.com/rc/events/1-x now",
                    "https://www.meetup.com/rc/events/1"),
     "a longer path is not it");
}

static void test_kinds(void)
{
  /* the registration link */
  struct event *ev =
      load("2030-01-01-a.md",
           HEAD("A", "2030-01-01 19:00") "---\n"
                                         "The main part is about *FFI*.\n\n"
                                         "**[You can register "
                                         "here](https://www.meetup.com/"
                                         "rc/events/1/)**.\n");
  OK(ev && body_kind_of(ev, event_own_body(ev)) == BODY_KIND_INVITATION,
     "with the registration link: an invitation");
  event_free(ev);
  /* a talk's abstract */
  ev = load("2030-01-01-b.md",
            HEAD("B", "2030-01-01 19:00") "talks:\n- title: T\n  abstract: |\n"
                                          "    eBPF is a technology that "
                                          "allows small programs.\n---\n"
                                          "Our talk: eBPF is a technology "
                                          "that allows small programs.\n");
  OK(ev && body_kind_of(ev, event_own_body(ev)) == BODY_KIND_INVITATION,
     "with an abstract: an invitation");
  event_free(ev);
  /* a letter: a salutation, or a sign-off */
  ev = load(
      "2030-01-01-c.md",
      HEAD("C",
           "2030-01-01 19:00") "---\n"
                               "_(Held in German.)_\n\nDear Rustaceans,\n\n"
                               "we meet again.\n");
  OK(ev && body_kind_of(ev, event_own_body(ev)) == BODY_KIND_INVITATION,
     "a salutation after a note: an invitation");
  event_free(ev);
  ev = load(
      "2030-01-01-d.md",
      HEAD("D",
           "2030-01-01 19:00") "---\n"
                               "Join us for glühwein.\n\nYours,\nFlorian\n");
  OK(ev && body_kind_of(ev, event_own_body(ev)) == BODY_KIND_INVITATION,
     "a sign-off: an invitation");
  event_free(ev);
  /* details */
  ev = load("2030-01-01-e.md",
            HEAD("E", "2030-01-01 19:00") "---\n"
                                          "We start at 19:00 sharp, the doors "
                                          "open at 18:30.\nDrinks are on the "
                                          "house.\n\n## Program\n\n- Intro\n"
                                          "- Talks, and questions,\n");
  OK(ev && body_kind_of(ev, event_own_body(ev)) == BODY_KIND_DETAILS,
     "notes for attendees: details");
  event_free(ev);
  OK(body_kind_of(
         ev = load("2030-01-01-f.md", HEAD("F", "2030-01-01 19:00") "---\n"),
         "") == BODY_KIND_DETAILS,
     "no body: details");
  event_free(ev);
}

static void test_theme(void)
{
  /* two events of one site: what recurs is never the theme */
  struct event *evs[2];
  evs[0] = load(
      "2030-03-05-edition.md",
      HEAD("Rust in March: Rust Edition 2024",
           "2030-03-05 19:15") "---\n"
                               "Rust Cologne is a monthly meetup dealing with "
                               "everything Rust.\n"
                               "In March we look at the new edition.\n\n"
                               "_(The meetup will likely be held in "
                               "German.)_\n\n"
                               "Dear Rustacean,\n\n"
                               "our next Meetup will be on **Wednesday "
                               "2030-03-05, 19:15 CET**.\n\n"
                               "You're new to Rust? You're in good company, "
                               "we've got you covered!\n\n"
                               "The main part will be about **Rust 2024**. "
                               "We'll talk about the "
                               "edition and release mechanism in general.\n\n"
                               "Always wanted to know why Rust is harder to "
                               "learn? Fetch a drink.\n\n"
                               "**[You can register "
                               "here](https://www.meetup.com/rc/events/1/"
                               ")**.\n\n"
                               "Yours,\nFlorian and Kai\n- - -\nIf you have a "
                               "topic, let us know.\n");
  evs[1] = load("2030-04-02-slices.md",
                HEAD("Rust in April: Vecs and Strings and Slices",
                     "2030-04-02 19:15") "---\n"
                                         "Rust Cologne is a monthly meetup "
                                         "dealing with everything "
                                         "Rust.\nThis month we dive into "
                                         "slices and strings.\n\n"
                                         "Dear Rustacean,\n\n"
                                         "You're new to Rust? You're in good "
                                         "company, we've got you "
                                         "covered!\n\n"
                                         "Always wanted to know why Rust is "
                                         "harder to learn? Fetch a "
                                         "drink.\n\nYours,\nKai\n");
  OK(evs[0] && evs[1], "loaded");
  if (!evs[0] || !evs[1])
    return;
  struct body_recur *r = body_recur_new(evs, 2);
  char *t = body_theme(evs[0], event_own_body(evs[0]), r);
  STR_EQ(t, "The main part will be about **Rust 2024**. We'll talk about the "
            "edition and release mechanism in general.");
  free(t);
  t = body_theme(evs[1], event_own_body(evs[1]), r);
  STR_EQ(t, "This month we dive into slices and strings.");
  free(t);
  /* without the site, a paragraph that recurs is no longer known as such:
   * the one naming most of the title's words still wins over the first */
  t = body_theme(evs[0], event_own_body(evs[0]), NULL);
  STR_EQ(t, "The main part will be about **Rust 2024**. We'll talk about the "
            "edition and release mechanism in general.");
  free(t);
  body_recur_free(r);
  event_free(evs[0]);
  event_free(evs[1]);

  /* a paragraph one event says twice does not recur: events count once */
  evs[0] = load("2030-05-07-traits.md",
                HEAD("Rust in May: Traits and Generics",
                     "2030-05-07 19:15") "---\n"
                                         "This time: traits and generics, "
                                         "with many examples.\n\n"
                                         "This time: traits and generics, "
                                         "with many examples.\n\n"
                                         "Yours,\nKai\n");
  evs[1] = load("2030-06-04-async.md",
                HEAD("Rust in June: Async", "2030-06-04 19:15") "---\n"
                                                                "Async Rust "
                                                                "from the "
                                                                "ground "
                                                                "up.\n\n"
                                                                "Yours,\nKai"
                                                                "\n");
  OK(evs[0] && evs[1], "loaded");
  if (!evs[0] || !evs[1])
    return;
  r = body_recur_new(evs, 2);
  t = body_theme(evs[0], event_own_body(evs[0]), r);
  STR_EQ(t, "This time: traits and generics, with many examples.");
  free(t);
  body_recur_free(r);
  event_free(evs[0]);
  event_free(evs[1]);

  /* a TL;DR line says it */
  struct event *ev = load(
      "2030-05-06-x.md",
      HEAD("X", "2030-05-06 19:00") "---\n"
                                    "**TL;DR:** We build a CLI together.\n\n"
                                    "Dear all,\n\nlong text.\n");
  t = ev ? body_theme(ev, event_own_body(ev), NULL) : NULL;
  STR_EQ(t, "We build a CLI together.");
  free(t);
  event_free(ev);
  /* nothing but lists and headings: no theme */
  ev = load(
      "2030-05-07-y.md",
      HEAD("Y", "2030-05-07 19:00") "---\n"
                                    "## Program\n\n- We introduce each other\n"
                                    "- We code\n");
  t = ev ? body_theme(ev, event_own_body(ev), NULL) : NULL;
  OK(t == NULL, "no theme: %s", t ? t : "");
  free(t);
  event_free(ev);
}

/* What recurs is found by the whole folded text: a paragraph of another
 * event as long as one that recurs (and a line as long as a recurring
 * line) is not taken for it, and white space folds the same in a
 * paragraph and in its lines. */
static void test_recur_key(void)
{
  struct event *evs[4];
  /* the recurring paragraph (47 bytes) and line (38) */
  evs[0] =
      load("2030-07-01-a.md",
           HEAD("Rust in July: Closures",
                "2030-07-01 19:15") "---\n"
                                    "Our monthly meetup is about everything in "
                                    "Rust.\n\n"
                                    "Come along,   bring friends and a laptop\n"
                                    "and we will see what the closures do.\n");
  evs[1] = load(
      "2030-08-05-b.md",
      HEAD("Rust in August: Macros",
           "2030-08-05 19:15") "---\n"
                               "Our monthly  meetup is about\neverything in "
                               "Rust.\n\n"
                               "Come along, bring friends and a laptop\n"
                               "for an evening of macros and more macros.\n");
  /* the same lengths, other words: its own */
  evs[2] = load("2030-09-02-c.md",
                HEAD("Rust in September: Lifetimes",
                     "2030-09-02 19:15") "---\n"
                                         "Six short words on lifetimes in your "
                                         "Rust code.\n\n"
                                         "Then we look at lifetimes in the "
                                         "borrow checker.\n");
  evs[3] = load(
      "2030-10-07-d.md",
      HEAD(
          "Rust in October: Pairing",
          "2030-10-07 19:15") "---\n"
                              "Pairing is fun: we try it out tonight.\n"
                              "Bring a laptop with a recent Rust installed.\n");
  OK(evs[0] && evs[1] && evs[2] && evs[3], "loaded");
  if (!evs[0] || !evs[1] || !evs[2] || !evs[3])
    return;
  /* the third and fourth: their own texts; the first two: the recurring
   * paragraph is never the theme, nor the recurring line */
  static const char *const themes[] = {
      "and we will see what the closures do.",
      "for an evening of macros and more macros.",
      "Six short words on lifetimes in your Rust code.",
      "Pairing is fun: we try it out tonight. Bring a laptop with a recent "
      "Rust installed."};
  struct body_recur *r = body_recur_new(evs, 4);
  for (size_t i = 0; i < 4; i++) {
    char *t = body_theme(evs[i], event_own_body(evs[i]), r);
    STR_EQ(t, themes[i]);
    free(t);
  }
  body_recur_free(r);
  for (size_t i = 0; i < 4; i++)
    event_free(evs[i]);
}

/* body_fold against the plain definition (each run of white space one
 * space, none at either end), byte for byte: every string of up to 11
 * bytes over "a", a space and a line end, and of up to 8 over those and a
 * tab, and random strings of up to 64 bytes, each appended to an empty
 * buffer and to one that holds text already. */
static void fold_plain(const char *s, size_t n, struct buf *out)
{
  bool gap = false, any = false;
  for (size_t i = 0; i < n; i++) {
    bool blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
    if (blank) {
      gap = any;
      continue;
    }
    if (gap)
      buf_addc(out, ' ');
    gap = false;
    any = true;
    buf_addc(out, s[i]);
  }
}

static size_t fold_differs(const char *s, size_t n)
{
  size_t bad = 0;
  static const char *const prefixes[] = {"", "x ", "y"};
  for (size_t p = 0; p < 3; p++) {
    struct buf got = BUF_INIT, want = BUF_INIT;
    buf_adds(&got, prefixes[p]);
    buf_adds(&want, prefixes[p]);
    body_fold(s, n, &got);
    fold_plain(s, n, &want);
    if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0 ||
        got.data[got.len] != '\0') {
      if (!bad)
        printf("  body_fold(\"%.*s\") gave \"%s\", not \"%s\"\n", (int)n, s,
               got.data, want.data);
      bad++;
    }
    buf_release(&got);
    buf_release(&want);
  }
  return bad;
}

static size_t fold_all(const char *alphabet, size_t k, size_t maxlen)
{
  size_t bad = 0;
  char s[16];
  for (size_t len = 0; len <= maxlen; len++) {
    size_t count = 1;
    for (size_t i = 0; i < len; i++)
      count *= k;
    for (size_t c = 0; c < count; c++) {
      size_t x = c;
      for (size_t i = 0; i < len; i++, x /= k)
        s[i] = alphabet[x % k];
      bad += fold_differs(s, len);
    }
  }
  return bad;
}

static void test_fold(void)
{
  /* the definition itself first: a check that cannot fail proves nothing */
  struct buf b = BUF_INIT;
  fold_plain("  a \t\n b  c\r\n", 13, &b);
  STR_EQ(b.data, "a b c");
  buf_release(&b);
  size_t bad = fold_all("a \n", 3, 11) + fold_all("a \n\t", 4, 8);
  unsigned long seed = 12345;
  char s[64];
  static const char pick[] = "abc  \t\n\r\xc3\xa9.";
  for (int r = 0; r < 200000; r++) {
    seed = seed * 6364136223846793005UL + 1442695040888963407UL;
    size_t n = (seed >> 33) % 65;
    for (size_t i = 0; i < n; i++) {
      seed = seed * 6364136223846793005UL + 1442695040888963407UL;
      s[i] = pick[(seed >> 33) % (sizeof(pick) - 1)];
    }
    bad += fold_differs(s, n);
  }
  INT_EQ(bad, 0);
  struct buf t = BUF_INIT;
  body_fold("Our monthly  meetup is\tabout   everything in Rust.  ", 52, &t);
  STR_EQ(t.data, "Our monthly meetup is about everything in Rust.");
  buf_release(&t);
}

int main(void)
{
  struct err e;
  if (when_set_zone("Europe/Berlin", &e) < 0 || !mkdtemp(dir)) {
    printf("SKIP: no tz database or no /tmp\n");
    return 77;
  }
  CASE(test_says);
  CASE(test_kinds);
  CASE(test_theme);
  CASE(test_recur_key);
  CASE(test_fold);
  t_rmdir(dir);
  return t_summary();
}
