#include "chan.h"
#include "log.h"
#include "secret.h"
#include "util.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct chan_type chan_matrix, chan_github, chan_mail, chan_meetup,
    chan_webhook, chan_mastodon, chan_bluesky, chan_discourse, chan_discord,
    chan_telegram, chan_slack, chan_zulip;

/* The table: a new type is one row here (and its chan_<type>.c). */
const struct chan_type *const chan_types[] = {
    &chan_matrix,    /* chan_matrix.c */
    &chan_github,    /* chan_github.c */
    &chan_mail,      /* chan_mail.c, chan_mailapi.c */
    &chan_meetup,    /* chan_meetup.c */
    &chan_webhook,   /* chan_webhook.c */
    &chan_mastodon,  /* chan_mastodon.c */
    &chan_bluesky,   /* chan_bluesky.c */
    &chan_discourse, /* chan_discourse.c */
    &chan_discord,   /* chan_discord.c */
    &chan_telegram,  /* chan_telegram.c */
    &chan_slack,     /* chan_slack.c */
    &chan_zulip,     /* chan_zulip.c */
    NULL};

const struct chan_type *chan_type_find(const char *name)
{
  for (size_t i = 0; chan_types[i]; i++)
    if (strcmp(chan_types[i]->name, name) == 0)
      return chan_types[i];
  return NULL;
}

const char *chan_type_name(const struct chan_type *t)
{
  return t ? t->name : "?";
}

const char *chan_type_names(void)
{
  static char names[512];
  if (names[0])
    return names;
  size_t n = 0;
  while (chan_types[n])
    n++;
  struct buf b = BUF_INIT;
  for (size_t i = 0; i < n; i++)
    buf_addf(&b, "%s%s",
             i == 0       ? ""
             : i + 1 == n ? " or "
                          : ", ",
             chan_types[i]->name);
  snprintf(names, sizeof(names), "%s", b.data);
  buf_release(&b);
  return names;
}

/* Resolves every set secret key of fields (sections too) into c. */
static int resolve_secrets(struct chan_ctx *c, const struct cfg_field *fields,
                           struct err *e)
{
  for (const struct cfg_field *f = fields; f->key; f++) {
    if (f->kind == CFG_SECTION) {
      if (resolve_secrets(c, f->sub, e) < 0)
        return -1;
      continue;
    }
    const struct secret_ref *ref =
        (const struct secret_ref *)((const char *)c->ch->conf + f->off);
    if (f->kind != CFG_SECRET || (f->flags & CFG_LAZY) ||
        ref->kind == SECRET_NONE)
      continue;
    c->secrets = xrealloc(c->secrets, (c->nsecrets + 1) * sizeof(*c->secrets));
    struct chan_secret *s = &c->secrets[c->nsecrets++];
    s->ref = ref;
    buf_init(&s->value);
    char what[128];
    snprintf(what, sizeof(what), "%s %s", c->ch->type->name, f->key);
    if (secret_get(ref, what, &s->value, e) < 0)
      return -1;
  }
  return 0;
}

void chan_ctx_init(struct chan_ctx *c, const struct channel *ch,
                   const struct config *cfg, struct journal *j)
{
  memset(c, 0, sizeof(*c));
  const struct chan_type *t = ch->type;
  c->ch = ch;
  c->cfg = cfg;
  c->journal = j;
  struct buf s = BUF_INIT;
  if (t->serial)
    t->serial(ch, &s);
  else
    buf_addf(&s, "%s:%s", t->name, ch->name);
  c->serial = buf_detach(&s);
  if (t->ctx_size)
    c->priv = xcalloc(1, t->ctx_size);
  c->ready = resolve_secrets(c, t->fields, &c->error) == 0 &&
             (!t->prepare || t->prepare(c, &c->error) == 0);
}

void chan_ctx_release(struct chan_ctx *c)
{
  for (size_t i = 0; i < c->nsecrets; i++)
    secret_wipe(&c->secrets[i].value);
  free(c->secrets);
  if (c->priv && c->ch->type->ctx_release)
    c->ch->type->ctx_release(c);
  free(c->priv);
  free(c->serial);
  memset(c, 0, sizeof(*c));
}

const struct buf *chan_secret(const struct chan_ctx *c,
                              const struct secret_ref *ref)
{
  static const struct buf none = BUF_INIT;
  for (size_t i = 0; i < c->nsecrets; i++)
    if (c->secrets[i].ref == ref)
      return &c->secrets[i].value;
  return &none;
}

