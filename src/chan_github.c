/* GitHub issues. Mode "issue": one issue per event (titled with the
 * announcement's subject), later notices as comments on it. Mode
 * "comment": comments on the issue linked as "Planning discussion on
 * Github". Every post carries a hidden marker with its delivery key; before
 * writing, the list endpoints (by label, all states, paged with Link) are
 * searched for it, so a retry or a run without the journal never posts
 * twice. A marker counts only in what the token's own account wrote
 * (GET /user once per run; `login:` names it where /user is not allowed,
 * as for GitHub App tokens; github-actions[bot] under Actions): anybody
 * can write a marker into a comment. The issue an announcement went to is
 * kept (state "issue"): later notices comment there, whatever the labels
 * or the planning link say now. Writes to one repository go one after
 * another. */
#include "chan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hooks.h"
#include "url.h"
#include "util.h"
#include "xalloc.h"

enum { WHOAMI, LIST_ISSUES, CREATE_ISSUE, LIST_COMMENTS, CREATE_COMMENT };

/* Pages of a list crier reads at most (100 items each): a server that
 * always says "next" cannot keep a delivery going forever. */
#define GITHUB_MAX_PAGES 500

struct github_conf {
  char *repo, *mode, *api_url, *login;
  struct strlist labels;
  struct secret_ref token;
  double gap; /* seconds between writes to one repository */
};

static const struct cfg_field fields[] = {
    CFG_FIELD("repo", CFG_STR, struct github_conf, repo, CFG_REQUIRED, NULL),
    CFG_FIELD("token", CFG_SECRET, struct github_conf, token, CFG_REQUIRED,
              NULL),
    CFG_FIELD("mode", CFG_STR, struct github_conf, mode, 0, "issue"),
    CFG_FIELD("labels", CFG_LIST, struct github_conf, labels, 0, NULL),
    CFG_FIELD("api_url", CFG_ENDPOINT, struct github_conf, api_url, 0,
              "https://api.github.com"),
    CFG_FIELD("gap", CFG_NUM, struct github_conf, gap, 0, NULL),
    CFG_FIELD("login", CFG_STR, struct github_conf, login, 0, NULL),
    CFG_END};

/* What the deliveries to one channel share: the account the token posts
 * as. */
struct github_ctx {
  char *login;
};

/* A delivery's working state. */
struct github_delivery {
  long number; /* the issue */
  int pages;   /* result pages read */
};

#define CONF(d) CHAN_CONF(struct github_conf, (d)->ctx->ch)

static int check(const struct cfg_check *k, struct channel *ch)
{
  const struct github_conf *g = ch->conf;
  int rc = 0;
  const char *slash = g->repo ? strchr(g->repo, '/') : NULL;
  if (g->repo &&
      (!slash || slash == g->repo || !slash[1] || strchr(slash + 1, '/')))
    rc = cfg_error(k, "repo", "'repo' must be 'owner/name', not '%s'", g->repo);
  if (g->mode && strcmp(g->mode, "issue") != 0 &&
      strcmp(g->mode, "comment") != 0)
    rc = cfg_error(k, "mode", "'mode' must be issue or comment, not '%s'",
                   g->mode);
  return rc;
}

static int prepare(struct chan_ctx *c, struct err *e)
{
  if (!http_url_allowed(CHAN_CONF(struct github_conf, c->ch)->api_url))
    return err_set(e, EX_CONFIG,
                   "channel '%s': api_url must be https:// "
                   "(http only to a loopback address)",
                   c->ch->name);
  return 0;
}

static void ctx_release(struct chan_ctx *c)
{
  struct github_ctx *g = c->priv;
  free(g->login);
}

/* Writes to one repository queue, whichever channels write them. */
static void serial(const struct channel *ch, struct buf *out)
{
  const struct github_conf *g = ch->conf;
  buf_addf(out, "github:%s/repos/%s", g->api_url, g->repo);
}

/* A request to the API: url (a page the server gave), or the configured
 * api_url followed by path. */
static void api_at(struct delivery *d, struct http_req *req, const char *url,
                   const char *path)
{
  if (url)
    buf_adds(&req->url, url);
  else
    chan_url(req, CONF(d)->api_url, path);
  http_req_header(req, "Accept: application/vnd.github+json");
  http_req_header(req, "Authorization: Bearer %s",
                  chan_secret(d->ctx, &CONF(d)->token)->data);
  http_req_header(req, "X-GitHub-Api-Version: 2022-11-28");
  chan_user_agent(req);
}

/* The repository's API (or a page the server gave). */
static void api(struct delivery *d, struct http_req *req, const char *url)
{
  struct buf p = BUF_INIT;
  buf_addf(&p, "/repos/%s", CONF(d)->repo);
  api_at(d, req, url, p.data);
  buf_release(&p);
}

