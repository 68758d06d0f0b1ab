/* The channel table: every row is complete, names are unique and listed in
 * messages; config reads a type's keys through its row alone (required
 * keys, defaults, secrets resolved and wiped by the table walker). */
#include "harness.h"

#include <stdlib.h>

#include <jansson.h>

#include "chan.h"
#include "config.h"
#include "diag.h"
#include "util.h"

static void rows_complete(void)
{
  size_t n = 0;
  for (; chan_types[n]; n++) {
    const struct chan_type *t = chan_types[n];
    OK(t->name && t->label && t->fields && t->conf_size && t->step && t->dry,
       "row %zu (%s) is complete", n, t->name ? t->name : "?");
    OK(chan_type_find(t->name) == t, "%s is found by its name", t->name);
    OK(strstr(chan_type_names(), t->name) != NULL, "%s is listed: %s", t->name,
       chan_type_names());
    OK(t->format != CHAN_MARKUP || t->escape,
       "%s: markup needs its escape function", t->name);
    OK(t->idem != IDEM_KEY || t->key_window >= 0, "%s: key_window", t->name);
    for (size_t k = 0; k < n; k++)
      OK(strcmp(chan_types[k]->name, t->name) != 0, "%s twice", t->name);
  }
  OK(n >= 5, "the table has %zu types", n);
  OK(!chan_type_find("nosuch"), "an unknown name is no type");
  const char *names = chan_type_names();
  OK(strncmp(names, "matrix, github, mail, meetup", 28) == 0 &&
         strstr(names, " or "),
     "listed in the table's order: %s", names);
}

static int parse(struct config *c, const char *text, struct diags *d)
{
  diags_release(d);
  diags_init(d);
  return config_parse(c, "/tmp/crier-test-chan.yaml", text, strlen(text), d);
}

static bool has(const struct diags *d, const char *msg)
{
  for (size_t i = 0; i < d->n; i++)
    if (strstr(d->v[i].msg, msg))
      return true;
  for (size_t i = 0; i < d->n; i++)
    fprintf(stderr, "  have %d: %s\n", d->v[i].line, d->v[i].msg);
  return false;
}

/* The messages that name the types come from the table. */
static void unknown_type(void)
{
  struct config c;
  struct diags d;
  diags_init(&d);
  OK(parse(&c, "channels:\n  - {name: a, type: fax}\n", &d) < 0,
     "an unknown type is an error");
  char want[600];
  snprintf(want, sizeof(want), "(expected %s)", chan_type_names());
  OK(has(&d, want), "the message lists every type");
  config_release(&c);
  OK(parse(&c, "channels:\n  - {name: a}\n", &d) < 0, "no type");
  OK(has(&d, "needs a 'type'") && has(&d, chan_type_names()),
     "the types are listed");
  config_release(&c);
  diags_release(&d);
}

/* Required keys and defaults come from the fields; a secret key's value is
 * resolved into the context and found by its slot. */
static void fields_and_secrets(void)
{
  struct config c;
  struct diags d;
  diags_init(&d);
  OK(parse(&c, "channels:\n  - {name: g, type: github, token: {env: X}}\n",
           &d) < 0,
     "a required key is missing");
  OK(has(&d, "channel 'g' needs 'repo'"), "named");
  config_release(&c);
  setenv("CRIER_TEST_CHAN_TOKEN", "t0ken-value", 1);
  OK(parse(&c,
           "channels:\n  - {name: g, type: github, repo: o/r, token: {env: "
           "CRIER_TEST_CHAN_TOKEN}}\n",
           &d) == 0,
     "github: %s", d.n ? d.v[0].msg : "");
  const struct channel *g = config_channel(&c, "g");
  STR_EQ(channel_str(g, "api_url"), "https://api.github.com");
  STR_EQ(channel_str(g, "mode"), "issue");
  struct chan_ctx ctx;
  chan_ctx_init(&ctx, g, &c, NULL);
  OK(ctx.ready, "prepared: %s", ctx.error.msg);
  const struct secret_ref *ref = channel_value(g, "token");
  STR_EQ(chan_secret(&ctx, ref)->data, "t0ken-value");
  struct secret_ref other = {0};
  OK(chan_secret(&ctx, &other)->len == 0, "a key that is not set is empty");
  chan_ctx_release(&ctx);
  config_release(&c);
  unsetenv("CRIER_TEST_CHAN_TOKEN");
  OK(parse(&c,
           "channels:\n  - {name: g, type: github, repo: o/r, token: {env: "
           "CRIER_TEST_CHAN_TOKEN}}\n",
           &d) == 0,
     "parsed");
  chan_ctx_init(&ctx, config_channel(&c, "g"), &c, NULL);
  OK(!ctx.ready && strstr(ctx.error.msg, "CRIER_TEST_CHAN_TOKEN is not set"),
     "an unset secret makes the context fail: %s", ctx.error.msg);
  chan_ctx_release(&ctx);
  config_release(&c);
  diags_release(&d);
}

