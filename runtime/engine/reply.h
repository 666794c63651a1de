/*
 * reply.h: the local reply a blocked request gets.
 *
 * First cut: the built-in fallback of LANGUAGE.md (429, header
 * x-sentinel-blocked: RESOURCE/KIND, a short JSON body).  Rendered into a
 * static buffer: no allocation per request, and the reply lives until the
 * next one, long enough for the ABI layer to send it.
 */
#ifndef SENTC_REPLY_H
#define SENTC_REPLY_H

#include "engine.h"

void sentc_reply_builtin(struct sentc_reply *reply, const char *resource,
                         const char *kind);

#endif