static void key_marker(const struct delivery *d, struct buf *b)
{
  buf_addf(b, "<!-- crier:key=%s -->", d->key);
}

static void event_marker(const struct delivery *d, struct buf *b)
{
  buf_addf(b, "<!-- crier:event=%s channel=%s -->", event_uid(d->ev),
           d->ctx->ch->name);
}

static void list_issues(struct delivery *d, struct http_req *req)
{
  api(d, req, NULL);
  buf_adds(&req->url, "/issues?state=all&per_page=100");
  const struct strlist *l = &CONF(d)->labels;
  if (l->n) {
    buf_adds(&req->url, "&labels=");
    for (size_t i = 0; i < l->n; i++) {
      if (i)
        buf_adds(&req->url, ",");
      http_escape(&req->url, l->v[i]);
    }
  }
  req->method = HTTP_GET;
}

/* A write: POST with JSON, one after another per repository with a gap
 * (channel `gap`, default 1 s). */
static void write_request(struct delivery *d, struct http_req *req)
{
  req->method = HTTP_POST;
  req->serial = d->ctx->serial;
  req->gap = CONF(d)->gap > 0            ? CONF(d)->gap
             : test_hooks.github_gap > 0 ? test_hooks.github_gap
                                         : 1.0;
  http_req_header(req, "Content-Type: application/json");
}

static void create_issue(struct delivery *d, struct http_req *req)
{
  api(d, req, NULL);
  buf_adds(&req->url, "/issues");
  write_request(d, req);
  struct buf body = BUF_INIT;
  buf_adds(&body, d->msg.markdown);
  buf_adds(&body, "\n");
  event_marker(d, &body);
  buf_adds(&body, "\n");
  key_marker(d, &body);
  buf_adds(&body, "\n");
  json_t *labels = json_array();
  for (size_t i = 0; i < CONF(d)->labels.n; i++)
    json_array_append_new(labels, json_string(CONF(d)->labels.v[i]));
  json_t *doc = json_pack("{s:s, s:s, s:o}", "title", d->msg.subject, "body",
                          body.data, "labels", labels);
  chan_json_body(req, doc);
  buf_release(&body);
}

static void list_comments(struct delivery *d, struct http_req *req)
{
  struct github_delivery *gd = d->priv;
  api(d, req, NULL);
  buf_addf(&req->url, "/issues/%ld/comments?per_page=100", gd->number);
  req->method = HTTP_GET;
}

static void create_comment(struct delivery *d, struct http_req *req)
{
  struct github_delivery *gd = d->priv;
  api(d, req, NULL);
  buf_addf(&req->url, "/issues/%ld/comments", gd->number);
  write_request(d, req);
  struct buf body = BUF_INIT;
  buf_addf(&body, "### %s\n\n%s\n", d->msg.subject, d->msg.markdown);
  key_marker(d, &body);
  buf_adds(&body, "\n");
  chan_json_body(req, json_pack("{s:s}", "body", body.data));
  buf_release(&body);
}

/* The rel="next" URL of a Link header, if it has the origin (scheme, host,
 * port) of the configured API: the token is never sent anywhere else. */
