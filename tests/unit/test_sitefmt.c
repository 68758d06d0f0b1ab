/* The format of a site's event files: globs, ids of files (page bundles,
 * translations), keys the site reads, and hints for the others. */
#include "harness.h"

#include <stdlib.h>

#include "sitefmt.h"
#include "xalloc.h"

static const char *id_of(const struct site_format *f, const char *path,
                         const char **lang)
{
  static char *last;
  free(last);
  last = sitefmt_file_id(f, path, lang);
  return last;
}

static const char *hint(const struct site_format *f, const char *key)
{
  static struct buf b = BUF_INIT;
  buf_reset(&b);
  sitefmt_hint(f, key, &b);
  return b.data;
}

int main(void)
{
  /* globs */
  OK(glob_match("*.md", "a/b/x.md"), "a name pattern matches at any depth");
  OK(!glob_match("*.md", "x.markdown"), "*.md");
  OK(glob_match("events/*.md", "events/x.md"), "a path");
  OK(!glob_match("events/*.md", "events/a/x.md"), "* stays in its name");
  OK(glob_match("events/**/*.md", "events/x.md"), "** is zero dirs too");
  OK(glob_match("events/**/*.md", "events/a/b/x.md"), "** is dirs");
  OK(glob_match("**/index.md", "a/index.md"), "**/");
  OK(glob_match("_*.md", "a/_index.md") && !glob_match("_*.md", "a/x_.md"),
     "_*");
  OK(glob_match("20[0-9][0-9]-*.md", "2031-x.md") &&
         !glob_match("20[0-9][0-9]-*.md", "20ab-x.md"),
     "classes");
  OK(glob_match("x?.md", "x1.md") && !glob_match("x?.md", "x/.md"), "?");
  OK(glob_match("[!_]*.md", "a.md") && !glob_match("[!_]*.md", "_a.md"),
     "negated class");

  struct site_format f;
  sitefmt_init(&f);
  OK(sitefmt_match(&f, "2031-01-01-x.md") && sitefmt_match(&f, "a/x.markdown"),
     "today's files");
  OK(!sitefmt_match(&f, "_index.md") && !sitefmt_match(&f, "s/_index.de.md"),
     "section pages are not events");
  OK(!sitefmt_match(&f, "x.txt"), "other files");

  /* ids */
  const char *lang;
  STR_EQ(id_of(&f, "_posts/2031-01-01-x.md", &lang), "2031-01-01-x");
  OK(lang == NULL, "no language");
  STR_EQ(id_of(&f, "content/events/42/index.md", NULL), "42");
  STR_EQ(id_of(&f, "index.md", NULL), "index");
  STR_EQ(id_of(&f, "a/x.de.md", &lang), "x.de"); /* no translations set */
  char *tr[] = {(char *)"en", (char *)"de", NULL};
  f.translations = tr;
  STR_EQ(id_of(&f, "a/x.de.md", &lang), "x");
  STR_EQ(lang, "de");
  STR_EQ(id_of(&f, "a/x.en.md", &lang), "x");
  OK(lang == NULL, "the first language is the site's own");
  STR_EQ(id_of(&f, "events/42/index.de.md", &lang), "42");
  STR_EQ(lang, "de");
  STR_EQ(id_of(&f, "a/x.fr.md", &lang), "x.fr");
  f.translations = NULL;

  /* keys: known, and hints that point the right way */
  OK(sitefmt_known_key(&f, "title") && sitefmt_known_key(&f, "layout") &&
         sitefmt_known_key(&f, "end"),
     "known keys");
  OK(!sitefmt_known_key(&f, "venue"), "venue is not read by default");
  STR_EQ(hint(&f, "venue"), "crier reads the place from 'location'; to read "
                            "it from here, set site.fields.location: venue");
  STR_EQ(hint(&f, "time"),
         "to read the time from it, set site.fields.time: time");
  STR_EQ(hint(&f, "meetup_url"),
         "to read the Meetup.com link from it, set site.fields.meetup: "
         "meetup_url");
  STR_EQ(hint(&f, "tilte"), "did you mean 'title'?");
  STR_EQ(hint(&f, "zzzzzz"), "list it in site.other_keys if the site uses "
                             "it for something else");
  free(f.fields[FLD_TITLE]);
  f.fields[FLD_TITLE] = xstrdup("event.name");
  OK(sitefmt_known_key(&f, "event") && !sitefmt_known_key(&f, "title"),
     "a dotted path's first key");
  STR_EQ(hint(&f, "title"), "crier reads the title from 'event.name'; to "
                            "read it from here, set site.fields.title: title");
  sitefmt_release(&f);
  id_of(&f, "x", NULL);
  return t_summary();
}
