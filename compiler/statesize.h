/*
 * statesize.h: the bytes of runtime state each table entry implies, for
 * --explain's memory estimate.  The runtime must agree: these mirror its
 * state structures (runtime/engine/window.h's struct sentc_bucket, and the
 * per-rule state the engine allocates at start).  When the runtime's state
 * layout changes, change these with it.
 */
#ifndef SENTC_STATESIZE_H
#define SENTC_STATESIZE_H

#define STATE_BUCKET_BYTES 16          /* struct sentc_bucket: start + pass/block counts */
#define STATE_BREAKER_BUCKET_BYTES 24  /* start + requests, errors (or slow) */
#define STATE_BREAKER_BYTES 32         /* state, opened at, probes in flight and passed */
#define STATE_FLOW_EXTRA_BYTES 16      /* throttle's next slot, warm-up's stored tokens */
#define STATE_CONCURRENCY_BYTES 8      /* permits in flight */
#define STATE_HOTSPOT_SLOT_BYTES 48    /* value hash, tokens or in flight, last time, LRU links */
#define STATE_RESOURCE_BYTES 16        /* matched flag and counter ids */
#define STATE_STREAM_BYTES 64          /* per stream in flight: resources, keys, start time */

#endif
