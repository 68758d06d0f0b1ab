#ifndef CRIER_MD_H
#define CRIER_MD_H
/*
 * Markdown to HTML through cmark in safe mode: raw HTML is dropped and
 * links or images with javascript:, vbscript:, file: or data: URLs are
 * emptied, so nothing from an event file can inject markup.
 */
#include <stddef.h>

#include "buf.h"

/* Appends the HTML of markdown[0..len) to out. */
void md_to_html(const char *markdown, size_t len, struct buf *out);

#endif
