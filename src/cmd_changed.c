/* crier changed: the GitHub Actions entry point. */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "ci.h"
#include "cli.h"
#include "proc.h"
#include "schedule.h"
#include "xalloc.h"

static const struct cmd_help help = {
    "changed",
    "(--base REV --head REV | FILE...) [options]\n"
    "       crier changed --since-state --head REV [--base REV] [options]",
    "For a push or merge to the site: announces the events whose files were\n"
    "added between two git revisions (or the files given) right away, sends\n"
    "an update for announced events whose date, time, place or title\n"
    "changed, and a cancellation for announced future events whose files\n"
    "were removed (a renamed or moved file is the same event: an update if\n"
    "its facts changed). An event file edited before it was announced is\n"
    "just announced. Uses git on the site's checkout; safe to run twice on\n"
    "the same range.\n"
    "With --since-state (CI, where runs get cancelled and branches\n"
    "force-pushed) the range starts at the last commit crier finished, as\n"
    "the journal records it, so that a run catches up with the pushes\n"
    "before it that were not handled; --base only when the journal has\n"
    "none. A recorded commit the checkout no longer has (a force-push)\n"
    "makes every event count as changed; with nothing recorded and no\n"
    "usable --base, --head is only recorded as the starting point. --head\n"
    "is recorded when the run exits 0.\n",
    "Exit status as for crier run.\n"};

/* Where the site's files are, relative to the top of the checkout. */
struct where {
  const struct config *cfg;
  const char *events; /* the events directory ("" for the top) */
  char **data;        /* the data files and directories */
  bool *data_dir;
  size_t ndata;
};

/* The path of an event file relative to the events directory, or NULL
 * when path (relative to the top) is no event file of the site. */
static const char *event_rel(const struct where *w, const char *path)
{
  size_t el = strlen(w->events);
  const char *sub = path;
  if (el) {
    if (strncmp(path, w->events, el) != 0 || path[el] != '/')
      return NULL;
    sub = path + el + 1;
  }
  return site_is_event_path(w->cfg, sub) ? sub : NULL;
}

static bool data_rel(const struct where *w, const char *path)
{
  const char *base = strrchr(path, '/');
  size_t dl = base ? (size_t)(base - path) : 0;
  base = base ? base + 1 : path;
  size_t bl = strlen(base);
  bool yaml = (bl > 4 && strcmp(base + bl - 4, ".yml") == 0) ||
              (bl > 5 && strcmp(base + bl - 5, ".yaml") == 0);
  for (size_t i = 0; i < w->ndata; i++) {
    if (!w->data_dir[i] && strcmp(w->data[i], path) == 0)
      return true;
    if (w->data_dir[i] && yaml && base[0] != '.' && strlen(w->data[i]) == dl &&
        strncmp(w->data[i], path, dl) == 0)
      return true;
  }
  return false;
}

/* path (a configured path) relative to top, into out; false when it is
 * outside. A file that does not exist (now) is its directory's. */
static bool rel_to_top(const char *top, const char *path, struct buf *out)
{
  char *real = realpath(path, NULL);
  if (!real) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    char *rdir = realpath(dir, NULL);
    if (rdir) {
      struct buf b = BUF_INIT;
      buf_addf(&b, "%s/%s", rdir, slash ? slash + 1 : path);
      real = buf_detach(&b);
    }
    free(rdir);
    free(dir);
  }
  size_t tl = strlen(top);
  bool ok =
      real && strncmp(real, top, tl) == 0 && (real[tl] == '/' || !real[tl]);
  if (ok)
    buf_adds(out, real[tl] ? real + tl + 1 : "");
  free(real);
  return ok;
}

struct lists {
  char **only, **gone;
  size_t nonly, ngone, caponly, capgone;
  struct rename *renames; /* from and to owned */
  size_t nrenames, caprenames;
};