static char *next_page(const struct delivery *d, const struct http_resp *r,
                       bool *refused)
{
  *refused = false;
  char *link = http_header(r, "link");
  char *next = NULL;
  for (char *p = link; p && *p;) {
    char *lt = strchr(p, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (!gt)
      break;
    char *end = strchr(gt, ',');
    size_t seglen = end ? (size_t)(end - gt) : strlen(gt);
    bool is_next = false;
    for (size_t i = 0; i + 10 <= seglen; i++)
      if (strncmp(gt + i, "rel=\"next\"", 10) == 0)
        is_next = true;
    if (is_next) {
      next = xstrndup(lt + 1, (size_t)(gt - lt - 1));
      break;
    }
    p = end ? end + 1 : NULL;
  }
  free(link);
  if (next && !url_may_follow(CONF(d)->api_url, next)) {
    free(next);
    next = NULL;
    *refused = true;
  }
  return next;
}

static bool has(const char *body, const char *needle)
{
  return body && strstr(body, needle);
}

static enum step explain(struct http_task *t, const struct http_resp *r,
                         const char *what)
{
  if (r->code == CURLE_OK && !http_temporary(r)) {
    bool integration =
        r->body.len && strstr(r->body.data, "Resource not accessible by "
                                            "integration");
    const char *hint =
        r->status == 401   ? " (bad credentials: check the token)"
        : integration      ? " (the token may not write issues: the workflow "
                             "needs 'permissions: issues: write', and pull "
                             "requests from forks only get a read-only token)"
        : r->status == 404 ? " (no such repository or issue, or the token "
                             "cannot see it)"
        : r->status == 410 ? " (issues are disabled in this repository)"
                           : "";
    struct buf b = BUF_INIT;
    buf_addf(&b, "%s%s", what, hint);
    char *rem = http_header(r, "x-ratelimit-remaining");
    bool limited = r->status == 403 && rem && strcmp(rem, "0") == 0;
    free(rem);
    enum step s = chan_fail(t, r, b.data);
    buf_release(&b);
    if (limited || (r->status == 403 && r->retry_after >= 0))
      return STEP_RETRY; /* rate limited: wait as told */
    return s;
  }
  return chan_fail(t, r, what);
}

/* The issue number from the event's planning link, when it is an issue of
 * this repository: https://github.com/OWNER/REPO/issues/N (or the same path
 * on the host of a GitHub Enterprise api_url). */
static long planning_issue(const struct delivery *d)
{
  const char *u = event_link(d->ev, LINK_PLANNING);
  struct url link, api;
  if (!u || url_parse(u, &link, NULL) < 0 ||
      url_parse(CONF(d)->api_url, &api, NULL) < 0)
    return 0;
  if (strcmp(link.host, "github.com") != 0 &&
      strcmp(link.host, "www.github.com") != 0 &&
      strcmp(link.host, api.host) != 0)
    return 0;
  const char *repo = CONF(d)->repo;
  size_t rl = strlen(repo);
  const char *p = link.rest;
  if (*p++ != '/' || strncasecmp(p, repo, rl) != 0 ||
      strncmp(p + rl, "/issues/", 8) != 0)
    return 0;
  p += rl + 8;
  char *end;
  long n = strtol(p, &end, 10);
  if (end == p || n <= 0 || (*end && *end != '/' && *end != '?' && *end != '#'))
    return 0;
  return n;
}

/* The first request after the account is known: the list to search. */
static enum step search(struct delivery *d, struct http_task *t,
                        struct http_req *req)
{
  struct github_delivery *gd = d->priv;
  if (strcmp(CONF(d)->mode, "comment") == 0 && !gd->number) {
    gd->number = planning_issue(d);
    if (!gd->number) {
      snprintf(t->error, sizeof(t->error),
               "mode comment needs a '%s' link "
               "to an issue of %s in the event file",
               LINK_PLANNING, CONF(d)->repo);
      return STEP_FAIL;
    }
  }
  if (gd->number) {
    d->phase = LIST_COMMENTS;
    list_comments(d, req);
  } else {
    d->phase = LIST_ISSUES;
    list_issues(d, req);
  }
  return STEP_SEND;
}

static enum step start(struct delivery *d, struct http_task *t,
                       struct http_req *req)
{
  struct github_delivery *gd = d->priv;
  struct github_ctx *gc = d->ctx->priv;
  gd->number = 0;
  gd->pages = 0;
  /* a later notice goes where the announcement went */
  const char *known = chan_first_state(d, "issue");
  if (known && d->kind != NOTICE_ANNOUNCE)
    gd->number = strtol(known, NULL, 10);
  if (!gc->login && CONF(d)->login)
    gc->login = xstrdup(CONF(d)->login);
  if (!gc->login) {
    d->phase = WHOAMI;
    api_at(d, req, NULL, "/user");
    req->method = HTTP_GET;
    return STEP_SEND;
  }
  return search(d, t, req);
}

/* Whether the token's own account wrote item (an issue or a comment). */
static bool own(const struct delivery *d, const json_t *item)
{
  const char *login = json_string_value(
      json_object_get(json_object_get(item, "user"), "login"));
  const struct github_ctx *gc = d->ctx->priv;
  return login && gc->login && strcasecmp(login, gc->login) == 0;
}

/* The URL and id (an issue's number, a comment's id) of what was posted. */
static void take_result(struct delivery *d, const json_t *o, bool issue)
{
  const struct github_delivery *gd = d->priv;
  const char *u = json_string_value(json_object_get(o, "html_url"));
  snprintf(d->url, sizeof(d->url), "%s", u ? u : "");
  long long number =
      issue ? (long long)json_integer_value(json_object_get(o, "number"))
            : (long long)gd->number;
  snprintf(d->remote_id, sizeof(d->remote_id), "%lld",
           issue ? number
                 : (long long)json_integer_value(json_object_get(o, "id")));
  char n[32];
  snprintf(n, sizeof(n), "%lld", number);
  json_object_set_new(d->state, "issue", json_string(n));
}

static enum step step(struct http_task *t, const struct http_resp *prev,
                      struct http_req *req)
{
  struct delivery *d = task_delivery(t);
  struct github_delivery *gd = d->priv;
  struct github_ctx *gc = d->ctx->priv;
  if (!prev)
    return start(d, t, req);
  bool ok = prev->code == CURLE_OK && prev->status >= 200 && prev->status < 300;
  struct buf km = BUF_INIT, em = BUF_INIT;
  key_marker(d, &km);
  event_marker(d, &em);
  json_t *j = chan_json(prev);
  enum step r = STEP_FAIL;
  switch (d->phase) {
  case WHOAMI: {
    const char *login = json_string_value(json_object_get(j, "login"));
    if (ok && login) {
      if (!gc->login) /* deliveries on one channel ask together */
        gc->login = xstrdup(login);
    } else if (prev->code == CURLE_OK && prev->status == 403 &&
               getenv("GITHUB_ACTIONS") &&
               strcmp(getenv("GITHUB_ACTIONS"), "true") == 0) {
      /* the workflow's GITHUB_TOKEN may not read /user; it posts as the
       * Actions bot */
      if (!gc->login)
        gc->login = xstrdup("github-actions[bot]");
    } else {
      r = explain(t, prev,
                  "finding the token's account (GET /user; set "
                  "'login:' to the account the token posts as)");
      break;
    }
    r = search(d, t, req);
    break;
  }
  case LIST_ISSUES:
  case LIST_COMMENTS: {
    if (!ok) {
      r = explain(t, prev,
                  d->phase == LIST_ISSUES ? "listing issues"
                                          : "listing comments");
      break;
    }
    if (!json_is_array(j)) {
      snprintf(t->error, sizeof(t->error),
               "listing: the answer is not a "
               "list");
      break;
    }
    size_t i;
    json_t *it;
    bool done = false;
    json_array_foreach(j, i, it)
    {
      if (json_object_get(it, "pull_request") || !own(d, it))
        continue;
      const char *body = json_string_value(json_object_get(it, "body"));
      if (has(body, km.data)) {
        take_result(d, it, d->phase == LIST_ISSUES);
        done = true;
        break;
      }
      if (d->phase == LIST_ISSUES && has(body, em.data) && !gd->number)
        gd->number = (long)json_integer_value(json_object_get(it, "number"));
    }
    if (done) {
      r = STEP_DONE; /* posted before: nothing to do */
      break;
    }
    bool refused;
    char *next = next_page(d, prev, &refused);
    if (refused) {
      /* the list is incomplete: posting now could post twice */
      snprintf(t->error, sizeof(t->error),
               "the server's next page is not "
               "on %s; not following it",
               CONF(d)->api_url);
      r = STEP_FAIL;
      break;
    }
    if (next && ++gd->pages >= GITHUB_MAX_PAGES) {
      free(next);
      snprintf(t->error, sizeof(t->error),
               "more than %d pages of issues or "
               "comments; not looking further",
               GITHUB_MAX_PAGES);
      r = STEP_FAIL;
      break;
    }
    if (next) {
      api(d, req, next);
      req->method = HTTP_GET;
      free(next);
      r = STEP_SEND;
      break;
    }
    if (d->phase == LIST_ISSUES && gd->number && d->kind != NOTICE_ANNOUNCE) {
      d->phase = LIST_COMMENTS;
      list_comments(d, req);
    } else if (d->phase == LIST_ISSUES) {
      d->phase = CREATE_ISSUE;
      create_issue(d, req);
    } else {
      d->phase = CREATE_COMMENT;
      create_comment(d, req);
    }
    r = STEP_SEND;
    break;
  }
  case CREATE_ISSUE:
  case CREATE_COMMENT:
    if (!ok || !json_is_object(j)) {
      r = explain(t, prev,
                  d->phase == CREATE_ISSUE ? "creating the issue"
                                           : "commenting");
      break;
    }
    take_result(d, j, d->phase == CREATE_ISSUE);
    r = STEP_DONE;
    break;
  }
  json_decref(j);
  buf_release(&km);
  buf_release(&em);
  return r;
}

static void dry(struct delivery *d, struct http_req *req)
{
  struct github_delivery *gd = d->priv;
  if (strcmp(CONF(d)->mode, "comment") == 0) {
    gd->number = planning_issue(d);
    create_comment(d, req);
  } else if (d->kind == NOTICE_ANNOUNCE) {
    create_issue(d, req);
  } else {
    const char *known = chan_first_state(d, "issue");
    gd->number = known ? strtol(known, NULL, 10) : 0; /* 0: found when sent */
    create_comment(d, req);
  }
}

const struct chan_type chan_github = {.name = "github",
                                      .label = "GitHub",
                                      .fields = fields,
                                      .conf_size = sizeof(struct github_conf),
                                      .check = check,
                                      .format = CHAN_MARKDOWN,
                                      .idem = IDEM_LOOKUP,
                                      .ctx_size = sizeof(struct github_ctx),
                                      .delivery_size =
                                          sizeof(struct github_delivery),
                                      .prepare = prepare,
                                      .ctx_release = ctx_release,
                                      .serial = serial,
                                      .step = step,
                                      .dry = dry};
