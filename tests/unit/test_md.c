/* Markdown as plain text (the text part of a mail): no Markdown syntax or
 * backslash escapes, links as "text <url>", lists, quotes, code, headings,
 * raw HTML as its text, unsafe URLs dropped as in the HTML. */
#include "harness.h"

#include "md.h"

static void text_is(const char *md, const char *want, int line)
{
  struct buf b = BUF_INIT;
  md_to_text(md, strlen(md), &b);
  OK(strcmp(b.data, want) == 0, "line %d:\n  got:  \"%s\"\n  want: \"%s\"",
     line, b.data, want);
  buf_release(&b);
}
#define TEXT(md, want) text_is(md, want, __LINE__)

int main(void)
{
  /* the escapes the templates add for names and titles */
  TEXT("**Glühwein \\& \\<Traits\\>: a \\*hot\\* take \\\\ \\[x\\]**\n",
       "Glühwein & <Traits>: a *hot* take \\ [x]\n");
  TEXT("*down* and _up_ and `Drop` and ***both***\n",
       "down and up and Drop and both\n");
  /* links */
  TEXT("[auf Meetup.com](https://www.meetup.com/x/events/1/)\n",
       "auf Meetup.com <https://www.meetup.com/x/events/1/>\n");
  TEXT("<https://treff.example.net/2030/12/04/x.html>\n",
       "https://treff.example.net/2030/12/04/x.html\n");
  TEXT("<orga@treff.example.net>\n", "orga@treff.example.net\n");
  TEXT("A [reference link][rl].\n\n[rl]: https://doc.rust-lang.org/\n",
       "A reference link <https://doc.rust-lang.org/>.\n");
  TEXT("![a penguin](https://example.net/p.png)\n",
       "a penguin <https://example.net/p.png>\n");
  TEXT("[klick](javascript:alert(1)) [x](DATA:text/html,y)\n", "klick x\n");
  TEXT("[](https://example.net/)\n", "<https://example.net/>\n");
  /* raw HTML is reduced to its text; scripts and styles are dropped */
  TEXT("und <script>alert(1)</script> <b>fett</b>.\n", "und fett.\n");
  TEXT("<div>\nblock\n</div>\n\nafter\n", "block\n\nafter\n");
  TEXT("<p>Pizza by <a href=\"https://x.example/s\">our sponsors</a>, "
       "<img src=\"p.png\" alt=\"a pizza\"> &amp; more&#33;</p>\n"
       "<!-- a note -->\n",
       "Pizza by our sponsors <https://x.example/s>, a pizza & more!\n");
  TEXT("<ul>\n<li>one</li>\n<li>two &ndash; <i>too</i></li>\n</ul>\n",
       "- one\n- two \u2013 too\n");
  TEXT("<div><style>p { color: red }</style>"
       "<a href=\"javascript:alert(1)\">click</a></div>\n",
       "click\n");
  TEXT("Inline <a href=\"https://x.example/\">link</a> here.\n",
       "Inline link <https://x.example/> here.\n");
  /* entities */
  TEXT("&amp; &lt;b&gt; &#x2013;\n", "& <b> –\n");
  /* paragraphs, breaks */
  TEXT("Hallo zusammen,\n\nwir laden\neuch ein.\n",
       "Hallo zusammen,\n\nwir laden\neuch ein.\n");
  TEXT("**Kulturkeller Süd**\\\nGlühweinweg 3\n",
       "Kulturkeller Süd\nGlühweinweg 3\n");
  /* headings */
  TEXT("# Treffen\n\n## Vorträge\n\n### Ein Vortrag\n\nText\n",
       "Treffen\n=======\n\nVorträge\n--------\n\nEin Vortrag\n\nText\n");
  TEXT("## Glühwein ☕\n", "Glühwein ☕\n----------\n");
  /* lists */
  TEXT("- **Wann:** Mittwoch\n- **Wo:** Keller\n",
       "- Wann: Mittwoch\n- Wo: Keller\n");
  TEXT("3. drei\n4. vier\n", "3. drei\n4. vier\n");
  TEXT("- a\n\n- b\n", "- a\n\n- b\n");
  TEXT("- a\n  - b\n    - c\n- d\n", "- a\n  - b\n    - c\n- d\n");
  TEXT("1. one\n\n   more\n2. two\n", "1. one\n\n   more\n\n2. two\n");
  TEXT("- \n- x\n", "-\n- x\n");
  /* quotes and code */
  TEXT("> quoted\n> lines\n>\n> para\n", "> quoted\n> lines\n>\n> para\n");
  TEXT("- > in a list\n", "- > in a list\n");
  TEXT("> - q1\n> - q2\n", "> - q1\n> - q2\n");
  TEXT("```\nfn main() {}\n  x\n```\n", "    fn main() {}\n      x\n");
  TEXT("a\n\n---\n\nb\n", "a\n\n----\n\nb\n");
  /* empty */
  TEXT("", "\n");
  /* deep nesting stays bounded (iterative, no recursion) */
  struct buf deep = BUF_INIT;
  for (int i = 0; i < 10000; i++)
    buf_adds(&deep, "> ");
  buf_adds(&deep, "x\n");
  struct buf out = BUF_INIT;
  md_to_text(deep.data, deep.len, &out);
  OK(strstr(out.data, "x\n") != NULL, "10,000 nested quotes");
  buf_release(&out);
  buf_release(&deep);
  return t_summary();
}
