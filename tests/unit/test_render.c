/* Rendering: the context a template sees, escaping of plain text, safe
 * HTML (no raw HTML, no javascript: links), the Meetup title limit, both
 * languages in one message, templates from a user directory first. */
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "chan.h"
#include "config.h"
#include "render.h"
#include "util.h"
#include "site.h"
#include "when.h"

static char dir[] = "/tmp/crier-test-render-XXXXXX";

static void put(const char *rel, const char *text)
{
  t_put(dir, rel, text);
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