void chan_delivery_init(struct delivery *d)
{
  size_t n = d->ctx->ch->type->delivery_size;
  if (n && !d->priv)
    d->priv = xcalloc(1, n);
}

void chan_delivery_release(struct delivery *d)
{
  if (d->priv && d->ctx && d->ctx->ch->type->delivery_release)
    d->ctx->ch->type->delivery_release(d);
  free(d->priv);
  d->priv = NULL;
}

static void template_values(const struct channel *ch,
                            const struct cfg_field *fields, json_t *o)
{
  for (const struct cfg_field *f = fields; f->key; f++) {
    const char *slot = (const char *)ch->conf + f->off;
    if (f->kind == CFG_SECTION) {
      template_values(ch, f->sub, o);
    } else if (!(f->flags & CFG_TEMPLATE)) {
      continue;
    } else if (f->kind == CFG_LIST) {
      const struct strlist *l = (const struct strlist *)slot;
      json_t *a = json_array();
      for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
      json_object_set_new(o, f->key, a);
    } else if (f->kind == CFG_STR || f->kind == CFG_URL) {
      const char *v = *(char *const *)slot;
      json_object_set_new(o, f->key, v ? json_string(v) : json_null());
    }
  }
}

void chan_template_values(const struct channel *ch, json_t *o)
{
  if (ch->type && ch->conf)
    template_values(ch, ch->type->fields, o);
}

size_t chan_text_length(const struct channel *ch, const char *text)
{
  return ch->type->text_length ? ch->type->text_length(text) : utf8_len(text);
}

size_t chan_text_limit(const struct channel *ch)
{
  return ch->type->text_limit ? ch->type->text_limit(ch) : ch->type->text_max;
}

int chan_fits(struct http_task *t, const struct delivery *d, const char *text)
{
  const struct channel *ch = d->ctx->ch;
  size_t limit = chan_text_limit(ch);
  size_t n = limit ? chan_text_length(ch, text ? text : "") : 0;
  if (n <= limit)
    return 0;
  snprintf(t->error, sizeof(t->error),
           "the message has %zu characters, more than %s's %zu: shorten the "
           "event's title or the %s %s template",
           n, ch->type->label, limit, ch->type->name, notice_kind(d->notice));
  return -1;
}

enum step chan_fail(struct http_task *t, const struct http_resp *r,
                    const char *what)
{
  struct buf b = BUF_INIT;
  buf_addf(&b, "%s: ", what);
  http_describe(r, &b);
  snprintf(t->error, sizeof(t->error), "%s", b.data);
  buf_release(&b);
  t->config_error = http_config_error(r);
  return http_temporary(r) ? STEP_RETRY : STEP_FAIL;
}

void chan_save_state(struct delivery *d)
{
  if (!d->ctx->journal || !d->state)
    return;
  char *s = json_dumps(d->state, JSON_COMPACT | JSON_SORT_KEYS);
  struct err e;
  if (s && journal_set_state(d->ctx->journal, d->key, s, &e) < 0)
    log_msg(LOG_WARNING, "%s", e.msg);
  free(s);
}

json_t *chan_json(const struct http_resp *r)
{
  if (!r->body.len)
    return NULL;
  return json_loadb(r->body.data, r->body.len, 0, NULL);
}

void chan_user_agent(struct http_req *req)
{
  http_req_header(req, "User-Agent: crier/%s", CRIER_VERSION);
}

void chan_url(struct http_req *req, const char *base, const char *path)
{
  size_t n = strlen(base);
  while (n && base[n - 1] == '/')
    n--;
  buf_add(&req->url, base, n);
  buf_adds(&req->url, path);
}

void chan_json_body(struct http_req *req, json_t *v)
{
  char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
  buf_adds(&req->body, s);
  free(s);
  json_decref(v);
}

char *chan_remote_record(const char *remote_id, const char *url,
                         const json_t *state)
{
  const char *strs[] = {remote_id, url};
  int line;
  const char *why;
  for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
    if (!strs[i] || utf8_check(strs[i], strlen(strs[i]), &line, &why) < 0)
      return NULL;
  if (!state)
    return NULL;
  struct buf b = BUF_INIT;
  buf_adds(&b, "{\"remote_id\":");
  chan_json_str(&b, remote_id);
  buf_adds(&b, ",\"state\":");
  if (json_is_object(state) && json_object_size(state) == 0) {
    buf_adds(&b, "{}"); /* what nearly every channel keeps */
  } else {
    char *s =
        json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!s) {
      buf_release(&b);
      return NULL;
    }
    buf_adds(&b, s);
    free(s);
  }
  buf_adds(&b, ",\"url\":");
  chan_json_str(&b, url);
  buf_addc(&b, '}');
  return buf_detach(&b);
}

