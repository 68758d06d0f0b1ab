/* The Mustache renderer beyond the spec: escapers, errors with lines,
 * partial cycles, the output limit. */
#include "harness.h"

#include "tpl.h"

static int loader(void *ud, const char *name, struct buf *src, struct err *e)
{
  (void)e;
  json_t *p = json_object_get(ud, name);
  if (!p)
    return 0;
  buf_adds(src, json_string_value(p));
  return 1;
}

static const char *render(const char *tmpl, const char *data,
                          const char *partials, tpl_escape_fn esc,
                          struct err *e)
{
  static struct buf out = BUF_INIT;
  buf_reset(&out);
  json_t *d = json_loads(data, 0, NULL);
  json_t *p = partials ? json_loads(partials, 0, NULL) : json_object();
  struct tpl *t = tpl_parse(tmpl, strlen(tmpl), "t", e);
  int rc = t ? tpl_render(t, d, loader, p, esc, &out, e) : -1;
  tpl_free(t);
  json_decref(d);
  json_decref(p);
  return rc == 0 ? out.data : NULL;
}

int main(void)
{
  struct err e = {0};
  STR_EQ(render("{{a}}", "{\"a\":\"<b>&\\\"'\"}", NULL, NULL, &e),
         "&lt;b&gt;&amp;&quot;&#39;");
  STR_EQ(render("{{a}}", "{\"a\":\"*x* _y_ a_b [l](u) <h> # no\"}", NULL,
                tpl_escape_markdown, &e),
         "\\*x\\* \\_y\\_ a_b \\[l\\](u) \\<h\\> # no");
  STR_EQ(render("{{a}}", "{\"a\":\"# head\\n- item\"}", NULL,
                tpl_escape_markdown, &e),
         "\\# head\n\\- item");
  STR_EQ(render("{{{a}}}", "{\"a\":\"*x*\"}", NULL, tpl_escape_markdown, &e),
         "*x*");
  STR_EQ(render("{{a}}", "{\"a\":\"<x>\"}", NULL, tpl_escape_none, &e), "<x>");
  /* crier treats "" as false, so optional fields can guard sections */
  STR_EQ(
      render("{{#a}}yes{{/a}}{{^a}}no{{/a}}", "{\"a\":\"\"}", NULL, NULL, &e),
      "no");
  STR_EQ(render("{{n}} {{f}} {{b}}", "{\"n\":42,\"f\":1.5,\"b\":true}", NULL,
                NULL, &e),
         "42 1.5 true");

  static const struct {
    const char *tmpl, *msg;
  } bad[] = {
      {"line\n{{#a}}\n", "t:2: 'a' is never closed"},
      {"{{#a}}{{/b}}", "t:1: '{{/b}}' does not match 'a' opened on line 1"},
      {"x\n\n{{/a}}", "t:3: '{{/a}}' closes nothing"},
      {"{{a", "t:1: tag '{{' is not closed by '}}'"},
      {"{{}}", "t:1: empty tag name"},
      {"{{=<% %> x=}}", "t:1: bad delimiter change"},
      {"{{{a}}", "not closed"},
      /* a closing delimiter that starts with a sigil is looked for after
       * the sigil (found by fuzz_tpl: it closed on the sigil itself) */
      {"{{=<% >%=}}<%>%", "t:1: tag '<%' is not closed by '>%'"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    const char *got = render(bad[i].tmpl, "{}", NULL, NULL, &e);
    OK(!got && strstr(e.msg, bad[i].msg), "%s → %s (got %s)", bad[i].tmpl,
       bad[i].msg, got ? got : e.msg);
  }
  STR_EQ(render("{{=<% >%=}}[<%>p>%]", "{}", "{\"p\":\"P\"}", NULL, &e), "[P]");
  /* an override that contains its own block (found by fuzz_tpl: it
   * recursed until the stack overflowed) */
  OK(!render("{{<p}}{{$a}}[{{$a}}x{{/a}}]{{/a}}{{/p}}", "{}",
             "{\"p\":\"{{$a}}d{{/a}}\"}", NULL, &e) &&
         strstr(e.msg, "blocks nested deeper than 40 (does block 'a' contain "
                       "itself?)"),
     "self-containing block: %s", e.msg);
  /* a partial that includes itself, and a cycle of two */
  OK(!render("{{>a}}", "{}", "{\"a\":\"x{{>a}}\"}", NULL, &e) &&
         strstr(e.msg, "include itself"),
     "self-inclusion: %s", e.msg);
  OK(!render("{{>a}}", "{}", "{\"a\":\"{{>b}}\",\"b\":\"{{<a}}{{/a}}\"}", NULL,
             &e) &&
         strstr(e.msg, "nested deeper"),
     "cycle: %s", e.msg);
  /* data-driven recursion that ends is fine */
  STR_EQ(render("{{>n}}", "{\"c\":[{\"c\":[{\"c\":[]}]}]}",
                "{\"n\":\"[{{#c}}{{>n}}{{/c}}]\"}", NULL, &e),
         "[[[]]]");
  /* exponential output is cut off */
  const char *boom = "{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}"
                     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                     "{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}";
  OK(!render(boom, "{\"l\":[1,2,3,4,5,6,7,8,9,10]}", NULL, NULL, &e) &&
         strstr(e.msg, "larger than the limit"),
     "output limit: %s", e.msg);
  return t_summary();
}
