/*
 * cwrite.h: writing C literals, shared by the code generators.
 */
#ifndef SENTC_CWRITE_H
#define SENTC_CWRITE_H

#include <stdio.h>
#include "ir.h"

/* A C string literal for bytes that may hold anything. */
void cwrite_literal(FILE *out, struct ir_string s);

/* A `struct sentc_string` initializer: {.text = "text", .len = 4}. */
void cwrite_string(FILE *out, struct ir_string s);

#endif
