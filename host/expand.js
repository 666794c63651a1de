// expand.js: turns a parsed traffic file (traffic.js) into the time-ordered stream of
// events the simulator runs: each request with its send time, its drawn values and
// its drawn upstream answer.
//
// Why: one `rate` line may stand for a million requests, so they are made lazily, one
// at a time, as the simulator asks for the next (memory stays bounded by what the
// run keeps per request, not by the file's expansion). Arrival times (even, Poisson,
// jittered; constant or ramping rates), values and answers come from per-line random
// streams (rng.js) keyed by the file's `seed` and the line's own words, so the same
// file always gives the same requests, and adding, removing or moving other lines
// never changes what a line draws.
'use strict';

const { Rng } = require('./rng.js');
const { drawValue, expandTemplate } = require('./draws.js');
const { TrafficError, MAX_REQUESTS, address } = require('./traffic.js');
const { Heap } = require('./heap.js');

// ---- arrival times (ns after the line's TIME), in increasing order -------------------

// `repeat N over D`: N requests in [0, D).
function* repeatTimes({ count, durationNs, arrivals }, rng) {
  const spacing = durationNs / count;
  if (arrivals.kind === 'poisson') {
    // N uniform points in increasing order: the next is t + (1 - t)(1 - U^(1/left)).
    let t = 0;
    for (let left = count; left > 0; left--) {
      t += (1 - t) * (1 - rng.float() ** (1 / left));
      yield Math.round(t * durationNs);
    }
    return;
  }
  for (let i = 0; i < count; i++) {
    const shift = arrivals.kind === 'jitter' ? arrivals.fraction * rng.float() : 0;
    yield Math.round((i + shift) * spacing);
  }
}

// `rate R1..R2 for D`: the rate goes linearly from R1 to R2 over D, so n(t) = R1 t +
// a t^2 requests have been sent by t (seconds), a = (R2 - R1) / 2D. The k-th request
// of an even rate goes at n^-1(k); Poisson arrivals at n^-1 of the points of a rate-1
// Poisson process (time change); jittered ones at n^-1(k + F U).
function* rateTimes({ rates, durationNs, arrivals }, rng) {
  const d = durationNs / 1e9;
  const r0 = rates.from;
  const a = (rates.to - r0) / (2 * d);
  const total = (r0 + rates.to) / 2 * d;
  const at = (x) => {
    const y = Math.min(x, total);
    return y <= 0 ? 0 : Math.round(1e9 * (2 * y) / (r0 + Math.sqrt(Math.max(0, r0 * r0 + 4 * a * y))));
  };
  if (arrivals.kind === 'poisson') {
    for (let x = rng.exponential(); x < total; x += rng.exponential()) yield at(x);
    return;
  }
  const count = Math.round(total);
  const spacing = 1e9 / r0;
  for (let k = 0; k < count; k++) {
    if (arrivals.kind === 'jitter') yield at(k + arrivals.fraction * rng.float());
    else yield a === 0 ? Math.round(k * spacing) : at(k);
  }
}

// ---- answers -----------------------------------------------------------------------

// One choice of an answer (`-> 70% 200 30% 503`), and a latency, from the line's
// answers stream (only touched when there is something to draw).
function pick(answer, streams) {
  let c = answer[0];
  if (answer.length > 1) {
    let x = streams.answers.float() * 100;
    for (c of answer) if ((x -= c.percent) < 0) break;
  }
  return c;
}

function latencyOf(latency, streams) {
  return latency.min === latency.max ? latency.min : latency.min + Math.round(streams.answers.float() * (latency.max - latency.min));
}

// The answer in force for a request sent at `at`: the last `upstream ... in T1..T2`
// line covering it, else the file's `upstream`.
function defaultAnswer(traffic, at) {
  for (let i = traffic.upstreamRanges.length - 1; i >= 0; i--) {
    const r = traffic.upstreamRanges[i];
    if (at >= r.from && at < r.to) return r.answer;
  }
  return traffic.upstream;
}