/* What a type's escape makes of a field. */
static char *escaped(const char *type, const char *s)
{
  struct buf b = BUF_INIT;
  chan_type_find(type)->escape(&b, s, strlen(s));
  return buf_detach(&b);
}

/* Each markup type escapes a hostile title for its platform; Telegram
 * counts what it shows. */
static void markup_escapes(void)
{
  const char *title = "Rust *hot* & <Traits> nick_only @everyone";
  char *d = escaped("discord", title);
  STR_EQ(d, "Rust \\*hot\\* & \\<Traits\\> nick\\_only \\@everyone");
  free(d);
  d = escaped("discord", "# 1. Treffen\n- a\n2030. Jahr\n> Zitat");
  STR_EQ(d, "\\# 1. Treffen\n\\- a\n2030\\. Jahr\n\\> Zitat");
  free(d);
  char *t = escaped("telegram", "A & <b>\"x's\"</b>");
  STR_EQ(t, "A &amp; &lt;b&gt;&quot;x&#39;s&quot;&lt;/b&gt;");
  free(t);
  char *sl = escaped("slack", "a *b* & <c> _d_");
  STR_EQ(sl, "a <!date^0^{_}|*>b<!date^0^{_}|*> &amp; &lt;c&gt; "
             "<!date^0^{_}|_>d<!date^0^{_}|_>");
  free(sl);
  char *z =
      escaped("zulip", "a *b* & <c> @**all** `d` ~e~ [f](g) $$h$$ _i_ \"j's\"");
  STR_EQ(z,
         "a &#42;b&#42; &amp; &lt;c&gt; @&#42;&#42;all&#42;&#42; &#96;d&#96; "
         "&#126;e&#126; &#91;f&#93;(g) &#36;&#36;h&#36;&#36; _i_ "
         "&quot;j&#39;s&quot;");
  free(z);
  const struct chan_type *tg = chan_type_find("telegram");
  INT_EQ(tg->text_length("<b>a &amp; b</b>"), 5);
  INT_EQ(tg->text_length("&#128512; \xf0\x9f\x98\x80"), 5); /* 😀 is two */
  INT_EQ(tg->text_length("<a href=\"https://x\">l</a>"), 1);
}

/* The marker is invisible, its key's alone, and found in a text. */
static void markers(void)
{
  const char *k1 =
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  const char *k2 =
      "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  struct buf b = BUF_INIT;
  buf_adds(&b, "Hallo");
  chan_marker(k1, &b);
  OK(chan_marker_in(b.data, k1), "found");
  OK(!chan_marker_in(b.data, k2), "another key's is not");
  OK(!chan_marker_in("Hallo", k1), "none in a text without");
  INT_EQ(utf8_len(b.data), 5 + 33);
  bool invisible = true;
  for (const unsigned char *p = (const unsigned char *)b.data + 5; *p; p += 3) {
    bool zw =
        p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0x8b && p[2] <= 0x8d) ||
                         (p[1] == 0x81 && (p[2] == 0xa0 || p[2] == 0xa3)));
    invisible = invisible && zw;
  }
  OK(invisible, "only zero-width characters");
  buf_release(&b);
}

/* A key's default is read as crier.yaml would write it: "true" is a
 * bool (Telegram's link_preview). */
static void bool_defaults(void)
{
  struct config c;
  struct diags d;
  diags_init(&d);
  OK(parse(&c,
           "channels:\n  - {name: t, type: telegram, bot_token: {env: X}, "
           "chat_id: '@treff'}\n",
           &d) == 0,
     "telegram: %s", d.n ? d.v[0].msg : "");
  const bool *p = channel_value(config_channel(&c, "t"), "link_preview");
  OK(p && *p, "link_preview defaults to true");
  config_release(&c);
  diags_release(&d);
}

/* chan_json_str writes a string as jansson's compact dump does (the
 * webhook's body is written with it and signed as sent): every ASCII
 * byte, quotes and backslashes, UTF-8 (U+2028 too), empty, NULL. */