static void push(char ***v, size_t *n, size_t *cap, char *s)
{
  *v = xgrow(*v, cap, *n + 2, sizeof(**v));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

/* The commit rev names, as a full hex id in out. A revision is never
 * taken for an option: one that starts with '-' is refused, and git is told
 * where its options end. */
static int resolve_rev(const char *top, const char *what, const char *rev,
                       struct buf *out, struct err *e)
{
  if (!*rev || rev[0] == '-')
    return err_set(e, EX_USAGE, "%s '%s' is not a revision", what, rev);
  struct buf spec = BUF_INIT;
  buf_addf(&spec, "%s^{commit}", rev);
  const char *argv[] = {"git",
                        "-C",
                        top,
                        "rev-parse",
                        "--verify",
                        "--quiet",
                        "--end-of-options",
                        spec.data,
                        NULL};
  struct err pe;
  int rc = proc_capture(argv, 4096, out, &pe);
  buf_release(&spec);
  buf_rtrim(out);
  if (rc < 0 || out->len < 40 ||
      strspn(out->data, "0123456789abcdef") != out->len)
    return err_set(e, EX_DATAERR, "%s '%s' is not a commit of %s", what, rev,
                   top);
  return 0;
}

/* The events of a data file at revision rev (none when it did not exist
 * or does not parse). */
static size_t entries_at(const char *top, const char *rev, const char *path,
                         const struct config *cfg, struct data_entry **out)
{
  struct buf spec = BUF_INIT, text = BUF_INIT;
  struct err e;
  size_t n = 0;
  *out = NULL;
  buf_addf(&spec, "%s:%s", rev, path);
  const char *argv[] = {"git", "-C", top, "show", spec.data, NULL};
  if (proc_capture(argv, (size_t)16 << 20, &text, &e) == 0)
    n = site_data_entries(cfg, text.data, text.len, out);
  buf_release(&spec);
  buf_release(&text);
  return n;
}

/* A data file that changed: its events that are new or changed are
 * looked at, those it no longer has are gone (unless another file has
 * them now). from: its path at base (a rename), else path. */
static void data_changed(const char *top, const char *base, const char *head,
                         const char *from, const char *path, bool deleted,
                         const struct config *cfg, struct lists *l)
{
  struct data_entry *old, *now = NULL;
  size_t nold = entries_at(top, base, from ? from : path, cfg, &old);
  size_t nnow = deleted ? 0 : entries_at(top, head, path, cfg, &now);
  for (size_t i = 0; i < nnow; i++) {
    bool same = false;
    for (size_t k = 0; k < nold && !same; k++)
      same = strcmp(old[k].id, now[i].id) == 0 &&
             strcmp(old[k].digest, now[i].digest) == 0;
    if (!same)
      push(&l->only, &l->nonly, &l->caponly, xstrdup(now[i].id));
  }
  for (size_t k = 0; k < nold; k++) {
    bool kept = false;
    for (size_t i = 0; i < nnow && !kept; i++)
      kept = strcmp(old[k].id, now[i].id) == 0;
    if (!kept)
      push(&l->gone, &l->ngone, &l->capgone, xstrdup(old[k].id));
  }
  data_entries_free(old, nold);
  data_entries_free(now, nnow);
}

static int from_git(struct app *a, const char *base, const char *head,
                    struct lists *l, struct err *e)
{
  const char *dir = a->cfg.events_dir;
  const char *top_argv[] = {"git", "-C", dir, "rev-parse", "--show-toplevel",
                            NULL};
  struct buf top = BUF_INIT, diff = BUF_INIT, evrel = BUF_INIT;
  struct where w = {.cfg = &a->cfg};
  int rc = -1;
  if (proc_capture(top_argv, 4096, &top, e) < 0)
    goto out;
  buf_rtrim(&top);
  if (!rel_to_top(top.data, dir, &evrel)) {
    err_set(e, EX_NOINPUT, "%s: cannot resolve the events directory", dir);
    goto out;
  }
  w.events = evrel.data;
  const char **specs = xcalloc(2 + (a->cfg.fmt.data ? 64 : 0), sizeof(*specs));
  size_t nspecs = 0;
  if (a->cfg.walk_events)
    specs[nspecs++] = *evrel.data ? evrel.data : ".";
  for (size_t i = 0; a->cfg.fmt.data && a->cfg.fmt.data[i] && i < 64; i++) {
    struct buf r = BUF_INIT;
    if (rel_to_top(top.data, a->cfg.fmt.data[i], &r)) {
      struct stat st;
      w.data = xrealloc(w.data, (w.ndata + 1) * sizeof(*w.data));
      w.data_dir = xrealloc(w.data_dir, (w.ndata + 1) * sizeof(bool));
      w.data_dir[w.ndata] =
          stat(a->cfg.fmt.data[i], &st) == 0 && S_ISDIR(st.st_mode);
      w.data[w.ndata] = buf_detach(&r);
      specs[nspecs++] = *w.data[w.ndata] ? w.data[w.ndata] : ".";
      w.ndata++;
    }
    buf_release(&r);
  }
  /* a push that creates a branch has no "before": compare with nothing */
  bool zero = *base && strspn(base, "0") == strlen(base);
  struct buf b = BUF_INIT, h = BUF_INIT;
  if (zero)
    buf_adds(&b, "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
  int r = zero ? 0 : resolve_rev(top.data, "--base", base, &b, e);
  if (r == 0)
    r = resolve_rev(top.data, "--head", head, &h, e);
  if (r == 0) {
    /* renames are detected: a moved event is the same event */
    const char *argv[12 + 66] = {"git",
                                 "-C",
                                 top.data,
                                 "diff",
                                 "--name-status",
                                 "-z",
                                 "--find-renames",
                                 "--end-of-options",
                                 b.data,
                                 h.data,
                                 "--"};
    size_t k = 11;
    for (size_t i = 0; i < nspecs; i++)
      argv[k++] = specs[i];
    argv[k] = NULL;
    r = proc_capture(argv, (size_t)64 << 20, &diff, e);
  }
  free(specs);
  if (r < 0) {
    buf_release(&b);
    buf_release(&h);
    goto out;
  }
  /* status NUL path NUL …; a rename: Rnnn NUL old NUL new NUL */
  for (size_t i = 0; i < diff.len;) {
    const char *status = diff.data + i;
    i += strlen(status) + 1;
    if (i >= diff.len)
      break;
    const char *path = diff.data + i, *from = NULL;
    i += strlen(path) + 1;
    if (status[0] == 'R' || status[0] == 'C') {
      if (i >= diff.len)
        break;
      from = path;
      path = diff.data + i;
      i += strlen(path) + 1;
    }
    if (a->verbose)
      fprintf(stderr, "crier: %s %s%s%s\n", status, from ? from : "",
              from ? " -> " : "", path);
    /* a data file: its events that changed, and those it lost */
    bool data_to = data_rel(&w, path), data_from = from && data_rel(&w, from);
    if (data_to || data_from) {
      data_changed(top.data, b.data, h.data,
                   data_from && status[0] == 'R' ? from : NULL, path,
                   status[0] == 'D' || !data_to, &a->cfg, l);
      continue;
    }
    const char *sub_from = from ? event_rel(&w, from) : NULL;
    const char *sub = event_rel(&w, path);
    if (!sub) {
      if (sub_from && status[0] == 'R') /* moved out of the events */
        push(&l->gone, &l->ngone, &l->capgone,
             sitefmt_file_id(&a->cfg.fmt, sub_from, NULL));
      continue;
    }
    char *id = sitefmt_file_id(&a->cfg.fmt, sub, NULL);
    if (status[0] == 'D') {
      push(&l->gone, &l->ngone, &l->capgone, id);
      continue;
    }
    push(&l->only, &l->nonly, &l->caponly, id);
    if (sub_from && status[0] == 'R') {
      /* git judges by content: the schedule decides whether it is the
       * same event (else the old one is gone) */
      push(&l->gone, &l->ngone, &l->capgone,
           sitefmt_file_id(&a->cfg.fmt, sub_from, NULL));
      l->renames = xgrow(l->renames, &l->caprenames, l->nrenames + 1,
                         sizeof(*l->renames));
      l->renames[l->nrenames++] = (struct rename){
          sitefmt_file_id(&a->cfg.fmt, sub_from, NULL), xstrdup(id)};
    }
  }
  buf_release(&b);
  buf_release(&h);
  rc = 0;
out:
  for (size_t i = 0; i < w.ndata; i++)
    free(w.data[i]);
  free(w.data);
  free(w.data_dir);
  buf_release(&top);
  buf_release(&diff);
  buf_release(&evrel);
  return rc;
}

/* Announces, updates and cancels what the lists name; frees them. */
static int send_lists(struct app *a, struct lists *l, bool dry, bool confirm,
                      json_t *collect)
{
  /* an empty list means "none", not "all" */
  char *none[] = {NULL};
  struct schedule_opts so = {.only = l->only ? (const char *const *)l->only
                                             : (const char *const *)none,
                             .mode_changed = true,
                             .gone = l->gone ? (const char *const *)l->gone
                                             : (const char *const *)none,
                             .renames = l->renames,
                             .nrenames = l->nrenames,
                             .confirm_cancel = confirm};
  int rc = run_schedule(a, dry, &so, collect);
  for (size_t i = 0; i < l->nonly; i++)
    free(l->only[i]);
  for (size_t i = 0; i < l->ngone; i++)
    free(l->gone[i]);
  for (size_t i = 0; i < l->nrenames; i++) {
    free((char *)l->renames[i].from);
    free((char *)l->renames[i].to);
  }
  free(l->only);
  free(l->gone);
  free(l->renames);
  return rc;
}

/* The commit rev names in the site's repository, as a full id in out;
 * false when the checkout has no such commit. */
static bool commit_known(struct app *a, const char *rev, struct buf *out)
{
  struct err e;
  buf_reset(out);
  return resolve_rev(a->cfg.events_dir, "commit", rev, out, &e) == 0;
}

/* --since-state: from the last commit crier finished (else --base, else
 * everything once that commit is gone), and head recorded when everything
 * was sent. */
static int since_state(struct app *a, const char *base, const char *head,
                       bool dry, bool confirm, json_t *collect)
{
  struct err e;
  struct buf h = BUF_INIT, known = BUF_INIT;
  char *last = NULL;
  int rc;
  if (resolve_rev(a->cfg.events_dir, "--head", head, &h, &e) < 0 ||
      ci_commit_get(a->cfg.journal, &last, &e) < 0) {
    cli_error("%s", e.msg);
    rc = e.code;
    goto out;
  }
  bool zero = base && *base && strspn(base, "0") == strlen(base);
  const char *from = NULL;
  if (last && commit_known(a, last, &known)) {
    from = known.data;
    cli_info(a, "changes since %.12s, the last commit crier finished", from);
  } else if (base && (zero || commit_known(a, base, &known))) {
    from = base;
    if (last)
      cli_warn(a,
               "the last commit crier finished, %.12s, is not in this "
               "checkout (a force-push?); changes since --base %.12s",
               last, base);
  } else if (last) {
    cli_warn(a,
             "the last commit crier finished, %.12s, is not in this "
             "checkout (a force-push?)%s: every event counts as changed",
             last, base ? ", nor is --base" : "");
  } else {
    /* nothing to compare with (the first run, or the state was lost):
     * what the site holds now is the starting point, and `crier run`
     * announces its events when they are due */
    cli_info(a,
             "no commit crier finished is recorded%s: %.12s is the "
             "starting point",
             base ? " and --base is not in this checkout" : "", h.data);
    rc = a->diags.errors ? EX_DATAERR : 0;
    goto record;
  }
  if (from) {
    struct lists l = {0};
    if (from_git(a, from, h.data, &l, &e) < 0) {
      cli_error("%s", e.msg);
      rc = e.code;
      goto out;
    }
    if (!l.nonly && !l.ngone) {
      cli_info(a, "no event files changed");
      rc = a->diags.errors ? EX_DATAERR : 0;
    } else {
      rc = send_lists(a, &l, dry, confirm, collect);
    }
  } else {
    struct schedule_opts so = {.mode_changed = true, .confirm_cancel = confirm};
    rc = run_schedule(a, dry, &so, collect);
  }
record:
  if (dry)
    goto out;
  if (rc != 0) {
    cli_info(a,
             "%.12s is not recorded as finished: the next run starts "
             "from the same commit",
             h.data);
  } else if (ci_commit_set(a->cfg.journal, h.data, &e) < 0) {
    cli_error("%s", e.msg);
    rc = e.code;
  }
out:
  free(last);
  buf_release(&h);
  buf_release(&known);
  return rc;
}

int cmd_changed(struct app *a, int argc, char **argv)
{
  bool dry = false, confirm = false, since = false, markdown = false;
  const char *base = NULL, *head = NULL;
  const struct opt opts[] = {
      OPT_STRING(0, "--base", &base, "REV",
                 "the range's start (e.g. github.event.before)"),
      OPT_STRING(0, "--head", &head, "REV",
                 "the range's end (e.g. github.event.after)"),
      OPT_BOOL(0, "--since-state", &since,
               "start from the last commit crier finished (kept\n"
               "in the journal; --base only when there is none\n"
               "in the checkout) and record --head once\n"
               "everything was sent"),
      OPT_BOOL('n', "--dry-run", &dry,
               "print what would be sent; send nothing"),
      OPT_BOOL(0, "--markdown", &markdown,
               "with --dry-run: the messages as Markdown, for a\n"
               "pull-request comment"),
      OPT_BOOL(0, "--confirm-cancel", &confirm,
               "cancel the events of removed files also when\n"
               "more than schedule.max_vanished were removed"),
      OPT_END()};
  const char **pos;
  int npos, rc;
  if (!cli_args(a, argc, argv, opts, &help, 0, 1 << 20, &pos, &npos, &rc))
    return rc;
  const char *bad = since && (!head || npos)
                        ? "--since-state needs --head, and no files"
                    : !since && (!!base != !!head || (base && npos))
                        ? "give --base and --head, or files"
                    : !since && !base && !npos
                        ? "nothing to look at: give --base and --head, or "
                          "files"
                    : markdown && !dry ? "--markdown is for --dry-run"
                                       : NULL;
  if (bad) {
    free(pos);
    fprintf(stderr, "crier changed: %s\n", bad);
    cli_usage(stderr, &help, opts);
    return EX_USAGE;
  }
  rc = cli_load_site(a, true);
  cli_print_site_diags(a);
  if (rc) {
    free(pos);
    return rc;
  }
  /* Markdown is made from the records: the text form stays unprinted */
  json_t *collect = markdown ? json_array() : NULL;
  bool json = a->json;
  a->json |= markdown;
  struct lists l = {0};
  struct err e;
  if (since) {
    rc = since_state(a, base, head, dry, confirm, collect);
    goto out;
  }
  if (base && from_git(a, base, head, &l, &e) < 0) {
    cli_error("%s", e.msg);
    rc = e.code;
    goto out;
  }
  for (int i = 0; i < npos; i++) {
    struct diags d;
    diags_init(&d);
    const struct event *ev = site_find(&a->site, pos[i], &d, &e);
    diags_print(&d);
    diags_release(&d);
    if (ev)
      push(&l.only, &l.nonly, &l.caponly, xstrdup(ev->id));
    else
      cli_warn(a, "%s", e.msg);
  }
  if (!l.nonly && !l.ngone) {
    cli_info(a, "no event files changed");
    rc = a->diags.errors ? EX_DATAERR : 0;
  } else {
    rc = send_lists(a, &l, dry, confirm, collect);
  }
out:
  a->json = json;
  free(pos);
  if (collect) {
    ci_markdown(a, collect, stdout);
    json_decref(collect);
  }
  return rc;
}

int changed_range(struct app *a, const char *base, const char *head, bool dry,
                  json_t *collect)
{
  struct lists l = {0};
  struct err e;
  if (from_git(a, base, head, &l, &e) < 0) {
    cli_error("%s", e.msg);
    return e.code;
  }
  if (!l.nonly && !l.ngone) {
    cli_info(a, "no event files changed");
    return 0;
  }
  return send_lists(a, &l, dry, false, collect);
}
