/* The fast YAML reader against libyaml's: where it accepts, the trees are
 * the same, field for field; what it must accept (every real file) and
 * what it must leave to libyaml (every error). */
#include "harness.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"
#include "yamlfast.h"
#include "yamlx.h"

enum want { SAME, ACCEPT, DECLINE };

/* Both readers on s; returns 1 when the fast one accepted. A fast tree
 * libyaml does not build fails. */
static int compare(const char *s, size_t len, int off, const char *what)
{
  struct diags d;
  diags_init(&d);
  struct ynode *fast = yamlfast_parse(s, len, off);
  struct ynode *slow = yamlx_parse_libyaml(s, len, "t.yml", off, &d);
  if (fast)
    OK(slow && ynode_equal(fast, slow), "%s: libyaml %s", what,
       slow  ? "builds another tree"
       : d.n ? d.v[0].msg
             : "refuses");
  int accepted = fast != NULL;
  ynode_free(fast);
  ynode_free(slow);
  diags_release(&d);
  return accepted;
}

static const struct {
  enum want want;
  const char *src;
} cases[] = {
    /* maps, lists, empty values and their lines */
    {ACCEPT, "a: 1\nb:\n  - x\n  - 'y'\nc: true\nd:\ne: ~\n"},
    {ACCEPT, "a:\nb: 2\n"},
    {ACCEPT, "a:\n\n# c\n\nb: 2\n"},
    {ACCEPT, "a:\n  b:\n  c: 1\n"},
    {ACCEPT, "a:\n- x\n- y: 1\n  z: 2\nb: 3\n"},
    {ACCEPT, "- a: 1\n  b: 2\n- c\n-\n- d: 4\n"},
    {ACCEPT, "-\n  a: 1\n-\n  - x\n  - y\n-\n"},
    {ACCEPT, "-   a: 1\n    b: [x, y]\n"},
    {ACCEPT, "talks:\n- title: \"T\"\n  speaker:\n    name: \"N\"\n"},
    {ACCEPT, "key with spaces: v\n\"quoted key\": w\n'single': x\n"},
    {ACCEPT, "url: https://a.b/c?d=e#f\nt: a:b\n"},
    {ACCEPT, "a: x # comment\nb: y#no comment\n# last\n"},
    {ACCEPT, "a: v ' # c\n"},
    {ACCEPT, "  a: 1\n  b: 2\n"},
    {ACCEPT, "---\na: 1\n"},
    {ACCEPT, "---\n"},
    {ACCEPT, ""},
    {ACCEPT, "# only a comment\n\n"},
    {ACCEPT, "a: 1"},
    {ACCEPT, "a:"},
    {ACCEPT, "a: Köln 🎄 – ü\n"},
    {ACCEPT, "-a: -1\n-: x\n"},
    /* plain scalars over lines */
    {ACCEPT, "a: one\n  two\n\n  three\n\n\n  four  \nb: 1\n"},
    {ACCEPT, "a:\n  one\n   two\n"},
    {ACCEPT, "- one\n  two\n- three\n"},
    {ACCEPT, "a: one\n  - two\n"},
    {ACCEPT, "a: one\n  two # c\nb: x\n"},
    {ACCEPT, "a: one\n  # c\nb: x\n"},
    {SAME, "a: one\n  # c\n  two\n"},
    {SAME, "a: one\n  two: x\n"},
    {SAME, "a: one\n two\n"},
    /* quoted scalars */
    {ACCEPT,
     "a: \"x\\n\\t\\\"\\\\ \\u00e9\\x41\\U0001F600 \\e\\a\\b\\v\\f\\r\"\n"},
    {ACCEPT, "a: 'it''s'\nb: 'a\\b'\nc: \"\"\nd: ''\n"},
    {ACCEPT, "a: \"one\n  two\n\n  three  \n  four\"\n"},
    {ACCEPT, "a: 'one  \n  two'\n"},
    {ACCEPT, "a: \"x \\ \n  y\"\n"},
    {SAME, "a: \"x\\\n  y\"\n"},
    {SAME, "a: \"\\0\"\n"},
    {SAME, "a: \"\\N\\_\\L\\P\\/\"\n"},
    {SAME, "a: \"\\ud800\"\n"},
    {SAME, "a: \"x\"y\n"},
    {SAME, "a: \"x\"#y\n"},
    {SAME, "\"a\" : 1\n"},
    {SAME, "a: \"one\ntwo\"\n"},
    /* block scalars */
    {ACCEPT, "a: |\n  one\n  two\n\n  three\n\n\nb: 1\n"},
    {ACCEPT, "a: |-\n  one\n\n\nb: |+\n  two\n\n\nc: >\n  x\n  y\n\n  z\n    "
             "w\n  v\nd: >-\n  q\n  r\n"},
    {ACCEPT, "a: |\n\n  one\n    indented\n  # not a comment\n"},
    {ACCEPT, "a: >\n\n  folded\n   more\n  back\n\n\n  end\n"},
    {ACCEPT, "a: | # c\n  x\nb: > \n  y"},
    {ACCEPT, "- |\n  x\n- >-\n  y\n"},
    {ACCEPT, "a:\n  |\n   x\n"},
    {ACCEPT, "a: |\n  x\n  \n   \n  y\n"},
    {ACCEPT, "a: |+\n  x\n\n"},
    {ACCEPT, "a: >\n  x\n     \n  y\n"},
    {SAME, "a: |2\n   x\n"},
    {SAME, "a: |\nb: 1\n"},
    {SAME, "a: |\n    \n  x\n"},
    {SAME, "a: |x\n  y\n"},
    {SAME, "a: |#c\n  y\n"},
    {SAME, "a: |\n  x\n y\n"},
    {ACCEPT, "a: |+\n  x\n\n  "},
    {SAME, "a: |\n  x\n     "},
    {ACCEPT, "a: >\n  x\n\n\n  y\n   z\n  w\n"},
    {ACCEPT, "a: |-\n  x\n\n"},
    {ACCEPT, "a: >+\n\n  x\n\n\n"},
    {ACCEPT, "a: |\n  x\n  y"},
    /* quoted scalars in lists and flows, over lines */
    {ACCEPT, "- \"a\n  b\"\n- 'c\n\n  d'\n"},
    {ACCEPT, "a: [x,\n  'y\n  z']\n"},
    {ACCEPT, "a: 'x'   # c\n"},
    {SAME, "a: \"x\" \n"},
    /* lists, comments, blank lines */
    {ACCEPT, "a:\n  - b\n  -\n  - c: d\n    e: f\n"},
    {ACCEPT, "a: {k: [1, {j: 2}]}\n"},
    {ACCEPT, "a: x\n\n\n"},
    {ACCEPT, "\n\n\na: 1\n"},
    {ACCEPT, "k: v\n# c\n  # d\nl: w\n"},
    {ACCEPT, "- a\n- b\n-\n"},
    {ACCEPT, "a: b\n  c\n\n\n"},
    /* flow collections */
    {ACCEPT, "a: []\nb: {}\nc: [x, 'y', \"z\", [1, 2], {k: v}]\n"},
    {ACCEPT, "m: [January, February,\n    March]\nd: {one: \"in a day\",\n  "
             "other: x}\n"},
    {ACCEPT, "a: [ x y , z ]\n"},
    {SAME, "a: [x, ]\n"},
    {SAME, "a: [x: y]\n"},
    {SAME, "a: {x}\n"},
    {SAME, "a: {x: }\n"},
    {SAME, "a: [x # c\n  ]\n"},
    {SAME, "a: [a:b]\n"},
    {SAME, "a: [x,\ny]\n"},
    {SAME, "a: {x: 1, x: 2}\n"},
    {SAME, "a: [x]y\n"},
    {SAME, "a: [x\n  y]\n"},
    /* what libyaml refuses or crier does not support */
    {DECLINE, "a: &x 1\nb: *x\n"},
    {DECLINE, "a: !t 1\n"},
    {DECLINE, "%YAML 1.1\n---\na: 1\n"},
    {DECLINE, "a: 1\n---\nb: 2\n"},
    {DECLINE, "a: 1\n...\n"},
    {DECLINE, "? a\n: 1\n"},
    {DECLINE, "a:\n\tb: 1\n"},
    {DECLINE, "a: 1\r\nb: 2\r\n"},
    {DECLINE, "\xef\xbb\xbf"
              "a: 1\n"},
    {DECLINE, "a: [1, 2]\nb:\n  c: 1\na: 3\n"},
    {DECLINE, "x: \"ab\\0\"\n"},
    {DECLINE, "a: \"unterminated\n"},
    {DECLINE, "a: 1\n b: 2\n"},
    {DECLINE, "a:\n    b: 1\n  c: 2\n"},
    {DECLINE, "a: 1\n- b\n"},
    {DECLINE, "- a\nb: 1\n"},
    {DECLINE, "a: - b\n"},
    {DECLINE, "- - a\n"},
    {DECLINE, "plain\n"},
    {DECLINE, "[a, b]\n"},
    {DECLINE, "a : 1\n"},
    {DECLINE, "a: b: c\n"},
    {DECLINE, "a: @x\n"},
    {DECLINE, "a: \x01\n"},
    {DECLINE, "a: \xc2\x85\n"},
    {DECLINE, "a: \xff\n"},
    /* the same deep in a line, where eight bytes are looked at at once */
    {DECLINE, "a: 0123456789abcdef\x7f"
              "0123456789\n"},
    {DECLINE, "a: 0123456789abcdef\x1f"
              "0123456789\n"},
    {DECLINE, "a: 0123456789abcdef\t0123456789\n"},
    {DECLINE, "a: 0123456789abcdef\x80x0123456789\n"},
    {DECLINE, "a: 0123456789abcdef\xed\xa0\x80x0123456789\n"},
    {ACCEPT, "a: 0123456789abcdef~ 0123456789\n"},
};