static void json_strings(void)
{
  char ascii[128];
  for (int c = 1; c < 128; c++)
    ascii[c - 1] = (char)c;
  ascii[127] = '\0';
  const char *const cases[] = {
      ascii,
      "",
      "plain",
      "\"quoted\" \\ back\\slash\\",
      "Gl\xc3\xbchwein & <Traits> \xe2\x80\xa8 \xf0\x9f\xa6\x80 / end",
      "line\nbreak\r\n\ttab\b\f\x01\x1f\x7f",
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    json_t *a = json_pack("[s]", cases[i]);
    char *want = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
    struct buf got = BUF_INIT;
    buf_addc(&got, '[');
    chan_json_str(&got, cases[i]);
    buf_addc(&got, ']');
    STR_EQ(got.data, want);
    buf_release(&got);
    free(want);
    json_decref(a);
  }
  /* each byte that needs an escape at every place of strings up to 24
   * bytes long, among plain ASCII and among multi-byte UTF-8 */
  const char specials[] = {'"', '\\', '\n', '\x01', '\x1f', '\t'};
  const char *fills[] = {"a", "\xc3\xa9", "\xe2\x82\xac\x7f"};
  int mismatches = 0, tried = 0;
  for (size_t f = 0; f < ARRAY_SIZE(fills); f++)
    for (size_t len = 0; len <= 24; len++)
      for (size_t at = 0; at <= len; at++)
        for (size_t k = 0; k < ARRAY_SIZE(specials); k++) {
          struct buf in = BUF_INIT;
          while (in.len < len)
            buf_adds(&in, fills[f]);
          if (at < len) { /* else: no special at all */
            in.len = at;
            buf_addc(&in, specials[k]);
            while (in.len < len)
              buf_adds(&in, fills[f]);
          }
          json_t *a = json_pack("[s]", in.data);
          char *want = a ? json_dumps(a, JSON_COMPACT) : NULL;
          struct buf got = BUF_INIT;
          buf_addc(&got, '[');
          chan_json_str(&got, in.data);
          buf_addc(&got, ']');
          if (want) { /* a fill cut in the middle is not UTF-8: skipped */
            tried++;
            if (strcmp(got.data, want) != 0 && mismatches++ < 3)
              OK(false, "%s: got %s, want %s", in.data, got.data, want);
          }
          buf_release(&got);
          buf_release(&in);
          free(want);
          json_decref(a);
        }
  OK(mismatches == 0 && tried > 1000, "%d of %d strings differ", mismatches,
     tried);
  struct buf n = BUF_INIT;
  chan_json_str(&n, NULL);
  STR_EQ(n.data, "null");
  buf_release(&n);
}

/* The journal's record of an announcement's remote side, against what
 * jansson writes for it (the way crier wrote it before). */
static void remote_records(void)
{
  json_t *empty = json_object();
  json_t *kept = json_pack("{s:s, s:[i, s], s:{s:b, s:n}}", "zulip", "m-1", "a",
                           1, "x\"y", "m", "b", 1, "a");
  json_t *arr = json_pack("[s]", "not an object");
  const struct {
    const char *id, *url;
    json_t *state;
  } cases[] = {
      {"", "", empty},
      {"$event:example.org", "https://matrix.to/#/!r/$e", empty},
      {"quote \" back\\ \n\x01", "Gl\xc3\xbchwein \xf0\x9f\xa6\x80 /", kept},
      {"42", "https://x.example/42", arr},
      {"bad \xc3\x28 utf-8", "", empty},
      {"", "surrogate \xed\xa0\x80", empty},
      {"no state", "", NULL},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    json_t *r = json_pack("{s:s, s:s, s:O}", "remote_id", cases[i].id, "url",
                          cases[i].url, "state", cases[i].state);
    char *want = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(r);
    char *got = chan_remote_record(cases[i].id, cases[i].url, cases[i].state);
    OK((!got && !want) || (got && want && strcmp(got, want) == 0),
       "case %zu: got %s, want %s", i, got ? got : "NULL",
       want ? want : "NULL");
    free(got);
    free(want);
  }
  json_decref(empty);
  json_decref(kept);
  json_decref(arr);
}

int main(void)
{
  CASE(rows_complete);
  CASE(unknown_type);
  CASE(fields_and_secrets);
  CASE(markup_escapes);
  CASE(markers);
  CASE(bool_defaults);
  CASE(json_strings);
  CASE(remote_records);
  return t_summary();
}
