// model.js: a reference model of the filter's decisions, written from
// docs/semantics.md, docs/language.md, docs/matching.md and docs/metrics.md
// (not from runtime/), for tests/model/diff.js, which runs the same traffic
// through the real main.wasm and through this model and compares every
// decision, every reply header the filter writes and, at the end, every
// counter it sent.  Where the documents were silent and the runtime's choice
// was read to settle a difference, the choice was written into the documents
// and the code here cites them.
//
// Why: the runtime is fast and therefore clever (rings, compare-and-swap
// cells, LRU directories, per-VM shares); this is slow and plain, so that a
// reader can check it line by line against the documents.  Everything
// mutable lives in one object, `this.state`, so that phase two's "a request
// blocked by a later rule leaves nothing behind" is literally a snapshot and
// a restore.  Statistics are lists of events, summed when read, instead of
// bucket rings.  Times are integer milliseconds of the module's clock
// (EPOCH_MS + the virtual time), pace slots integer microseconds.
//
// The policy is the object tests/model/gen.js builds (and renders to a
// .sentinel file); values are kept as the language writes them ("1.5/s",
// "500ms", "50%") and interpreted here, defaults included.
'use strict';

// The host's fixed epoch (host/proxywasm.js EPOCH_NS), in ms: windows and
// buckets are aligned on the module's clock, not on the start of the run.
const EPOCH_MS = 1_700_000_000_000;

// ---- values (docs/language.md, "Files, statements and values") -------------------

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// "500ms", "1.5s", "2m" -> whole milliseconds.
function durationMs(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  const ms = m ? Math.round(Number(m[1]) * UNIT_MS[m[2]] * 1000) / 1000 : NaN;
  if (!Number.isInteger(ms)) throw new Error(`model: bad duration ${text}`);
  return ms;
}

// "100/s", "5/10s", "1/500ms", "1.5/s" -> { count, windowMs }: a count with
// decimals is the same rate over the shortest window that makes it whole.
function parseRate(text) {
  const m = /^(\d+)(?:\.(\d{1,3}))?\/(\d+(?:\.\d+)?)?(ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`model: bad rate ${text}`);
  const windowMs = durationMs(`${m[3] ?? '1'}${m[4]}`);
  const decimals = m[2] ?? '';
  const scaled = Number(m[1] + decimals);            // the count times 10^decimals
  const denominator = 10 ** decimals.length;
  for (let k = 1; k <= denominator; k++) {
    if ((scaled * k) % denominator === 0) return { count: (scaled * k) / denominator, windowMs: windowMs * k };
  }
  throw new Error('unreachable');
}

// "50%" or "0.5" -> 0.5
function parseRatio(text) {
  return text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
}

// The largest count of buckets up to `most` that divides the window.
function bucketsUpTo(windowMs, most) {
  for (let k = most; k > 1; k--) if (windowMs % k === 0) return k;
  return 1;
}

// flow: 2 up to 1s, 10 up to 1m, 60 above, lowered until it divides the window.
function flowBuckets(rule, windowMs) {
  if (rule.buckets !== undefined) return rule.buckets;
  return bucketsUpTo(windowMs, windowMs <= 1000 ? 2 : windowMs <= 60_000 ? 10 : 60);
}

// ---- path normalization (docs/matching.md, "Path normalization") -----------------

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const HEX = /^[0-9A-Fa-f]{2}$/;
const MAX_PATH = 64 * 1024;

// The normalized path, or null for "no path".
function normalizePath(raw) {
  if (!raw.startsWith('/')) return null;
  // 1. the query and the fragment are cut off
  let path = raw.split(/[?#]/)[0];
  // 2. %XX of an unreserved character is decoded, any other escape gets
  //    upper-case hex, a % without two hex digits is an ordinary byte
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const hex = path.slice(i + 1, i + 3);
    if (path[i] === '%' && HEX.test(hex)) {
      const c = String.fromCharCode(parseInt(hex, 16));
      decoded += UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
      i += 2;
    } else {
      decoded += path[i];
    }
  }
  if (Buffer.byteLength(decoded) > MAX_PATH) return null;
  // 3. runs of / become one
  path = decoded.replace(/\/+/g, '/');
  // 4. "." segments go, ".." takes the one before it (never above the root);
  //    a dot segment at the end leaves the path ending in "/"
  const out = [];
  const segments = path.split('/').slice(1);
  segments.forEach((s, i) => {
    const last = i === segments.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..') out.pop();
      if (last) out.push('');
    } else {
      out.push(s);
    }
  });
  return `/${out.join('/')}`;
}

// ---- matching (docs/matching.md, "What a match holds for") -----------------------

// The first value of a request header, or undefined.
function headerOf(req, name) {
  const hit = req.headers.find(([k]) => k.toLowerCase() === name);
  return hit ? hit[1] : undefined;
}

// The request's host as the host statement compares it: lower case, no
// port, no trailing dot.
function matchHost(authority) {
  return authority.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
}

function hostHolds(pattern, host) {
  if (pattern.startsWith('*.')) return host.length > pattern.length - 1 && host.endsWith(pattern.slice(1));
  return host === pattern;
}