static void test_table(void)
{
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    const char *s = cases[i].src;
    int got = compare(s, strlen(s), 0, s);
    if (cases[i].want == ACCEPT)
      OK(got, "accepted: %s", s);
    if (cases[i].want == DECLINE)
      OK(!got, "declined: %s", s);
    /* line offsets (front matter) apply to every node alike */
    compare(s, strlen(s), 1, s);
  }
  /* the nesting limit: at it declined, below it read */
  struct buf deep = BUF_INIT;
  for (int i = 0; i < YAMLX_MAX_DEPTH; i++)
    buf_addf(&deep, "%*sk:\n", i, "");
  buf_addf(&deep, "%*sk: v\n", YAMLX_MAX_DEPTH, "");
  OK(!compare(deep.data, deep.len, 0, "deep"), "declined: %d levels",
     YAMLX_MAX_DEPTH + 1);
  buf_reset(&deep);
  for (int i = 0; i < YAMLX_MAX_DEPTH - 1; i++)
    buf_addf(&deep, "%*sk:\n", i, "");
  buf_addf(&deep, "%*sk: v\n", YAMLX_MAX_DEPTH - 1, "");
  OK(compare(deep.data, deep.len, 0, "deep"), "accepted: %d levels",
     YAMLX_MAX_DEPTH);
  buf_release(&deep);
  /* a key past libyaml's 1024 characters for a simple key */
  struct buf key = BUF_INIT;
  for (int i = 0; i < 1100; i++)
    buf_addc(&key, 'k');
  buf_adds(&key, ": v\n");
  OK(!compare(key.data, key.len, 0, "long key"), "declined: a long key");
  buf_release(&key);
  /* the lines and flags libyaml gives, spelled out */
  struct ynode *n = yamlfast_parse("a:\n\nb: |\n  x\nc:\n- 'q'\n", 22, 1);
  OK(n && n->n == 3, "three keys");
  if (n && n->n == 3) {
    INT_EQ(n->line, 2);
    INT_EQ(n->items[0].line, 2); /* an empty value is on its key's line */
    OK(n->items[0].plain && !n->items[0].str[0], "an empty plain value");
    INT_EQ(n->items[1].line, 4); /* a block scalar is on its indicator's */
    OK(!n->items[1].plain, "a block scalar is not plain");
    STR_EQ(n->items[1].str, "x\n");
    INT_EQ(n->items[2].line, 7); /* an indentless list on its first '-' */
    INT_EQ(n->items[2].items[0].line, 7);
  }
  ynode_free(n);
}

