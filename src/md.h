#ifndef CRIER_MD_H
#define CRIER_MD_H
/*
 * Markdown to HTML (and plain text) through cmark in safe mode: raw HTML is
 * dropped and links or images with javascript:, vbscript:, file: or data: URLs
 * are emptied, so nothing from an event file can inject markup.
 */
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Appends the HTML of markdown[0..len) to out. */
void md_to_html(const char *markdown, size_t len, struct buf *out);

/* Appends markdown[0..len) as plain text to out, for the text part of a
 * mail: no Markdown syntax or backslash escapes; emphasis as its words;
 * a link as "text <url>" (only the address when that is its text);
 * headings of levels 1 and 2 underlined with = and -; list items with
 * "- " or "1. ", quotes with "> ", code blocks indented by four spaces;
 * raw HTML reduced to its text (tags dropped, block tags ending lines,
 * links as "text <url>", images as their alt text, entities decoded,
 * scripts, styles and comments dropped) and unsafe URLs dropped as in
 * the HTML. Ends with a newline. */
void md_to_text(const char *markdown, size_t len, struct buf *out);

/* Folds white space (newlines included) in b to single spaces and trims:
 * a rendered subject on one line. */
void md_one_line(struct buf *b);

/* Tidies rendered Markdown in b: trims trailing white space of every line
 * (outside code fences), drops blank lines at the start and runs of blank
 * lines beyond one (templates with sections leave them), and ends with
 * exactly one newline. */
void md_tidy(struct buf *b);

#endif