function templateRegExp(template) {
  let rest = template;
  let tail = '';
  if (rest.endsWith('/**')) {
    rest = rest.slice(0, -3);
    tail = '(?:/.*)?';
  }
  const parts = rest.split('/').map((s) => (/^\{.*\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('/')}${tail}$`, 's');
}

function isGrpc(req) {
  return (headerOf(req, 'content-type') ?? '').startsWith('application/grpc');
}

// One path or grpc alternative.
function pathHolds(p, path, req) {
  if (path === null) return false;
  switch (p.kind) {
    case 'exact': return path === normalizePath(p.value);
    case 'prefix': return path.startsWith(normalizePath(p.value));
    case 'template': return templateRegExp(p.value).test(path);
    case 'grpc': return isGrpc(req) && (p.value.includes('/') ? path === `/${p.value}` : path.startsWith(`/${p.value}/`));
    default: throw new Error(`model: path kind ${p.kind}`);
  }
}

function headerHolds(h, req) {
  const v = headerOf(req, h.name);
  switch (h.op) {
    case 'present': return v !== undefined;
    case 'absent': return v === undefined;
    case 'eq': return v === h.value;
    case 'prefix': return v !== undefined && v.startsWith(h.value);
    default: throw new Error(`model: header op ${h.op}`);
  }
}

// Does the resource's match hold?  No match holds for every HTTP request.
function matchHolds(match, req) {
  if (!match) return true;
  const path = normalizePath(req.path);
  if (match.paths?.length && !match.paths.some((p) => pathHolds(p, path, req))) return false;
  if (match.hosts?.length && !match.hosts.some((h) => hostHolds(h, matchHost(req.authority)))) return false;
  if (match.methods?.length && !match.methods.includes(req.method)) return false;
  return (match.headers ?? []).every((h) => headerHolds(h, req));
}

// ---- hotspot keys (docs/semantics.md, "hotspot") ---------------------------------

function pairsOf(text, separator) {
  return text.split(separator).map((p) => p.trim()).filter(Boolean).map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
  });
}

// The value a hotspot rule keys on, or undefined (then the rule is skipped).
function hotspotKey(key, req, policy) {
  switch (key.kind) {
    case 'header': return headerOf(req, key.name.toLowerCase());
    case 'query': {
      const q = req.path.indexOf('?');
      if (q < 0) return undefined;
      return pairsOf(req.path.slice(q + 1), '&').find(([k]) => k === key.name)?.[1];
    }
    case 'cookie': {
      const c = headerOf(req, 'cookie');
      return c === undefined ? undefined : pairsOf(c, ';').find(([k]) => k === key.name)?.[1];
    }
    case 'client_ip': {
      const peer = req.peer.replace(/:\d+$/, '');
      if (policy.clientIp === undefined || policy.clientIp === 'peer') return peer;
      const xff = headerOf(req, 'x-forwarded-for');
      const addresses = xff === undefined ? [] : xff.split(',').map((a) => a.trim());
      const n = Number(policy.clientIp.replace('xff ', ''));
      return n < addresses.length ? addresses[addresses.length - 1 - n] : peer;
    }
    case 'host': return req.authority.toLowerCase().replace(/:\d+$/, '');
    // the normalized path the matcher uses; a path that does not normalize:
    // the path as sent, without its query
    case 'path': return normalizePath(req.path) ?? (req.path.split('?')[0] || undefined);
    case 'method': return req.method;
    default: throw new Error(`model: hotspot key ${key.kind}`);
  }
}

// SipHash-2-4 of `bytes` under a 16-byte key: scope proxy puts a hotspot value
// in slot (hash(v) ^ rule) % capacity, keyed by the seed the VMs agree on.
function siphash24(key, bytes) {
  const M = (1n << 64n) - 1n;
  const rotl = (x, b) => ((x << BigInt(b)) | (x >> BigInt(64 - b))) & M;
  const k0 = key.readBigUInt64LE(0);
  const k1 = key.readBigUInt64LE(8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16); v3 ^= v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21); v3 ^= v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  };
  const padded = Buffer.alloc((Math.floor(bytes.length / 8) + 1) * 8);
  bytes.copy(padded);
  padded[padded.length - 1] = bytes.length & 0xff;
  for (let i = 0; i < padded.length; i += 8) {
    const m = padded.readBigUInt64LE(i);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  v2 ^= 0xffn;
  round(); round(); round(); round();
  return (v0 ^ v1 ^ v2 ^ v3) & M;
}

// ---- rules: names, modes, defaults (docs/language.md) -----------------------------

const KIND_ORDER = ['flow', 'concurrency', 'hotspot', 'breaker'];
const DEFAULT_ERRORS = [[500, 599]];
const DEFAULT_GRPC_ERRORS = [2, 4, 13, 14, 15];

// A window as a rule's default name writes it: in the largest unit that
// divides it (1h, 2m, 10s, 500ms).
function windowWord(ms) {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

// "Rule names and modes": the name a rule gets from what it counts.
function defaultName(rule, windowMs) {
  const parts = [rule.kind];
  if (rule.kind === 'flow') {
    if (rule.of) parts.push('of', rule.of);
    if (windowMs !== 1000) parts.push(windowWord(windowMs));
  } else if (rule.kind === 'hotspot') {
    if (rule.key.kind !== 'header') parts.push(rule.key.kind);
    if (rule.key.name !== undefined) parts.push(rule.key.kind === 'header' ? rule.key.name.toLowerCase() : rule.key.name);
    if (rule.concurrency !== undefined) parts.push('concurrency');
  } else if (rule.kind === 'breaker') {
    parts.push(rule.type);
  }
  return parts.join('_').replace(/[^A-Za-z0-9_-]/g, '_');
}

// A resource's rules: check order (flow, concurrency, hotspot, breaker;
// each kind in file order), names (a rule's own, else its default, with
// _2, _3... when taken), modes (the rule's, else the resource's, else the
// policy's), windows and defaults.
function resolveRules(resource, policy) {
  const rules = resource.rules.map((r, fileIndex) => {
    const rule = { ...r, fileIndex, resource: resource.name };
    rule.scope = r.scope ?? policy.scope ?? 'proxy';
    rule.mode = r.mode ?? resource.mode ?? policy.mode ?? 'enforce';
    if (r.kind === 'flow' || (r.kind === 'hotspot' && r.rate)) {
      Object.assign(rule, parseRate(r.rate));
    }
    if (r.kind === 'flow') {
      rule.buckets = flowBuckets(r, rule.windowMs);
      rule.throttleMs = r.throttle === undefined ? null : durationMs(r.throttle);
      rule.warmupMs = r.warmup === undefined ? null : durationMs(r.warmup);
      rule.cold = r.cold === undefined ? 3 : Number(r.cold);
      rule.of = r.of ?? null;
    }
    if (r.kind === 'hotspot') {
      rule.burst = r.burst ?? 0;
      rule.throttleMs = r.throttle === undefined ? null : durationMs(r.throttle);
      rule.capacity = r.capacity ?? 10_000;
      rule.items = new Map((r.items ?? []).map(([v, rate]) => [v, parseRate(rate)]));
    }
    if (r.kind === 'breaker') {
      rule.windowMs = durationMs(r.window ?? '10s');
      rule.buckets = r.buckets ?? bucketsUpTo(rule.windowMs, 10);
      rule.openMs = durationMs(r.open ?? '5s');
      rule.minRequests = r.minRequests ?? 5;
      rule.probes = r.probes ?? 1;
      rule.maxRtMs = r.maxRt === undefined ? null : durationMs(r.maxRt);
      rule.threshold = r.type === 'error_count' ? Number(r.threshold) : parseRatio(r.threshold);
      rule.errors = r.errors ?? DEFAULT_ERRORS;
      rule.grpcErrors = r.grpcErrors ?? DEFAULT_GRPC_ERRORS;
    }
    return rule;
  });
  const ordered = rules.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.fileIndex - b.fileIndex);
  const taken = new Set(ordered.filter((r) => r.name !== undefined).map((r) => r.name));
  for (const rule of ordered) {
    if (rule.name !== undefined) continue;
    const base = defaultName(rule, rule.windowMs);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    rule.name = name;
    taken.add(name);
  }
  return ordered;
}

// Where main.wasm and docs/semantics.md disagree and the lead has been told:
// with a deviation named in options.deviations the model does what the
// runtime does instead, so that everything else stays tested until the
// runtime is fixed (then the deviation goes).  None is known now.
const DEVIATIONS = {};

class Model {
  // policy: gen.js's object; options.workers; options.seed(): the 16-byte
  // hotspot seed the VMs agreed on (read lazily: only scope proxy hotspots
  // need it); options.deviations: names from DEVIATIONS.
  constructor(policy, options = {}) {
    this.policy = policy;
    this.deviations = new Set(options.deviations ?? []);
    for (const d of this.deviations) if (!DEVIATIONS[d]) throw new Error(`model: no deviation ${d}`);
    this.workers = options.workers ?? 1;
    this.seed = options.seed ?? (() => Buffer.alloc(16));
    this.resources = policy.resources.map((r) => ({ ...r, checks: resolveRules(r, policy) }));
    let hotspots = 0;
    for (const r of this.resources) {
      for (const rule of [...r.checks].sort((a, b) => a.fileIndex - b.fileIndex)) {
        if (rule.kind === 'hotspot') rule.hotspotIndex = hotspots++;
      }
    }
    this.fallbacks = policy.fallbacks ?? {};
    if (policy.system) {
      const s = policy.system;
      this.system = { kind: 'system', resource: 'system', mode: policy.mode ?? 'enforce',
        qps: s.qps ?? null, concurrency: s.concurrency ?? null, adaptive: !!s.adaptive,
        avgRtMs: s.avgRt === undefined ? null : durationMs(s.avgRt), windowMs: 1000, buckets: 10 };
    }
    // All mutable state: per rule and scope key ("proxy" or the worker), the
    // system's, the streams in flight.
    this.state = { rules: {}, system: { passes: [], completions: [], inFlight: 0 }, streams: {}, tracked: 0 };
    // The counters the module sends (docs/metrics.md), by name.
    this.counts = new Map();
    // Instants where a decision may change (a window or an open period
    // ends, a pace slot or a refill comes), with the request that set them:
    // gen.js sharpen() sends requests there.  Not part of the semantics.
    this.edges = [];
  }

  count(name, n = 1) { this.counts.set(name, (this.counts.get(name) ?? 0) + n); }

  // ---- state --------------------------------------------------------------------

  ruleKey(rule, worker) { return `${rule.resource}/${rule.name}/${rule.scope === 'worker' ? worker : 'proxy'}`; }

  ruleState(rule, worker) {
    const key = this.ruleKey(rule, worker);
    const all = this.state.rules;
    if (!all[key]) {
      all[key] = {
        passes: [],                 // flow: pass events {t, id}
        latestUs: null,             // throttle: the last pace slot handed out
        tokens: null, filledAt: null, // warm-up
        inFlight: 0,                // concurrency
        values: [],                 // hotspot: tracked values, least recently used first
        slots: {},                  // hotspot in scope proxy: slot -> value state
        breaker: 'closed', openUntil: 0, probesOut: 0, probesGood: 0, generation: 0,
        completions: [],            // breaker: {t, error, slow}
      };
    }
    return all[key];
  }

  // The flow rules that count a resource's passes besides its own flow
  // rules (which count them at their commit): every rule of any resource
  // that says `of` it.
  watchersOf(name) {
    const out = [];
    for (const r of this.resources) for (const rule of r.checks) if (rule.kind === 'flow' && rule.of === name) out.push(rule);
    return out;
  }

  // Sliding windows (docs/semantics.md, "Statistics"): a window is
  // {windowMs, buckets} (a flow rule, a breaker, the system's second) over a
  // list of events {t, ...}.  An event at t lies in the bucket starting at
  // floor(t / (W/K)) * (W/K); a bucket starting at s is read while
  // s <= now < s + W.
  bucketStart(t, win) { return Math.floor(t / (win.windowMs / win.buckets)) * (win.windowMs / win.buckets); }

  inWindow(events, win, now) {
    return events.filter((e) => {
      const s = this.bucketStart(e.t, win);
      return s <= now && now < s + win.windowMs;
    });
  }

  // When the oldest bucket holding events leaves the window, or now when
  // none does.
  expiry(events, win, now) {
    const live = this.inWindow(events, win, now);
    return live.length ? Math.min(...live.map((e) => this.bucketStart(e.t, win))) + win.windowMs : now;
  }

  mark(at, id) { this.edges.push({ at: at - EPOCH_MS, id }); }

  // ---- a request arrives ---------------------------------------------------------

  // req: {method, path, authority, headers: [[name, value]], grpc, peer}.
  // Returns the decision:
  //   {outcome: 'passed'|'held'|'blocked'|'forward', waitMs (held), holdBy,
  //    shadow: {rule} (a shadow rule would have blocked it), block: {rule,
  //    retryMs, quota} (blocked, forward), status, grpcStatus, headers (the
  //    reply's: fallback's, retry-after, RateLimit), passed: [resource names]}
  arrive(id, worker, req, tMs) {
    const now = EPOCH_MS + tMs;
    const request = { ...req, headers: requestHeaders(req) };
    const entered = this.resources.filter((r) => matchHolds(r.match, request));
    const ctx = { id, worker, now, request, effects: [], shadow: null, quota: null, hold: null };

    // Phase one: the first enforced rule that would block decides; the
    // first shadow rule that would marks the request, and no later shadow
    // rule is checked.
    for (const rule of this.checks(entered)) {
      const shadow = rule.mode === 'shadow';
      if (shadow && ctx.shadow) continue;
      const verdict = this.check(rule, ctx);
      if (!verdict?.block) continue;
      if (shadow) ctx.shadow = { rule, verdict };
      else return this.block(rule, verdict, ctx);
    }

    // Phase two: commit in the same order, each commit re-checking against
    // the state as this request has left it so far; a failing enforced
    // re-check undoes everything and blocks (retry-after 1, no quota); a
    // failing shadow one marks the request.  A marked request takes nothing
    // from shadow rules.
    const snapshot = structuredClone(this.state);
    const failed = this.commitAll(entered, ctx);
    if (failed) {
      this.state = snapshot;
      return this.block(failed, { block: true, retryMs: 0 }, { ...ctx, quota: null, recheck: true });
    }
    const waitUs = ctx.hold ? ctx.hold.waitUs : 0;
    const releaseMs = Math.ceil((now * 1000 + waitUs) / 1000);   // held streams resume on a ms tick
    this.state.streams[id] = { id, worker, grpc: isGrpc(request), passAt: now, releaseAt: releaseMs, effects: ctx.effects,
      quota: ctx.quota };
    for (const r of entered) this.count(`sentc.${r.name}.passed`);
    if (ctx.shadow) this.count(`${metricPrefix(ctx.shadow.rule, ctx.shadow.verdict)}.shadow_blocked.${ruleWord(ctx.shadow.rule, ctx.shadow.verdict)}`);
    if (waitUs > 0) this.count(`sentc.${ctx.hold.rule.resource}.queued.${ctx.hold.rule.name}`);
    return { outcome: waitUs > 0 ? 'held' : 'passed', waitMs: releaseMs - now, holdBy: ctx.hold?.rule,
      shadow: ctx.shadow, passed: entered.map((r) => r.name) };
  }

  // Every check of the request in order: the system block, then per
  // resource its rules.
  checks(entered) {
    const list = [];
    if (this.system) list.push(this.system);
    for (const r of entered) for (const rule of r.checks) list.push(rule);
    return list;
  }

  // Returns the rule whose enforced re-check failed, or null.
  commitAll(entered, ctx) {
    const skip = (rule) => rule.mode === 'shadow' && ctx.shadow;
    const one = (rule) => {
      if (skip(rule)) return null;
      const verdict = this.check(rule, ctx);
      if (verdict?.block) {
        if (rule.mode === 'shadow') {
          ctx.shadow = { rule, verdict };
          return null;
        }
        return rule;
      }
      this.commit(rule, ctx, verdict);
      return null;
    };
    if (this.system && one(this.system)) return this.system;
    for (const r of entered) {
      for (const rule of r.checks) if (one(rule)) return rule;
      for (const w of this.watchersOf(r.name)) {
        if (skip(w)) continue;
        const st = this.ruleState(w, ctx.worker);
        st.passes.push({ t: ctx.now, id: ctx.id });
        ctx.effects.push({ rule: w, type: 'counted', t: ctx.now });
        this.mark(this.bucketStart(ctx.now, w) + w.windowMs, ctx.id);
      }
    }
    return null;
  }

  check(rule, ctx) {
    switch (rule.kind) {
      case 'system': return this.checkSystem(ctx);
      case 'flow': return this.checkFlow(rule, ctx);
      case 'concurrency': return this.ruleState(rule, ctx.worker).inFlight + 1 > rule.count ? { block: true, retryMs: 0 } : null;
      case 'hotspot': return this.checkHotspot(rule, ctx);
      case 'breaker': return this.checkBreaker(rule, ctx);
      default: throw new Error(`model: rule kind ${rule.kind}`);
    }
  }

  // Takes what the pass takes, records the effect; an enforced rate rule
  // offers its quota (the request keeps the one with the fewest requests
  // remaining, of equal ones the smallest limit, of equal ones the first)
  // and an enforced pace slot may hold the request (the longest wait, the
  // first of equal ones).
  commit(rule, ctx, verdict) {
    const enforced = rule.mode !== 'shadow';
    const offer = (q) => {
      const best = ctx.quota;
      if (enforced && (!best || q.remaining < best.remaining || (q.remaining === best.remaining && q.limit < best.limit))) ctx.quota = q;
    };
    if (enforced && verdict?.waitUs > 0 && (!ctx.hold || verdict.waitUs > ctx.hold.waitUs)) ctx.hold = { waitUs: verdict.waitUs, rule };
    if (rule.kind === 'system') {
      this.state.system.passes.push({ t: ctx.now, id: ctx.id });
      this.state.system.inFlight++;
      ctx.effects.push({ rule, type: 'system' });
      this.mark(this.bucketStart(ctx.now, this.system) + this.system.windowMs, ctx.id);
      return;
    }
    const st = this.ruleState(rule, ctx.worker);
    switch (rule.kind) {
      case 'flow':
        if (verdict?.tokens !== undefined) { st.tokens = verdict.tokens; st.filledAt = verdict.filledAt; }
        if (verdict?.slotUs !== undefined) {
          ctx.effects.push({ rule, type: 'pace', slotUs: verdict.slotUs, beforeUs: st.latestUs, t: rule.of === null ? ctx.now : null });
          st.latestUs = verdict.slotUs;
        }
        if (rule.of === null) {
          st.passes.push({ t: ctx.now, id: ctx.id });
          this.mark(this.bucketStart(ctx.now, rule) + rule.windowMs, ctx.id);
        }
        offer(this.flowQuota(rule, st, ctx.now, verdict.allowed, false, 0));
        return;
      case 'concurrency':
        st.inFlight++;
        ctx.effects.push({ rule, type: 'permit' });
        return;
      case 'hotspot':
        if (verdict?.skip) return;
        if (verdict.quota) offer(verdict.quota);
        this.commitHotspot(rule, ctx, st, verdict);
        return;
      case 'breaker':
        if (st.breaker === 'open' || st.breaker === 'half') {
          if (st.breaker === 'open') st.probesGood = 0;
          st.breaker = 'half';
          st.probesOut++;
          ctx.effects.push({ rule, type: 'breaker', probe: true, generation: st.generation });
        } else {
          ctx.effects.push({ rule, type: 'breaker', probe: false, generation: st.generation });
        }
        return;
      default: throw new Error(`model: rule kind ${rule.kind}`);
    }
  }

  // ---- system (docs/semantics.md, "system") -------------------------------------

  checkSystem(ctx) {
    const sys = this.system;
    const s = this.state.system;
    if (sys.qps !== null && this.inWindow(s.passes, sys, ctx.now).length + 1 > sys.qps) return { block: true, check: 'qps', retryMs: 0 };
    if (sys.concurrency !== null && s.inFlight + 1 > sys.concurrency) {
      if (!sys.adaptive) return { block: true, check: 'concurrency', retryMs: 0 };
      if (s.inFlight > 1 && s.inFlight > this.systemCapacity(ctx.now)) return { block: true, check: 'adaptive', retryMs: 0 };
    }
    if (sys.avgRtMs !== null) {
      const done = this.inWindow(s.completions, sys, ctx.now);
      if (done.length > 0 && done.reduce((n, c) => n + c.rt, 0) / done.length > sys.avgRtMs) return { block: true, check: 'avg_rt', retryMs: 0 };
    }
    return null;
  }

  // BBR: max completions in one bucket x 10 (per second) x min RT / 1000.
  systemCapacity(now) {
    const done = this.inWindow(this.state.system.completions, this.system, now);
    if (done.length === 0) return 0;
    const perBucket = {};
    for (const c of done) perBucket[this.bucketStart(c.t, this.system)] = (perBucket[this.bucketStart(c.t, this.system)] ?? 0) + 1;
    const maxCompleted = Math.max(...Object.values(perBucket));
    const minRt = Math.min(...done.map((c) => c.rt));
    return (maxCompleted * 10 * minRt) / 1000;
  }

  // ---- flow (docs/semantics.md, "flow") -----------------------------------------

  // A flow rule's quota (docs/metrics.md, "RateLimit headers"): its limit
  // (a warm-up's current one, rounded down) less the passes in the window
  // (this request's own counted), full again when the oldest bucket holding
  // passes leaves the window; when it blocks, nothing remaining, full again
  // when a retry may pass.
  flowQuota(rule, st, now, allowed, blocked, retryMs) {
    const limit = Math.floor(allowed);
    const passed = this.inWindow(st.passes, rule, now).length;
    const reset = blocked ? retryMs : this.expiry(st.passes, rule, now) - now;
    return { name: `${rule.resource}/${rule.name}`, limit, windowMs: rule.windowMs,
      remaining: blocked || passed >= limit ? 0 : limit - passed, resetMs: Math.max(0, reset) };
  }

  checkFlow(rule, ctx) {
    const st = this.ruleState(rule, ctx.worker);
    const now = ctx.now;
    let allowed = rule.count;
    const extra = {};
    if (rule.warmupMs !== null) {
      const w = this.warmup(rule, st, now);
      allowed = w.allowed;
      extra.tokens = w.tokens;
      extra.filledAt = w.filledAt;
    }
    extra.allowed = allowed;
    if (rule.throttleMs === null) {
      const passes = this.inWindow(st.passes, rule, now);
      if (passes.length + 1 > allowed) {
        // retry-after: until the oldest bucket with passes leaves the window
        const retryMs = this.expiry(st.passes, rule, now) - now;
        return { block: true, retryMs, quota: this.flowQuota(rule, st, now, allowed, true, retryMs) };
      }
      return extra;
    }
    // throttle: interval = ceil(W*1000/threshold) us, with the warm-up's
    // allowed rate when there is one; retry-after: until the wait would be
    // within the queue.
    const intervalUs = Math.ceil((rule.windowMs * 1000) / allowed);
    const nowUs = now * 1000;
    const expected = st.latestUs === null ? -Infinity : st.latestUs + intervalUs;
    if (expected <= nowUs) return { ...extra, slotUs: nowUs, waitUs: 0 };
    const waitUs = expected - nowUs;
    this.mark(Math.ceil((expected + intervalUs) / 1000), ctx.id);
    if (waitUs > rule.throttleMs * 1000) {
      const retryMs = Math.ceil((expected - rule.throttleMs * 1000 - nowUs) / 1000);
      return { block: true, retryMs, quota: this.flowQuota(rule, st, now, allowed, true, retryMs) };
    }
    return { ...extra, slotUs: expected, waitUs };
  }

  // Guava SmoothWarmingUp as docs/semantics.md writes it; a "second" is the
  // rule's window.  Returns the allowed count and the tokens after the
  // once-per-window refill (written at commit).
  warmup(rule, st, now) {
    const N = rule.count;
    const C = rule.cold;
    const W = rule.windowMs;
    const P = rule.warmupMs / W;
    const warning = (P * N) / (C - 1);
    const max = warning + (2 * P * N) / (1 + C);
    const slope = (C - 1) / N / (max - warning);
    let tokens = st.tokens === null ? max : st.tokens;
    let filledAt = st.filledAt;
    const windowStart = Math.floor(now / W) * W;
    if (filledAt === null || windowStart > filledAt) {
      const previous = st.passes.filter((p) => p.t >= windowStart - W && p.t < windowStart).length;
      const elapsed = filledAt === null ? 0 : windowStart - filledAt;
      let t = tokens;
      // below the whole part of N/C, as sentinel-golang's integer division
      if (tokens < warning || (tokens > warning && previous < Math.floor(N / C))) t = tokens + (elapsed * N) / W;
      t = Math.min(t, max);
      tokens = Math.max(0, t - previous);
      filledAt = windowStart;
    }
    // Above the warning line the rate is rounded up to the next double, as
    // sentinel-golang does (math.Nextafter): W*1000/allowed must not land a
    // microsecond late when it is whole.
    const allowed = tokens < warning ? N : nextUp(1 / ((tokens - warning) * slope + 1 / N));
    return { allowed, tokens, filledAt };
  }

  // ---- hotspot (docs/semantics.md, "hotspot") -----------------------------------

  // The state of one value: {value, tokens, refilledAt, latestUs, inFlight},
  // fresh when it is not tracked (or its slot holds another value).
  hotspotEntry(rule, st, value) {
    if (rule.scope === 'proxy') {
      const slot = this.slotOf(rule, value);
      const e = st.slots[slot];
      if (e && e.value === value) return { ...e };
      return { value, tokens: null, refilledAt: null, latestUs: null, inFlight: e ? e.inFlight : 0, slot };
    }
    const e = st.values.find((v) => v.value === value);
    return e ? { ...e } : { value, tokens: null, refilledAt: null, latestUs: null, inFlight: 0 };
  }

  // (hash(v) ^ rule) % capacity, where hash is SipHash-2-4 under the agreed
  // seed and rule the rule's index among the policy's hotspot rules (file
  // order): docs/semantics.md, "Hotspot slots".
  slotOf(rule, value) {
    const hash = siphash24(this.seed(), Buffer.from(value)) ^ BigInt(rule.hotspotIndex);
    return Number(hash % BigInt(rule.capacity));
  }

  // The value's own rate: an item's, else the rule's.
  rateOf(rule, value) { return rule.items.get(value) ?? { count: rule.count, windowMs: rule.windowMs }; }

  hotQuota(rule, value, rate, tokensLeft, resetMs, blocked) {
    return { name: `${rule.resource}/${rule.name}`, limit: rate.count, windowMs: rate.windowMs,
      remaining: blocked || tokensLeft < 0 ? 0 : tokensLeft, resetMs: Math.max(0, resetMs) };
  }

  checkHotspot(rule, ctx) {
    const value = hotspotKey(rule.key, ctx.request, this.policy);
    if (value === undefined) return { skip: true };
    const st = this.ruleState(rule, ctx.worker);
    const e = this.hotspotEntry(rule, st, value);
    // Looking a tracked value up makes it the most recently used, even when
    // the request is then blocked (docs/semantics.md, "hotspot").
    if (rule.scope === 'worker' && st.values.some((v) => v.value === value)) {
      st.values = [...st.values.filter((v) => v.value !== value), st.values.find((v) => v.value === value)];
    }
    const now = ctx.now;
    if (rule.concurrency !== undefined) {
      return e.inFlight + 1 > rule.concurrency ? { block: true, retryMs: 0 } : { value, entry: e };
    }
    const rate = this.rateOf(rule, value);
    if (rule.throttleMs !== null) {
      const intervalUs = Math.ceil((rate.windowMs * 1000) / rate.count);
      const nowUs = now * 1000;
      const expected = e.latestUs === null ? -Infinity : e.latestUs + intervalUs;
      if (expected <= nowUs) return { value, entry: { ...e, latestUs: nowUs }, waitUs: 0, beforeUs: e.latestUs };
      const waitUs = expected - nowUs;
      this.mark(Math.ceil((expected + intervalUs) / 1000), ctx.id);
      if (waitUs > rule.throttleMs * 1000) return { block: true, retryMs: Math.ceil((expected - rule.throttleMs * 1000 - nowUs) / 1000) };
      return { value, entry: { ...e, latestUs: expected }, waitUs, beforeUs: e.latestUs };
    }
    // Token bucket: a new value gets count + burst and spends one; once more
    // than a whole window has passed since its last refill, elapsed*count/W
    // whole tokens, capped at count + burst.  No token: blocked until more
    // than a window has passed since the last refill.  An item of 0/s is
    // always blocked.
    const next = (e.refilledAt ?? 0) + rate.windowMs + 1;
    const blocked = () => ({ block: true, retryMs: next - now, quota: this.hotQuota(rule, value, rate, 0, next - now, true) });
    if (rate.count === 0) return blocked();
    const max = rate.count + rule.burst;
    this.mark((e.refilledAt ?? now) + rate.windowMs + 1, ctx.id);
    let entry;
    if (e.tokens === null) {
      entry = { ...e, tokens: max - 1, refilledAt: now };
    } else if (now - e.refilledAt > rate.windowMs) {
      const add = Math.floor(((now - e.refilledAt) * rate.count) / rate.windowMs);
      const left = Math.min(add + e.tokens, max) - 1;
      if (left < 0) return blocked();
      entry = { ...e, tokens: left, refilledAt: now };
    } else {
      if (e.tokens < 1) return blocked();
      entry = { ...e, tokens: e.tokens - 1 };
    }
    return { value, entry, quota: this.hotQuota(rule, value, rate, entry.tokens, entry.refilledAt + rate.windowMs + 1 - now, false) };
  }

  commitHotspot(rule, ctx, st, verdict) {
    const entry = { ...verdict.entry };
    if (rule.concurrency !== undefined) entry.inFlight++;
    if (rule.scope === 'proxy') {
      st.slots[entry.slot] = entry;
    } else {
      // LRU: the value moves to the most recent end; a new value beyond
      // capacity takes the least recently used one's place.  Each time a
      // value starts being tracked is a new incarnation (its permits).
      if (!st.values.some((v) => v.value === entry.value)) entry.incarnation = ++this.state.tracked;
      st.values = st.values.filter((v) => v.value !== entry.value);
      if (st.values.length >= rule.capacity) st.values.shift();
      st.values.push(entry);
    }
    const effect = { rule, value: entry.value, slot: entry.slot, incarnation: entry.incarnation };
    if (rule.concurrency !== undefined) ctx.effects.push({ ...effect, type: 'hotspot' });
    if (verdict.waitUs !== undefined) ctx.effects.push({ ...effect, type: 'hotpace', slotUs: entry.latestUs, beforeUs: verdict.beforeUs });
  }

  // ---- breaker (docs/semantics.md, "breaker") -----------------------------------

  checkBreaker(rule, ctx) {
    const st = this.ruleState(rule, ctx.worker);
    if (st.breaker === 'closed') return null;
    if (st.breaker === 'open') {
      if (ctx.now >= st.openUntil) return null;            // the next request turns it half-open
      return { block: true, retryMs: st.openUntil - ctx.now };
    }
    return st.probesOut + st.probesGood < rule.probes ? null : { block: true, retryMs: 0 };
  }

  // A completion goes into the window; a probe stops counting as out.  It
  // decides only if the request was admitted since the breaker last opened
  // (its generation): a probe in half-open (bad: reopen; `probes` good
  // ones: close with an empty window), any other request while closed
  // (the threshold).
  breakerComplete(rule, st, effect, at, error, rtMs, id) {
    const slow = rule.maxRtMs !== null && rtMs > rule.maxRtMs;
    st.completions.push({ t: at, error, slow });
    if (error && rule.type !== 'slow_ratio') this.count(`sentc.${rule.resource}.errors.${rule.name}`);
    if (slow && rule.type === 'slow_ratio') this.count(`sentc.${rule.resource}.slow.${rule.name}`);
    const bad = rule.type === 'slow_ratio' ? slow : error;
    if (effect.probe && st.probesOut > 0) st.probesOut--;
    if (effect.generation !== st.generation) return;
    if (effect.probe && st.breaker === 'half') {
      if (bad) {
        this.openBreaker(rule, st, at, id);
      } else if (++st.probesGood >= rule.probes) {
        st.breaker = 'closed';
        st.completions = [];
        st.probesGood = 0;
        this.count(`sentc.${rule.resource}.breaker_closed.${rule.name}`);
      }
    } else if (st.breaker === 'closed' && !effect.probe) {
      this.maybeOpen(rule, st, at, id);
    }
  }

  // Once the window holds min_requests completions: error_count opens at
  // errors >= count, error_ratio at errors/completions >= ratio, slow_ratio
  // at slow/completions >= ratio.
  maybeOpen(rule, st, at, id) {
    const seen = this.inWindow(st.completions, rule, at);
    if (seen.length < rule.minRequests) return;
    const errors = seen.filter((c) => c.error).length;
    const slows = seen.filter((c) => c.slow).length;
    const open = rule.type === 'error_count' ? errors >= rule.threshold
      : rule.type === 'error_ratio' ? errors / seen.length >= rule.threshold
        : slows / seen.length >= rule.threshold;
    if (open) this.openBreaker(rule, st, at, id);
  }

  openBreaker(rule, st, at, id) {
    this.mark(at + rule.openMs, id);
    st.breaker = 'open';
    st.openUntil = at + rule.openMs;
    st.probesGood = 0;
    st.generation++;
    this.count(`sentc.${rule.resource}.breaker_opened.${rule.name}`);
  }

  // A held probe that ends while still held: it stops counting as out, and
  // when it was the half-open period's only probe, no other having come
  // back good, the breaker is open again (its open period over: the next
  // request probes), counted as an opening (docs/semantics.md, "breaker").
  breakerGone(rule, st) {
    if (st.probesOut > 0) st.probesOut--;
    if (st.probesOut === 0 && st.probesGood === 0 && st.breaker === 'half') {
      st.breaker = 'open';
      this.count(`sentc.${rule.resource}.breaker_opened.${rule.name}`);
    }
  }

  // ---- blocks and replies (docs/semantics.md, "Replies") ------------------------

  block(rule, verdict, ctx) {
    const kind = rule.kind;
    const resource = rule.resource;
    const name = ruleWord(rule, verdict);
    const fallback = this.fallbackOf(rule);
    const grpc = isGrpc(ctx.request);
    const breaker = kind === 'breaker';
    const retryAfter = String(Math.max(1, Math.ceil(verdict.retryMs / 1000)));
    const out = { outcome: 'blocked', block: { resource, rule: name, kind }, passed: [], shadow: null };
    this.count(`${metricPrefix(rule, verdict)}.blocked.${name}`);
    const expand = (v) => v.replace(/\$\{resource\}/g, resource).replace(/\$\{kind\}/g, kind).replace(/\$\{retry_after\}/g, retryAfter);
    if (fallback?.forward) {
      return { ...out, outcome: 'forward', upstreamHeaders: (fallback.headers ?? []).map(([k, v]) => [k, expand(v)]) };
    }
    out.status = fallback?.status ?? (breaker ? 503 : 429);
    if (grpc) out.grpcStatus = fallback?.grpcStatus ?? (breaker ? 14 : 8);
    out.headers = fallback ? (fallback.headers ?? []).map(([k, v]) => [k, expand(v)]) : [['x-sentinel-blocked', `${resource}/${kind}`]];
    const flavour = ratelimitFlavour(this.policy);
    if (flavour) {
      if (!out.headers.some(([k]) => k === 'retry-after')) out.headers.push(['retry-after', retryAfter]);
      if (verdict.quota && !ctx.recheck) out.headers.push(...quotaHeaders(flavour, verdict.quota));
    }
    return out;
  }

  // The rule's own fallback, else its resource's, else the policy's, else null
  // (the built-in one).  System blocks are answered by the policy's.
  fallbackOf(rule) {
    const named = (f) => (typeof f === 'string' ? this.fallbacks[f] : f);
    if (rule.kind !== 'system') {
      if (rule.fallback) return named(rule.fallback);
      const r = this.resources.find((x) => x.name === rule.resource);
      if (r.fallback) return named(r.fallback);
    }
    return this.policy.fallback ? named(this.policy.fallback) : null;
  }

  // ---- the rest of a stream's life -----------------------------------------------

  // The upstream answered at tMs: {status, grpcStatus (in trailers, or in the
  // headers when trailersOnly)}.  Error: the status is in the rule's
  // `errors`, or a grpc-status present is in `grpc_errors`; a gRPC response
  // without any grpc-status is an error.  Returns the RateLimit headers the
  // response gets.
  respond(id, reply, tMs) {
    const s = this.state.streams[id];
    if (!s) return [];
    const at = EPOCH_MS + tMs;
    const grpcStatus = s.grpc && (reply.trailersOnly || reply.status === 200) ? reply.grpcStatus ?? 0 : null;
    this.complete(s, at, (rule) => {
      if (s.grpc && grpcStatus === null) return true;
      return inRanges(reply.status, rule.errors) || (grpcStatus !== null && rule.grpcErrors.includes(grpcStatus));
    });
    this.end(s);
    const flavour = ratelimitFlavour(this.policy);
    return flavour && s.quota ? quotaHeaders(flavour, s.quota) : [];
  }

  // The client reset the stream at tMs: a stream that ends while held gives
  // back its pace slots (each when it is still the last: the bucket goes
  // back to where it was before it), a flow throttle takes its pass back,
  // and breakers do not count it; one that went upstream without a response
  // is an error.
  abort(id, tMs) {
    const s = this.state.streams[id];
    if (!s) return;
    const at = EPOCH_MS + tMs;
    if (at < s.releaseAt) {
      for (const e of s.effects) {
        if (e.type === 'pace') {
          const st = this.ruleState(e.rule, s.worker);
          if (st.latestUs === e.slotUs) st.latestUs = e.beforeUs;
          if (e.t !== null) {
            const i = st.passes.findIndex((p) => p.id === s.id && p.t === e.t);
            if (i >= 0) st.passes.splice(i, 1);
          }
        }
        if (e.type === 'hotpace') {
          const holder = this.trackedEntry(e.rule, this.ruleState(e.rule, s.worker), e);
          if (holder && holder.latestUs === e.slotUs) holder.latestUs = e.beforeUs;
        }
        if (e.type === 'breaker' && e.probe) this.breakerGone(e.rule, this.ruleState(e.rule, s.worker));
      }
      s.effects = s.effects.filter((e) => e.type !== 'breaker');
    } else {
      this.complete(s, at, () => true);
    }
    this.end(s);
  }

  // Breakers and the system's statistics see the completion; RT is from the
  // pass, for a held stream from its release.
  complete(s, at, isError) {
    const rt = at - Math.max(s.passAt, s.releaseAt);
    for (const e of s.effects) {
      if (e.type === 'breaker') this.breakerComplete(e.rule, this.ruleState(e.rule, s.worker), e, at, isError(e.rule), rt, s.id);
      if (e.type === 'system') this.state.system.completions.push({ t: at, rt });
    }
  }

  // Permits are given back once.
  end(s) {
    for (const e of s.effects) {
      if (e.type === 'system') this.state.system.inFlight--;
      if (e.type === 'permit') this.ruleState(e.rule, s.worker).inFlight--;
      if (e.type === 'hotspot') {
        // scope proxy: back to the slot, whoever holds it now; scope
        // worker: dropped when the value was evicted meanwhile
        const st = this.ruleState(e.rule, s.worker);
        const holder = e.rule.scope === 'proxy' ? st.slots[e.slot] : this.trackedEntry(e.rule, st, e);
        if (holder) holder.inFlight--;
      }
    }
    delete this.state.streams[s.id];
  }

  // The worker's VM crashed and was replaced (docs/traffic.md "restart"):
  // its own state starts afresh, its streams end without a callback
  // (nothing of theirs is completed or given back: it was in that VM).
  restart(worker) {
    for (const key of Object.keys(this.state.rules)) if (key.endsWith(`/${worker}`)) delete this.state.rules[key];
    for (const s of Object.values(this.state.streams)) if (s.worker === worker) delete this.state.streams[s.id];
  }

  // The tracked state of an effect's hotspot value, or null when it was
  // forgotten since (evicted, even if tracked again later).
  trackedEntry(rule, st, e) {
    if (rule.scope === 'proxy') return st.slots[e.slot]?.value === e.value ? st.slots[e.slot] : null;
    return st.values.find((x) => x.value === e.value && x.incarnation === e.incarnation) ?? null;
  }
}

// The rule's word in metrics and log lines: its name, a system check's name.
function ruleWord(rule, verdict) { return rule.kind === 'system' ? verdict.check : rule.name; }
function metricPrefix(rule) { return `sentc.${rule.resource}`; }

// `ratelimit_headers`: null (off), 'draft' (also `on`) or 'envoy'.
function ratelimitFlavour(policy) {
  const v = policy.ratelimitHeaders ?? 'off';
  return v === 'off' ? null : v === 'envoy' ? 'envoy' : 'draft';
}

// docs/metrics.md, "RateLimit headers": w and t in whole seconds, rounded up.
function quotaHeaders(flavour, q) {
  const w = Math.ceil(q.windowMs / 1000);
  const t = Math.ceil(q.resetMs / 1000);
  if (flavour === 'envoy') {
    return [['x-ratelimit-limit', `${q.limit}, ${q.limit};w=${w};name="${q.name}"`],
      ['x-ratelimit-remaining', `${q.remaining}`], ['x-ratelimit-reset', `${t}`]];
  }
  return [['ratelimit-policy', `"${q.name}";q=${q.limit};w=${w}`], ['ratelimit', `"${q.name}";r=${q.remaining};t=${t}`]];
}

// The next double above a positive finite x.
function nextUp(x) {
  const f = new Float64Array([x]);
  const bits = new BigInt64Array(f.buffer);
  bits[0] += 1n;
  return f[0];
}

function inRanges(status, ranges) {
  return ranges.some(([lo, hi]) => status >= lo && status <= (hi ?? lo));
}

// The request's headers as the filter sees them: a gRPC request carries
// content-type application/grpc; every request has a :authority.
function requestHeaders(req) {
  const headers = (req.headers ?? []).map(([k, v]) => [k.toLowerCase(), v]);
  if (req.grpc) headers.unshift(['content-type', 'application/grpc'], ['te', 'trailers']);
  return headers;
}

module.exports = { Model, DEVIATIONS, EPOCH_MS, normalizePath, matchHolds, parseRate, durationMs, siphash24, hotspotKey, defaultName };