// The concrete answer of one request: its own (`->`), else the default in force. A
// latency left out is drawn from the default in force, and from the file's `upstream`
// if that has none either.
function drawAnswer(traffic, own, at, streams) {
  const inForce = defaultAnswer(traffic, at);
  const c = pick(own ?? inForce, streams);
  let latency = c.latency;
  if (!latency && own) latency = pick(inForce, streams).latency;
  latency ??= pick(traffic.upstream, streams).latency;
  const reply = { status: c.status, grpcStatus: c.grpcStatus, latencyNs: latencyOf(latency, streams) };
  if (c.trailersOnly) reply.trailersOnly = true;
  return reply;
}

// ---- requests ------------------------------------------------------------------------

// One concrete request from a line's request template, sent at `at`. A request that
// draws nothing shares the line's strings and header list.
function makeRequest(traffic, source, at, streams) {
  const req = source.request;
  const event = {
    kind: 'request', line: source.line, at, method: req.method, path: req.path, headers: req.headers,
    authority: req.authority, grpc: req.grpc, reply: drawAnswer(traffic, req.reply, at, streams),
    abortNs: req.abortNs, worker: req.worker, peer: req.peer,
  };
  if (req.connect) event.connect = req.connect;
  if (!req.draws) return event;
  const drawn = new Map();   // one value per name per request
  const value = (name) => {
    if (!drawn.has(name)) drawn.set(name, drawValue(traffic.draws.get(name), streams.values));
    return drawn.get(name);
  };
  event.path = expandTemplate(req.path, value);
  event.headers = req.headers.map(([k, v]) => [k, expandTemplate(v, value)]);
  if (req.authority !== null) event.authority = expandTemplate(req.authority, value);
  if (req.peer !== null && typeof req.peer !== 'string') {
    event.peer = address(expandTemplate(req.peer, value), (msg) => { throw new TrafficError(traffic.file, source.line, msg); });
  }
  return event;
}

// A line's random streams, each made the first time it is drawn from (most lines of
// an imported log draw nothing).
class Streams {
  constructor(seed, key) { this.seed = seed; this.key = key; this.made = {}; }
  stream(purpose) { return (this.made[purpose] ??= new Rng(this.seed, this.key, purpose)); }
  get arrivals() { return this.stream('arrivals'); }
  get values() { return this.stream('values'); }
  get answers() { return this.stream('answers'); }
}

// The events of a repeat/rate line, in time order.
function* burstEvents(traffic, source, seed) {
  const streams = new Streams(seed, source.key);
  const times = source.count !== null ? repeatTimes(source, streams.arrivals) : rateTimes(source, streams.arrivals);
  for (const t of times) yield makeRequest(traffic, source, source.at + t, streams);
}

// A line's first event and what gives the rest (null when it has one only).
function startSource(traffic, source, seed) {
  if (source.kind === 'request') return { event: makeRequest(traffic, source, source.at, new Streams(seed, source.key)), it: null };
  if (source.kind !== 'burst') return { event: source, it: null };
  const it = burstEvents(traffic, source, seed);
  const first = it.next();
  return first.done ? null : { event: first.value, it };
}

// Every event of the file, lazily, in time order; at equal times in file order.
// `seed` defaults to the file's (1 if none). A line is started only when the merge
// reaches its time (its events come no earlier), so only the lines in progress are
// held open.
function* events(traffic, seed = traffic.seed ?? 1) {
  // Each line's next event; at equal times the line first in the file first.
  const heads = new Heap((x, y) => x.event.at < y.event.at || (x.event.at === y.event.at && x.order < y.order));
  const advance = (head) => {
    const next = head.it.next();
    if (next.done) return;
    head.event = next.value;
    heads.push(head);
  };
  const pending = traffic.sources.map((source, order) => ({ source, order })).sort((a, b) => a.source.at - b.source.at || a.order - b.order);
  let p = 0;
  let requests = 0;
  for (;;) {
    while (p < pending.length && (!heads.size || pending[p].source.at <= heads.peek().event.at)) {
      const head = startSource(traffic, pending[p].source, seed);
      if (head) heads.push({ ...head, order: pending[p].order });
      p++;
    }
    if (!heads.size) return;
    const head = heads.pop();
    if (head.event.kind === 'request' && ++requests > MAX_REQUESTS) {
      throw new TrafficError(traffic.file, head.event.line, `more than ${MAX_REQUESTS} requests`);
    }
    yield head.event;
    if (head.it) advance(head);
  }
}

module.exports = { events };
