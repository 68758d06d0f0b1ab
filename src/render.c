#include "render.h"

#include <string.h>

#include "chan.h"
#include "md.h"
#include "render_lookup.h"
#include "site.h"
#include "tpl.h"
#include "util.h"

void message_release(struct message *m)
{
  free(m->subject);
  free(m->markdown);
  free(m->html);
  memset(m, 0, sizeof(*m));
}

const char *notice_kind(const char *notice)
{
  return strncmp(notice, "reminder", 8) == 0 ? "reminder" : notice;
}

static int render_one(struct renderer *r, const struct render_req *q,
                      enum lang l, json_t *ctx, const char *suffix,
                      tpl_escape_fn esc, struct buf *out, struct err *e)
{
  const char *lc = lang_code(l);
  const char *type = q->ch ? chan_type_name(q->ch->type) : NULL;
  const char *kind = notice_kind(q->notice);
  struct buf tried = BUF_INIT;
  bool failed = false;
  int rc = -1;
  const struct tpl *t = NULL;
  const struct cached *c =
      render_lookup(r, lc, type, NULL, kind, suffix, &tried, e, &failed);
  if (failed)
    goto out;
  if (!c) {
    err_set(e, EX_DATAERR, "no template for %s %s (looked for %s)", lc,
            q->notice, tried.len ? tried.data : "a templates directory");
    goto out;
  }
  t = render_parsed(r, c, e); /* parsed once per renderer */
  if (!t)
    goto out;
  r->lang = lc;
  r->type = type;
  rc = tpl_render_parsed(t, ctx, render_parsed_partial, r, esc, out, e);
  if (rc < 0 && strncmp(e->msg, c->path, strlen(c->path)) != 0) {
    char msg[sizeof(e->msg)];
    memcpy(msg, e->msg, sizeof(msg));
    err_set(e, e->code, "%s: %s", c->path, msg);
  }
out:
  buf_release(&tried);
  return rc;
}

int render_order(const struct render_req *q, enum lang order[LANG_MAX])
{
  int n = 0;
  int langs = q->langs ? q->langs : LANG_DE;
  if (q->ch && q->ch->nlang_order && q->langs == q->ch->langs) {
    for (size_t i = 0; i < q->ch->nlang_order; i++)
      order[n++] = (enum lang)q->ch->lang_order[i];
    return n;
  }
  if (q->en_first && (langs & LANG_EN))
    order[n++] = LANG_ID_EN;
  if (langs & LANG_DE)
    order[n++] = LANG_ID_DE;
  if (!q->en_first && (langs & LANG_EN))
    order[n++] = LANG_ID_EN;
  for (int id = LANG_ID_EN + 1; id < LANG_MAX; id++)
    if (langs & (1 << id))
      order[n++] = (enum lang)id;
  return n;
}

/* How q's channel writes its texts: the escape for fields, and whether
 * the body is Markdown (tidied, with HTML from cmark). */
static tpl_escape_fn body_escape(const struct render_req *q, bool *markdown)
{
  const struct chan_type *t = q->ch ? q->ch->type : NULL;
  *markdown = !t || t->format == CHAN_MARKDOWN;
  if (!t || t->format == CHAN_MARKDOWN)
    return tpl_escape_markdown;
  if (t->format == CHAN_MARKUP && t->escape)
    return t->escape;
  return tpl_escape_none;
}

void renderer_set_site(struct renderer *r, const struct site *s)
{
  body_recur_free(r->recur);
  r->recur = NULL;
  render_memo_free(r->memo);
  r->memo = NULL;
  r->site = s;
}

/* The HTML of the Markdown md into html: converted once and kept among
 * the renderer's last RENDER_MD_KEPT (md_to_html depends on nothing but
 * the Markdown: the whole of it is the key). */
static void md_html_kept(struct renderer *r, const struct buf *md,
                         struct buf *html)
{
  const char *s = md->data ? md->data : "";
  for (size_t i = 0; i < RENDER_MD_KEPT; i++) {
    const struct render_md *k = &r->md[i];
    if (k->in.data && k->in.len == md->len &&
        memcmp(k->in.data, s, md->len) == 0) {
      buf_add(html, k->out.data ? k->out.data : "", k->out.len);
      return;
    }
  }
  md_to_html(s, md->len, html);
  struct render_md *k = &r->md[r->md_next];
  r->md_next = (r->md_next + 1) % RENDER_MD_KEPT;
  buf_reset(&k->in);
  buf_add(&k->in, s, md->len);
  buf_reset(&k->out);
  buf_add(&k->out, html->data ? html->data : "", html->len);
}

int render_message(struct renderer *r, const struct render_req *req,
                   struct message *m, struct err *e)
{
  memset(m, 0, sizeof(*m));
  struct render_req with = *req;
  with.memo = NULL;
  if (!with.recur && r->site) {
    if (!r->recur)
      r->recur = body_recur_new(r->site->events, r->site->n);
    with.recur = r->recur;
    /* the themes kept are those made with the site's recurring texts */
    if (!r->memo)
      r->memo = render_memo_new(r->site->events, r->site->n);
    with.memo = r->memo;
  }
  const struct render_req *q = &with;
  struct buf subj = BUF_INIT, body = BUF_INIT, one = BUF_INIT, html = BUF_INIT;
  enum lang order[LANG_MAX];
  int n = render_order(q, order);
  int rc = -1;
  json_t *ctx = NULL;
  bool markdown;
  tpl_escape_fn esc = body_escape(q, &markdown);
  for (int i = 0; i < n; i++) {
    buf_reset(&one);
    json_decref(ctx);
    ctx = render_context_kept(r->cfg, q, order[i]);
    if (render_one(r, q, order[i], ctx, "subject", tpl_escape_none, &one, e) <
        0)
      goto out;
    md_one_line(&one);
    /* the same subject in both languages (a title) is said once */
    if (!i || strcmp(subj.data, one.data) != 0) {
      if (i)
        buf_adds(&subj, " / ");
      buf_add(&subj, one.data, one.len);
    }
    buf_reset(&one);
    if (render_one(r, q, order[i], ctx, "md", esc, &one, e) < 0)
      goto out;
    if (markdown) {
      md_tidy(&one);
      if (i)
        buf_adds(&body, "\n---\n\n");
    } else {
      buf_rtrim(&one);
      if (i)
        buf_adds(&body, "\n\n");
    }
    buf_add(&body, one.data, one.len);
  }
  const struct chan_type *t = q->ch ? q->ch->type : NULL;
  if (t && t->subject_max && strcmp(q->notice, "announce") == 0 &&
      utf8_len(subj.data) > t->subject_max) {
    /* the platform refuses longer titles; cutting one short would publish
     * a title nobody wrote */
    err_set(e, EX_DATAERR,
            "%s: the %s title '%s' has %zu characters, "
            "more than %s's %zu: shorten the event's title (or the %s "
            "announce.subject template)",
            q->ev->path, t->label, subj.data, utf8_len(subj.data), t->label,
            t->subject_max, t->name);
    goto out;
  }
  if (!q->no_html) {
    if (markdown)
      md_html_kept(r, &body, &html);
    else
      tpl_escape_html(&html, body.data, body.len);
    m->html = buf_detach(&html);
  }
  m->subject = buf_detach(&subj);
  m->markdown = buf_detach(&body);
  rc = 0;
out:
  json_decref(ctx);
  buf_release(&subj);
  buf_release(&body);
  buf_release(&one);
  buf_release(&html);
  return rc;
}
