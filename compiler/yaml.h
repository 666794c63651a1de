/*
 * yaml.h: prints a document tree (doc.h) as block-style YAML, the form
 * Envoy's `-c envoy.yaml` and `kubectl apply -f` read and people edit.
 *
 * The output is a deliberately small subset, so that the bundled host can
 * read it back without a YAML library (host/envoyconf.js): block maps and
 * block lists indented by two spaces, `- ` items, every string
 * double-quoted with JSON escapes, numbers, true/false/null, `{}` and `[]`
 * for empty containers, `#` comment lines, `---` between documents.  Keys
 * are plain unless they need quotes (such as "@type").
 */
#ifndef SENTC_YAML_H
#define SENTC_YAML_H

#include <stdio.h>
#include "doc.h"

/* Writes one document (a map) followed by a newline. */
void yaml_write(FILE *out, const struct doc *d);
/* A comment line "# text" (text must hold no newline). */
void yaml_comment(FILE *out, const char *text);

#endif
