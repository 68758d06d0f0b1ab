/* Bodies of other generators: Hugo shortcodes and Liquid tags removed or
 * rendered as their text, code left alone, relative links resolved, and
 * pathological input in bounded time. */
#include "harness.h"

#include <stdlib.h>

#include "markup.h"

static const char *clean(const char *body)
{
  static struct buf b = BUF_INIT;
  struct markup_ctx c = {.base = "https://m.example/meetup/",
                         .page = "https://m.example/meetup/events/x/",
                         .title = "A Title"};
  buf_reset(&b);
  markup_clean(&c, body, strlen(body), &b);
  return b.data;
}

static const char *resolve(const char *base, const char *ref)
{
  static struct buf b = BUF_INIT;
  buf_reset(&b);
  url_resolve(base, ref, &b);
  return b.data;
}

int main(void)
{
  /* RFC 3986 resolution, the base taken as a directory */
  STR_EQ(resolve("https://m.example", "/a/b"), "https://m.example/a/b");
  STR_EQ(resolve("https://m.example", "a"), "https://m.example/a");
  STR_EQ(resolve("https://m.example/meetup", "a/../b"),
         "https://m.example/meetup/b");
  STR_EQ(resolve("https://m.example/meetup/", "../up?x=1#f"),
         "https://m.example/up?x=1#f");
  STR_EQ(resolve("https://m.example/a/", "./"), "https://m.example/a/");
  STR_EQ(resolve("https://m.example/a/", "//cdn.example/x"),
         "https://cdn.example/x");
  STR_EQ(resolve("https://m.example/a/", "mailto:x@y.example"),
         "mailto:x@y.example");
  STR_EQ(resolve("https://m.example/a/", "#top"), "#top");
  STR_EQ(resolve("https://m.example/a/", "/../../x"), "https://m.example/x");

  /* links: inline, images, reference definitions, raw HTML */
  STR_EQ(clean("[a](/conduct/) ![p](img/p.png) [b](https://o.example/) "
               "[c](#here) [d](<with space.pdf>)\n"),
         "[a](https://m.example/conduct/) "
         "![p](https://m.example/meetup/events/x/img/p.png) "
         "[b](https://o.example/) [c](#here) "
         "[d](<https://m.example/meetup/events/x/with space.pdf>)\n");
  STR_EQ(clean("[ref]: slides.pdf \"Slides\"\n"),
         "[ref]: https://m.example/meetup/events/x/slides.pdf \"Slides\"\n");
  STR_EQ(clean("<a href=\"/s/\">s</a> <img src='p.png'>\n"),
         "<a href=\"https://m.example/s/\">s</a> "
         "<img src='https://m.example/meetup/events/x/p.png'>\n");
  /* Hugo: pairs keep what they enclose, known ones become text */
  STR_EQ(clean("{{< youtube abc >}} {{< vimeo id=\"7\" >}} "
               "{{< gist u 1 >}}"),
         "<https://www.youtube.com/watch?v=abc> <https://vimeo.com/7> "
         "<https://gist.github.com/u/1>");
  STR_EQ(clean("{{< figure src=\"a.jpg\" caption=\"The room\" >}}|"
               "{{< figure src=\"a.jpg\" alt=\"a room\" />}}|"
               "{{< param x >}}|{{< unknown >}}"),
         "The room|a room||");
  STR_EQ(clean("{{% note %}}Bring a **laptop**.{{% /note %}}"),
         "Bring a **laptop**.");
  STR_EQ(clean("{{< warn >}}outer {{< b >}}inner{{< /b >}}{{< /warn >}}"),
         "outer inner");
  STR_EQ(clean("[x]({{< ref \"events/02/index.md\" >}})"),
         "[x](https://m.example/meetup/events/02/)");
  STR_EQ(clean("{{< highlight rust >}}\nfn main() {}\n{{< /highlight >}}"),
         "```rust\nfn main() {}\n```\n");
  STR_EQ(clean("{{</* youtube abc */>}}"), "{{< youtube abc >}}");
  STR_EQ(clean("{{< /orphan >}}x"), "x");
  /* Liquid */
  STR_EQ(clean("{{ site.url }}/a {{ site.baseurl }}b {{ page.title }} "
               "{{ page.date | date: \"%Y\" }}"),
         "https://m.example/meetup/a b A Title ");
  STR_EQ(clean("![x]({{ \"/assets/x.png\" | relative_url }})"),
         "![x](https://m.example/assets/x.png)");
  STR_EQ(clean("{% raw %}{{ kept }} {% if %}{% endraw %}"),
         "{{ kept }} {% if %}");
  STR_EQ(clean("a{% comment %} gone {{ x }} {% endcomment %}b"), "ab");
  STR_EQ(clean("{% include map.html %}{% if x %}shown{% endif %}"), "shown");
  STR_EQ(clean("{% highlight c %}int x;{% endhighlight %}"),
         "```c\nint x;\n```\n");
  STR_EQ(clean("[p]({% post_url 2031-02-25-x %})"),
         "[p](https://m.example/meetup/2031-02-25-x)");
  STR_EQ(clean("[p]({% link _posts/2031-02-25-x.md %}) "
               "[q]({% link about.md %})"),
         "[p](https://m.example/meetup/2031-02-25-x) "
         "[q](https://m.example/meetup/about/)");
  /* code is left as written */
  STR_EQ(clean("`{{< x >}}` and ``{% y %} `z` `` and\n```\n{{ site.url }}\n"
               "[a](/b)\n```\n"),
         "`{{< x >}}` and ``{% y %} `z` `` and\n```\n{{ site.url }}\n"
         "[a](/b)\n```\n");
  /* unclosed delimiters are text */
  STR_EQ(clean("a {{ b {% c {{< d"), "a {{ b {% c {{< d");
  /* keep: shortcodes as written, links still resolved */
  struct markup_ctx keep = {.base = "https://m.example/", .keep = true};
  struct buf b = BUF_INIT;
  markup_clean(&keep, "{{< x >}} [a](b)", 16, &b);
  STR_EQ(b.data, "{{< x >}} [a](https://m.example/b)");
  buf_release(&b);
  /* no base: links stay */
  struct markup_ctx none = {0};
  markup_clean(&none, "[a](b) {{< youtube q >}}", 24, &b);
  STR_EQ(b.data, "[a](b) <https://www.youtube.com/watch?v=q>");
  buf_release(&b);

  /* pathological input stays bounded: 1 MiB of unclosed openers,
   * unmatched backticks, nested pairs */
  static const char *const bombs[] = {
      "{{< x >}}", "{{", "{%", "`", "{{% a %}}", "[a](", "{{< a >}}{{< /a >}}"};
  for (size_t k = 0; k < sizeof(bombs) / sizeof(*bombs); k++) {
    struct buf in = BUF_INIT, out = BUF_INIT;
    while (in.len < ((size_t)1 << 20))
      buf_adds(&in, bombs[k]);
    struct markup_ctx c = {.base = "https://m.example/"};
    markup_clean(&c, in.data, in.len, &out);
    OK(out.len <= in.len * 2 + 64, "bomb %zu: %zu bytes out", k, out.len);
    buf_release(&in);
    buf_release(&out);
  }
  struct buf nest = BUF_INIT, out = BUF_INIT;
  for (int i = 0; i < 100000; i++)
    buf_adds(&nest, "{{< a >}}");
  buf_adds(&nest, "x");
  for (int i = 0; i < 100000; i++)
    buf_adds(&nest, "{{< /a >}}");
  struct markup_ctx c = {0};
  markup_clean(&c, nest.data, nest.len, &out);
  OK(strstr(out.data, "x") != NULL, "100,000 nested pairs");
  buf_release(&nest);
  buf_release(&out);
  return t_summary();
}