static int accepted, files;

static void check_file(const char *path, bool front_matter)
{
  struct buf text = BUF_INIT;
  struct err e;
  if (file_read(path, FILE_MAX, &text, &e) < 0) {
    OK(0, "%s", e.msg);
    return;
  }
  const char *s = text.data;
  size_t len = text.len;
  int off = 0;
  if (front_matter) {
    const char *end = len > 4 ? strstr(s + 3, "\n---") : NULL;
    if (strncmp(s, "---\n", 4) != 0 || !end) {
      OK(0, "%s: no front matter", path);
      buf_release(&text);
      return;
    }
    s += 4;
    len = (size_t)(end + 1 - s);
    off = 1;
  }
  files++;
  int got = compare(s, len, off, path);
  OK(got, "the fast reader accepts %s", path);
  accepted += got;
  buf_release(&text);
}

static void check_dir(const char *dir, const char *suffix, bool front_matter,
                      bool must)
{
  DIR *dd = opendir(dir);
  OK(dd != NULL || !must, "%s is there", dir);
  if (!dd)
    return;
  struct dirent *de;
  while ((de = readdir(dd))) {
    size_t n = strlen(de->d_name), k = strlen(suffix);
    if (de->d_name[0] == '.' || n < k || strcmp(de->d_name + n - k, suffix))
      continue;
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
    check_file(path, front_matter);
  }
  closedir(dd);
}