void chan_json_str(struct buf *b, const char *s)
{
  if (!s) {
    buf_adds(b, "null");
    return;
  }
  static const char hex[] = "0123456789ABCDEF";
  /* what ends a run: the control characters (the string's end among
   * them), '"' and '\\' */
  static const bool stop[256] = {
      1,         1,         1, 1, 1, 1, 1, 1,
      1,         1,         1, 1, 1, 1, 1, 1, /* 0x00 to 0x0f */
      1,         1,         1, 1, 1, 1, 1, 1,
      1,         1,         1, 1, 1, 1, 1, 1, /* 0x10 to 0x1f */
      ['"'] = 1, ['\\'] = 1};
  buf_addc(b, '"');
  const char *run = s; /* what needs no escape is copied at once */
  for (const char *p = s;; p++) {
    while (!stop[(unsigned char)*p])
      p++;
    unsigned char c = (unsigned char)*p;
    buf_add(b, run, (size_t)(p - run));
    if (!c)
      break;
    run = p + 1;
    const char *short_form = c == '"'    ? "\\\""
                             : c == '\\' ? "\\\\"
                             : c == '\b' ? "\\b"
                             : c == '\f' ? "\\f"
                             : c == '\n' ? "\\n"
                             : c == '\r' ? "\\r"
                             : c == '\t' ? "\\t"
                                         : NULL;
    if (short_form) {
      buf_add(b, short_form, 2);
    } else {
      char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      buf_add(b, u, sizeof(u));
    }
  }
  buf_addc(b, '"');
}

bool chan_ok(const struct http_resp *r)
{
  return r->code == CURLE_OK && r->status >= 200 && r->status < 300;
}

const char *chan_first_state(const struct delivery *d, const char *key)
{
  return json_string_value(
      json_object_get(json_object_get(d->first, "state"), key));
}

const char *chan_first_remote_id(const struct delivery *d)
{
  const char *v = json_string_value(json_object_get(d->first, "remote_id"));
  return v && *v ? v : NULL;
}

const char *chan_announced(const struct delivery *d, const char *key)
{
  const char *id = chan_first_state(d, key);
  return id ? id : chan_first_remote_id(d);
}

void chan_content_language(const struct delivery *d, char *out, size_t n)
{
  /* "de+en" → "de, en" */
  size_t k = 0;
  for (const char *p = d->lang; *p && k + 3 < n; p++) {
    if (*p == '+') {
      out[k++] = ',';
      out[k++] = ' ';
    } else {
      out[k++] = *p;
    }
  }
  out[k] = '\0';
}

size_t chan_link_len(const char *text, const char *p)
{
  if ((p != text && !strchr(" \t\n(<", p[-1])) ||
      (strncmp(p, "https://", 8) != 0 && strncmp(p, "http://", 7) != 0))
    return 0;
  size_t n = strcspn(p, " \t\n<>");
  while (n && strchr(".,;:!?)'\"", p[n - 1]))
    n--;
  return n;
}

int chan_hashtags(const struct cfg_check *k, const char *key,
                  struct strlist *tags)
{
  for (size_t i = 0; i < tags->n; i++) {
    char *h = tags->v[i];
    if (h[0] == '#')
      memmove(h, h + 1, strlen(h));
    if (!h[0] || strpbrk(h, " \t#"))
      return cfg_error(k, key, "'%s' is not a hashtag", tags->v[i]);
  }
  return 0;
}

/* The four zero-width characters a marker writes digits with. */
static const char *const zero_width[] = {"\u200b", "\u200c", "\u200d",
                                         "\u2060"};

void chan_marker(const char *key, struct buf *out)
{
  buf_adds(out, "\u2063"); /* INVISIBLE SEPARATOR: where the marker starts */
  for (size_t i = 0; i < 16 && key[i]; i++) {
    char c = key[i];
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                   : 0;
    buf_adds(out, zero_width[v >> 2]);
    buf_adds(out, zero_width[v & 3]);
  }
}

bool chan_marker_in(const char *text, const char *key)
{
  struct buf m = BUF_INIT;
  chan_marker(key, &m);
  bool found = text && strstr(text, m.data) != NULL;
  buf_release(&m);
  return found;
}
