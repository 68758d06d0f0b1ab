#include "diag.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

void diags_init(struct diags *d)
{
  memset(d, 0, sizeof(*d));
}

void diags_release(struct diags *d)
{
  for (size_t i = 0; i < d->n; i++) {
    free(d->v[i].file);
    free(d->v[i].msg);
  }
  free(d->v);
  diags_init(d);
}

int diag_add(struct diags *d, enum diag_sev sev, const char *file, int line,
             const char *fmt, ...)
{
  struct buf b = BUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  buf_vaddf(&b, fmt, ap);
  va_end(ap);
  d->v = xgrow(d->v, &d->cap, d->n + 1, sizeof(*d->v));
  struct diag *g = &d->v[d->n++];
  g->sev = sev;
  g->file = file ? xstrdup(file) : NULL;
  g->line = line;
  g->msg = buf_detach(&b);
  if (sev == DIAG_ERROR)
    d->errors++;
  else
    d->warnings++;
  return sev == DIAG_ERROR ? -1 : 0;
}

void diags_demote(struct diags *d, size_t from, const char *note)
{
  for (size_t i = from; i < d->n; i++) {
    if (d->v[i].sev != DIAG_ERROR)
      continue;
    d->v[i].sev = DIAG_WARNING;
    d->errors--;
    d->warnings++;
    diag_append(d, i, note);
  }
}

void diag_append(struct diags *d, size_t i, const char *text)
{
  if (i >= d->n)
    return;
  struct buf b = BUF_INIT;
  buf_adds(&b, d->v[i].msg);
  buf_adds(&b, text);
  free(d->v[i].msg);
  d->v[i].msg = buf_detach(&b);
}

void diags_move(struct diags *dst, struct diags *src)
{
  for (size_t i = 0; i < src->n; i++) {
    dst->v = xgrow(dst->v, &dst->cap, dst->n + 1, sizeof(*dst->v));
    dst->v[dst->n++] = src->v[i];
  }
  dst->errors += src->errors;
  dst->warnings += src->warnings;
  free(src->v);
  diags_init(src);
}

struct tagged {
  struct diag g;
  size_t i;
};

static int cmp_tagged(const void *pa, const void *pb)
{
  const struct tagged *a = pa, *b = pb;
  int c = strcmp(a->g.file ? a->g.file : "", b->g.file ? b->g.file : "");
  if (c)
    return c;
  if (a->g.line != b->g.line)
    return a->g.line < b->g.line ? -1 : 1;
  return a->i < b->i ? -1 : a->i > b->i;
}

void diags_sort(struct diags *d)
{
  /* qsort is not stable; sort an index-carrying copy so that entries of
   * one line keep their order */
  struct tagged *t = xcalloc(d->n, sizeof(*t));
  for (size_t i = 0; i < d->n; i++)
    t[i] = (struct tagged){d->v[i], i};
  if (d->n)
    qsort(t, d->n, sizeof(*t), cmp_tagged);
  for (size_t i = 0; i < d->n; i++)
    d->v[i] = t[i].g;
  free(t);
}

static void annotation_escape(struct buf *b, const char *s, bool property)
{
  for (; *s; s++) {
    switch (*s) {
    case '%':
      buf_adds(b, "%25");
      break;
    case '\r':
      buf_adds(b, "%0D");
      break;
    case '\n':
      buf_adds(b, "%0A");
      break;
    case ':':
      property ? buf_adds(b, "%3A") : buf_addc(b, ':');
      break;
    case ',':
      property ? buf_adds(b, "%2C") : buf_addc(b, ',');
      break;
    default:
      buf_addc(b, *s);
    }
  }
}

void diags_print(const struct diags *d)
{
  const char *gha = getenv("GITHUB_ACTIONS");
  bool annotate = gha && strcmp(gha, "true") == 0;
  for (size_t i = 0; i < d->n; i++) {
    const struct diag *g = &d->v[i];
    const char *sev = g->sev == DIAG_ERROR ? "error" : "warning";
    if (g->file && g->line)
      log_msg(LOG_LINE, "%s:%d: %s: %s", g->file, g->line, sev, g->msg);
    else if (g->file)
      log_msg(LOG_LINE, "%s: %s: %s", g->file, sev, g->msg);
    else
      log_msg(g->sev == DIAG_ERROR ? LOG_ERROR : LOG_WARNING, "%s", g->msg);
    if (annotate) {
      struct buf b = BUF_INIT;
      buf_addf(&b, "::%s", sev);
      if (g->file) {
        buf_adds(&b, " file=");
        annotation_escape(&b, g->file, true);
        if (g->line)
          buf_addf(&b, ",line=%d", g->line);
      }
      buf_adds(&b, "::");
      annotation_escape(&b, g->msg, false);
      fprintf(stdout, "%s\n", b.data);
      buf_release(&b);
    }
  }
}

json_t *diags_json(const struct diags *d)
{
  json_t *a = json_array();
  for (size_t i = 0; i < d->n; i++) {
    const struct diag *g = &d->v[i];
    json_array_append_new(
        a, json_pack("{s:s?, s:i, s:s, s:s}", "file", g->file, "line", g->line,
                     "severity", g->sev == DIAG_ERROR ? "error" : "warning",
                     "message", g->msg));
  }
  return a;
}
