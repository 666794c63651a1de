// verdicts.js: what the module decided for each request (passed, held, blocked,
// shadow-blocked or forwarded, by which resource and rule) and when each breaker
// changed state.
//
// Why: the trace, the summary, the timeline and `expect ... by RESOURCE/RULE` must
// name the rule behind every decision and show shadow verdicts as such, not as
// passes. The module says so itself, logged in the request's own callback (so the
// log entry's context id names the stream): at log level trace each resource a
// request passed, at debug each decision that is not a plain pass, and one line per
// breaker transition:
//
//   sentc: passed RESOURCE                                   (trace)
//   sentc: blocked RESOURCE/RULE kind=KIND status=STATUS
//   sentc: shadow RESOURCE/RULE kind=KIND
//   sentc: held RESOURCE/RULE kind=KIND wait_ms=N
//   sentc: forwarded RESOURCE/RULE kind=KIND
//   sentc: breaker RESOURCE/RULE open: REASON | half-open | closed
//
// (The module's metrics cannot tell: it counts in memory and sends them on its
// tick, a second later, outside any stream.) Without those lines (a run at log
// level info), the host still knows a little: `x-sentinel-shadow: RESOURCE/KIND` on
// a request that went upstream marks a shadow block, `x-sentinel-blocked:
// RESOURCE/KIND` on a local reply a block; a stream that was paused was held. This
// file combines them, the module's lines first.
'use strict';

const DECISION = /^sentc: (blocked|shadow|held|forwarded) ([^/\s]+)\/(\S+)((?: [a-z_]+=\S*)*)$/;
const PASSED = /^sentc: passed (\S+)$/;
const BREAKER = /^sentc: breaker ([^/\s]+)\/(\S+) (open|half-open|closed)(?:: (.*))?$/;

// A module log line -> a decision { type, resource, rule, kind, status, waitMs }, a
// breaker transition { type: 'breaker', resource, rule, state, reason }, or null.
function parseLine(message) {
  let m = DECISION.exec(message);
  if (m) {
    const fields = Object.fromEntries(m[4].trim().split(' ').filter(Boolean).map((f) => f.split('=')));
    return {
      type: m[1], resource: m[2], rule: m[3], kind: fields.kind ?? null,
      status: fields.status !== undefined ? Number(fields.status) : null,
      waitMs: fields.wait_ms !== undefined ? Number(fields.wait_ms) : null,
    };
  }
  m = PASSED.exec(message);
  if (m) return { type: 'passed', resource: m[1], rule: null, kind: null, status: null, waitMs: null };
  m = BREAKER.exec(message);
  if (m) return { type: 'breaker', resource: m[1], rule: m[2], state: m[3], reason: m[4] ?? null };
  return null;
}

// `RESOURCE/KIND` from a header of a map, or null.
function headerVerdict(map, name) {
  const v = map?.find(([k]) => k === name)?.[1];
  const m = v && /^([^/]+)\/(.+)$/.exec(v);
  return m ? { resource: m[1], kind: m[2] } : null;
}

// Collects, during a run, what each request's stream was told, and the breaker
// transitions, into each record's (simulate.js) `decisions`.
class Collector {
  constructor() {
    this.transitions = [];   // { atNs, worker, resource, rule, state, reason }
    this.lines = 0;          // decision lines seen
  }

  // A module log entry; `record` is that of the effective stream or connection, or null.
  log(entry, record, nowNs) {
    if (!entry.message.startsWith('sentc: ')) return;
    const p = parseLine(entry.message);
    if (!p) return;
    if (p.type === 'breaker') {
      const { resource, rule, state, reason } = p;
      this.transitions.push({ atNs: nowNs, worker: entry.worker, resource, rule, state, reason });
    } else if (record) {
      if (p.type !== 'passed') this.lines++;
      (record.decisions ??= []).push(p);
    }
  }
}

// Per resource the request was counted in: { resource, outcome: passed | held |
// blocked | shadow | forwarded, rule, kind }. The module's lines decide (a
// resource's passed line first, then what held or shadowed it); headers fill in
// what they did not say.
function resourcesOf(record) {
  const entries = new Map();
  for (const d of record.decisions ?? []) {
    entries.set(d.resource, { resource: d.resource, outcome: d.type, rule: d.rule, kind: d.kind });
  }
  if (!record.decisions) guessFromHeaders(record, entries);
  return [...entries.values()];
}

function guessFromHeaders(record, entries) {
  const upstream = record.upstreamNs !== null;
  const shadow = upstream ? headerVerdict(record.upstreamHeaders, 'x-sentinel-shadow') : null;
  const blocked = record.localReply ? headerVerdict(record.responseHeaders, 'x-sentinel-blocked') : null;
  for (const e of entries.values()) {
    if (e.outcome === 'blocked' && !record.localReply) {
      if (shadow && shadow.resource === e.resource) Object.assign(e, { outcome: 'shadow', kind: shadow.kind });
      else if (upstream) e.outcome = 'forwarded';
    } else if (e.outcome === 'passed' && record.held && upstream) e.outcome = 'held';
  }
  for (const [h, outcome] of [[shadow, 'shadow'], [blocked, 'blocked']]) {
    if (h && !entries.has(h.resource)) entries.set(h.resource, { resource: h.resource, outcome, rule: h.kind, kind: h.kind });
  }
}

const DECIDING = ['blocked', 'forwarded', 'shadow', 'held'];

// The one decision that shaped the request's fate (blocked before forwarded before
// shadow before held), or null for a plain pass. A local reply nobody explains is a
// block by an unknown rule, a pause a hold by one.
function verdictOf(record, resources) {
  for (const outcome of DECIDING) {
    const e = resources.find((r) => r.outcome === outcome && (outcome !== 'blocked' || record.localReply));
    if (e) return { outcome, resource: e.resource, rule: e.rule };
  }
  if (record.localReply) return { outcome: 'blocked', resource: null, rule: null };
  return record.held && record.upstreamNs !== null ? { outcome: 'held', resource: null, rule: null } : null;
}

// Gives every record `resources` and `verdict` (and drops the raw material). Equal
// ones are one shared (frozen) object: a million plain passes take one.
function classify(records) {
  const shared = new Map();
  const intern = (value) => {
    const key = JSON.stringify(value);
    return shared.get(key) ?? shared.set(key, deepFreeze(value)).get(key);
  };
  for (const r of records) {
    r.resources = intern(resourcesOf(r));
    r.verdict = intern(verdictOf(r, r.resources));
    r.decisions = undefined;
  }
}

function deepFreeze(value) {
  if (value && typeof value === 'object') for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

// What the trace and the expectations call the request's outcome: the host's, but
// `shadow` for a shadow-blocked request and `forwarded` for a blocked one that a
// `forward` fallback sent upstream.
function shownOutcome(r) {
  const v = r.verdict?.outcome;
  if ((v === 'shadow' || v === 'forwarded') && r.upstreamNs !== null) return v;
  return r.outcome;
}

// `RESOURCE/RULE` of a verdict, `?` for what is unknown.
function verdictName(v) { return `${v.resource ?? '?'}/${v.rule ?? '?'}`; }

module.exports = {
  Collector, classify, parseLine, shownOutcome, verdictName,
};
