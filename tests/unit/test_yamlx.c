/* The YAML loader: strings only, line numbers, refusals. */
#include "harness.h"

#include "buf.h"
#include "yamlx.h"

static struct ynode *parse(const char *s, struct diags *d)
{
  diags_release(d);
  return yamlx_parse(s, strlen(s), "t.yml", 0, d);
}

int main(void)
{
  struct diags d;
  diags_init(&d);
  struct ynode *n = parse("a: 1\nb:\n  - x\n  - 'y'\nc: true\nd:\ne: ~\n", &d);
  OK(n && n->kind == Y_MAP && n->n == 5, "a map of five");
  const struct ynode *a = ymap_get(n, "a");
  OK(a && a->kind == Y_STR && strcmp(a->str, "1") == 0, "numbers stay strings");
  INT_EQ(a->line, 1);
  const struct ynode *b = ymap_get(n, "b");
  OK(b && b->kind == Y_SEQ && b->n == 2, "a list");
  INT_EQ(b->items[1].line, 4);
  OK(b->items[0].plain && !b->items[1].plain, "quoting is recorded");
  bool v = false;
  OK(ynode_bool(ymap_get(n, "c"), &v) && v, "plain true");
  OK(ynode_is_null(ymap_get(n, "d")) && ynode_is_null(ymap_get(n, "e")),
     "empty and ~ are null");
  OK(!ymap_get(n, "zz"), "absent key");
  ynode_free(n);

  n = parse("q: 'true'\n", &d);
  OK(!ynode_bool(ymap_get(n, "q"), &v), "a quoted 'true' is a string");
  ynode_free(n);

  n = parse("", &d);
  OK(n && n->kind == Y_MAP && n->n == 0, "empty document is an empty map");
  ynode_free(n);

  /* refusals, each with a line */
  static const struct {
    const char *src, *msg;
    int line;
  } bad[] = {
      {"a: &x 1\nb: *x\n", "anchors", 1},
      {"a: 1\nb: *x\n", "aliases are not supported", 2},
      {"a: [1, 2]\nb:\n  c: 1\na: 3\n", "duplicate key 'a' (first on line 1)",
       4},
      {"a: 1\n---\nb: 2\n", "more than one YAML document", 2},
      {"? [a]\n: 1\n", "map key must be a plain string", 1},
      {"a: \"unterminated\n", "invalid YAML", 2},
      {"a:\n\tb: 1\n", "invalid YAML", 2},
      {"x: 1\n\"ab\\0\": x\n", "NUL character", 2}, /* in a key */
      {"x: \"ab\\0\"\n", "NUL character", 1},       /* in a value */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    n = parse(bad[i].src, &d);
    OK(!n, "refused: %s", bad[i].src);
    OK(d.n && strstr(d.v[0].msg, bad[i].msg), "message for %s: %s", bad[i].src,
       d.n ? d.v[0].msg : "(none)");
    OK(d.n && d.v[0].line == bad[i].line, "line for %s: %d", bad[i].src,
       d.n ? d.v[0].line : -1);
    ynode_free(n);
  }
  /* nesting limit */
  struct buf deep = BUF_INIT;
  for (int i = 0; i < 10000; i++)
    buf_adds(&deep, "[");
  n = parse(deep.data, &d);
  OK(!n && d.n && strstr(d.v[0].msg, "nesting deeper"), "10000 levels");
  buf_release(&deep);
  /* alias bomb: refused at the first alias */
  n = parse("a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n", &d);
  OK(!n, "alias bomb refused");
  /* line offsets for front matter */
  diags_release(&d);
  n = yamlx_parse("t: x\n", 5, "e.md", 1, &d);
  INT_EQ(ymap_get(n, "t")->line, 2);
  ynode_free(n);
  diags_release(&d);
  return t_summary();
}