/* The fast reader's trees take their memory in chunks that grow to 32 KB
 * (and a scalar longer than that gets one of its own): a document whose
 * strings and lists fill many chunks, with a 100,000-byte value among
 * them, reads as libyaml reads it, and frees clean (under ASan). */
static void test_big(void)
{
  struct buf b = BUF_INIT;
  for (int i = 0; i < 600; i++) {
    buf_addf(&b, "key%d: value number %d, long enough to fill a chunk\n", i, i);
    if (i == 300) {
      buf_adds(&b, "huge: ");
      for (int k = 0; k < 10000; k++)
        buf_adds(&b, "0123456789");
      buf_adds(&b, "\nlist:\n");
      for (int k = 0; k < 500; k++)
        buf_addf(&b, "  - item %d\n  - a: %d\n    b: 'quoted %d'\n", k, k, k);
    }
  }
  OK(compare(b.data, b.len, 0, "a big document"),
     "the fast reader declined a big document");
  buf_release(&b);
}

int main(void)
{
  test_table();
  test_big();
  const char *data = getenv("CRIER_TEST_DATA");
  char root[1024], path[2048];
  snprintf(root, sizeof(root), "%s/../..", data ? data : "tests/data");
  static const char *repo[] = {
      "config/crier.example.yaml",
      "examples/site/crier.yaml",
      "examples/site/_data/locations.yml",
      "templates/de/language.yaml",
      "templates/en/language.yaml",
      "templates/nl/language.yaml",
      "tests/golden/site/crier.yaml",
      "tests/golden/site/_data/locations.yml",
      "tests/golden/site/chat.yaml",
      "tests/golden/site/social.yaml",
      "tests/golden/shared-site.yaml",
      "tests/golden/shared-2025-site.yaml",
      "tests/golden/shapes/data/_data/events.yml",
      "tests/golden/shapes/data/_data/meetups/2031-autumn.yml",
      "tests/golden/shapes/data/crier.yaml",
      "tests/golden/shapes/hugo/crier.yaml",
      "tests/golden/shapes/jekyll/templates/en/language.yaml",
      "tests/golden/shapes/jekyll/crier.yaml",
  };
  for (size_t i = 0; i < sizeof(repo) / sizeof(*repo); i++) {
    snprintf(path, sizeof(path), "%s/%s", root, repo[i]);
    check_file(path, false);
  }
  snprintf(path, sizeof(path), "%s/examples/site/_posts", root);
  check_dir(path, ".md", true, true);
  snprintf(path, sizeof(path), "%s/tests/golden/site/_posts", root);
  check_dir(path, ".md", true, true);
  snprintf(path, sizeof(path), "%s/tests/golden/shapes/jekyll/_events", root);
  check_dir(path, ".md", true, true);
  printf("the repository's files: %d of %d accepted\n", accepted, files);
  const char *shared = getenv("CRIER_SHARED");
  snprintf(path, sizeof(path), "%s/fixtures", shared ? shared : "../shared");
  DIR *dd = opendir(path);
  if (!dd) {
    printf("SKIP: %s is absent: the shared fixtures not read\n", path);
    t_summary();
    return t_failed ? 1 : 77;
  }
  accepted = files = 0;
  struct dirent *de;
  while ((de = readdir(dd))) {
    if (de->d_name[0] == '.')
      continue;
    char sub[3072];
    snprintf(sub, sizeof(sub), "%s/%s/_posts", path, de->d_name);
    check_dir(sub, ".md", true, false);
    snprintf(sub, sizeof(sub), "%s/%s/_data", path, de->d_name);
    check_dir(sub, ".yml", false, false);
    snprintf(sub, sizeof(sub), "%s/%s/_config.yml", path, de->d_name);
    if (access(sub, R_OK) == 0)
      check_file(sub, false);
  }
  closedir(dd);
  printf("the shared fixtures: %d of %d accepted\n", accepted, files);
  OK(files > 70, "the shared fixtures were read (%d files)", files);
  return t_summary();
}
