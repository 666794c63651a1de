// gen.js: random policies and random traffic for tests/model/diff.js, in the
// subset of the language that tests/model/model.js models exactly.
//
// Why: the differential test needs many small policies whose rules interact
// (overlapping resources, `of`, several kinds on one request, scopes,
// fallbacks, rule names and modes) and traffic that lands on their edges
// (bursts at the same millisecond, paths that hit and miss after
// normalization, hot values, upstream errors and slow answers, aborts,
// several workers).  A policy is a
// plain object (what model.js reads) rendered to a .sentinel file (what
// sentc reads); a traffic is a list of requests rendered, for a failure
// report, as a docs/traffic.md file sentc-host can replay.  Deterministic:
// the same seed gives the same policy and traffic.
'use strict';

// xorshift32: rng.int(k) is 0 .. k-1.
class Rng {
  constructor(seed) { this.state = (Math.imul(seed >>> 0, 2654435761) >>> 0) || 1; }
  next() {
    let x = this.state;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.state = x;
    return x;
  }
  int(k) { return this.next() % k; }
  pick(a) { return a[this.int(a.length)]; }
  chance(percent) { return this.int(100) < percent; }
  between(lo, hi) { return lo + this.int(hi - lo + 1); }
}

// ---- vocabulary: resources and requests draw from the same small sets ---------------

const PATHS = [
  { kind: 'prefix', value: '/api' }, { kind: 'prefix', value: '/api/' }, { kind: 'prefix', value: '/api/v1/' },
  { kind: 'prefix', value: '/s' }, { kind: 'exact', value: '/x' }, { kind: 'exact', value: '/api/v1/items' },
  { kind: 'exact', value: '/x/' }, { kind: 'template', value: '/u/{id}' }, { kind: 'template', value: '/u/{id}/o/**' },
  { kind: 'template', value: '/api/{v}/items' }, { kind: 'grpc', value: 'pkg.Svc' }, { kind: 'grpc', value: 'pkg.Svc/Get' },
];
const REQUEST_PATHS = ['/api', '/api/', '/api/v1/items', '/api/v2/items', '/api/v1/items/7', '/u/7', '/u/7/o',
  '/u/8/o/1/x', '/u/', '/x', '/x/', '/s', '/s/q', '/other', '/', '/apix'];
const GRPC_PATHS = ['/pkg.Svc/Get', '/pkg.Svc/List', '/pkg.Other/Get'];
const HOSTS = ['a.example.com', '*.example.com', 'shop.io'];
const AUTHORITIES = ['localhost', 'a.example.com', 'b.example.com:8080', 'example.com', 'A.Example.COM', 'shop.io', 'x.a.example.com.'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const USERS = ['u1', 'u2', 'u3', 'p7', 'banned'];
const PEERS = ['10.0.0.1:40000', '10.0.0.2:1234', '192.168.1.9:5'];
const XFF = ['1.1.1.1', '2.2.2.2, 10.0.0.9', '3.3.3.3,4.4.4.4, 5.5.5.5'];
const KEYS = [
  { kind: 'header', name: 'X-User' }, { kind: 'query', name: 't' }, { kind: 'cookie', name: 's' },
  { kind: 'client_ip' }, { kind: 'host' }, { kind: 'path' }, { kind: 'method' },
];
const WINDOWS = ['100ms', '200ms', '250ms', '500ms', '1s', '2s'];
const RATIOS = ['25%', '50%', '75%', '100%', '12.5%', '0.5', '62.5%'];

// ---- policies -------------------------------------------------------------------

function rate(rng, lo, hi) {
  if (rng.chance(15)) return rng.pick(['1.5/s', '2.5/s', '0.5/s', '2.5/500ms']);
  return `${rng.between(lo, hi)}/${rng.pick(WINDOWS).replace(/^1s$/, 's')}`;
}

function windowMsOf(text) {
  const m = /\/(\d*)(ms|s)$/.exec(text);
  return Number(m[1] || 1) * (m[2] === 's' ? 1000 : 1);
}

// A warm-up: any count, a warm-up period of 1 to 4 windows (not always a
// whole number of them), a cold factor from 1.5 to 5.
function warmup(rng, rule) {
  const win = rng.pick(['500ms', 's', '200ms']);
  const windowMs = windowMsOf(`/${win}`);
  rule.rate = `${rng.between(2, 12)}/${win}`;
  rule.warmup = `${rng.chance(70) ? rng.between(1, 4) * windowMs : rng.between(windowMs / 2, 4 * windowMs)}ms`;
  if (rng.chance(60)) rule.cold = rng.pick([1.5, 2, 2.5, 3, 4, 5]);
}

function flowRule(rng, names) {
  const rule = { kind: 'flow' };
  if (rng.chance(15)) {
    warmup(rng, rule);
    if (rng.chance(40)) rule.throttle = rng.pick(['100ms', '500ms', '1s']);
  } else {
    rule.rate = rate(rng, 0, 8);
    if (rule.rate.startsWith('0/')) rule.rate = rng.chance(30) ? rule.rate : `3/${rule.rate.split('/')[1]}`;
    const count = Number(rule.rate.split('/')[0]);
    if (count > 0 && rng.chance(30)) rule.throttle = rng.pick(['0ms', '50ms', '200ms', '1s']);
    else if (rng.chance(25)) rule.of = rng.pick(names);
  }
  if (rng.chance(20)) {
    const w = windowMsOf(rule.rate);
    const divisors = [1, 2, 4, 5, 10].filter((k) => w % k === 0);
    rule.buckets = rng.pick(divisors);
  }
  return rule;
}

function hotspotRule(rng, scope) {
  const rule = { kind: 'hotspot', key: rng.pick(KEYS) };
  if (rng.chance(25)) {
    rule.concurrency = rng.between(1, 3);
  } else {
    rule.rate = rate(rng, 1, 5).replace(/^\d+\.\d+/, '2');
    if (rng.chance(40)) rule.burst = rng.between(1, 3);
    if (rng.chance(15)) rule.throttle = rng.pick(['0ms', '100ms', '500ms']);
    if (rule.key.kind === 'header' && rng.chance(40)) {
      const win = rule.rate.split('/')[1];
      rule.items = [['p7', `${rng.between(3, 9)}/${win}`]];
      if (rng.chance(60)) rule.items.push(['banned', `0/${win}`]);
    }
  }
  if (rng.chance(40)) rule.capacity = rng.between(1, scope === 'proxy' ? 6 : 3);
  return rule;
}

function breakerRule(rng) {
  const type = rng.pick(['error_ratio', 'error_count', 'slow_ratio']);
  const rule = { kind: 'breaker', type, threshold: type === 'error_count' ? String(rng.between(1, 4)) : rng.pick(RATIOS) };
  if (type === 'slow_ratio') rule.maxRt = rng.pick(['20ms', '50ms', '100ms']);
  rule.minRequests = rng.between(1, 5);
  rule.window = rng.pick(['500ms', '1s', '2s', '5s']);
  if (rng.chance(30)) rule.buckets = rng.pick([1, 5, 10]);
  rule.open = rng.pick(['100ms', '300ms', '1s']);
  if (rng.chance(40)) rule.probes = rng.between(1, 3);
  if (rng.chance(20)) rule.errors = rng.chance(70) ? [[500, 599], [429]] : [[200], [500, 599]];
  if (rng.chance(15)) rule.grpcErrors = [5, 14];
  return rule;
}

function match(rng) {
  if (rng.chance(12)) return null;
  const m = {};
  const n = rng.chance(80) ? 1 : 2;
  m.paths = Array.from({ length: n }, () => rng.pick(PATHS));
  m.paths = m.paths.filter((p, i) => m.paths.findIndex((q) => q.value === p.value && q.kind === p.kind) === i);
  if (rng.chance(15)) m.hosts = rng.chance(50) ? [rng.pick(HOSTS)] : ['a.example.com', '*.example.com'].slice(rng.int(2));
  if (rng.chance(20)) m.methods = [...new Set([rng.pick(METHODS), rng.pick(METHODS)])];
  if (rng.chance(12)) m.headers = [rng.pick([{ name: 'x-env', op: 'eq', value: 'canary' }, { name: 'x-env', op: 'prefix', value: 'can' },
    { name: 'x-env', op: 'present' }, { name: 'x-env', op: 'absent' }])];
  return m;
}

// Named fallbacks: a custom reply, and a forward (every third policy, so
// that a run of a dozen has several).
function fallbacks(rng, seed) {
  const out = {};
  if (rng.chance(60)) {
    out.busy = { status: rng.pick([429, 503, 418]), headers: [['x-k', '${resource}/${kind}'], ['retry-after', '${retry_after}']] };
    if (rng.chance(50)) out.busy.grpcStatus = rng.pick([3, 8, 14]);
  }
  if (seed % 3 === 0 || rng.chance(25)) out.degrade = { forward: true, headers: [['x-fwd', '${resource}/${kind}']] };
  return out;
}

// A random policy (seed: also its name).
function genPolicy(seed) {
  const rng = new Rng(seed);
  const variant = seed % 5;                      // for the system block, below
  const policy = { name: `m${seed}`, scope: variant === 0 && rng.chance(60) ? 'worker' : rng.pick(['proxy', 'worker']), resources: [] };
  if (rng.chance(10)) policy.mode = 'shadow';
  if (rng.chance(20)) policy.clientIp = rng.pick(['peer', 'xff 0', 'xff 1', 'xff 2']);
  if (rng.chance(35)) policy.ratelimitHeaders = rng.pick(['on', 'draft', 'envoy']);
  policy.fallbacks = fallbacks(rng, seed);
  const fbNames = Object.keys(policy.fallbacks);
  if (fbNames.length && rng.chance(25)) policy.fallback = rng.pick(fbNames);
  // One policy in five has no system block (and is more often per worker,
  // where traffic may restart workers), the others cycle through its checks
  // (so that a run of a dozen policies has each), with others mixed in.
  if (variant > 0) {
    const sys = {};
    if (variant === 1 || rng.chance(25)) sys.qps = rng.between(3, 25);
    if (variant === 2 || variant === 3 || rng.chance(20)) sys.concurrency = rng.between(1, 6);
    if (variant === 3) sys.adaptive = true;
    if (variant === 4 || rng.chance(20)) sys.avgRt = rng.pick(['30ms', '80ms', '150ms']);
    policy.system = sys;
  }
  const n = rng.chance(15) ? 1 : rng.between(2, 4);
  const names = Array.from({ length: n }, (_, i) => `r${i}`);
  for (const name of names) {
    const resource = { name, match: match(rng), rules: [] };
    for (let k = rng.between(1, 4); k > 0; k--) {
      const scope = rng.chance(15) ? rng.pick(['proxy', 'worker']) : undefined;
      const kind = rng.pick(['flow', 'flow', 'concurrency', 'hotspot', 'hotspot', 'breaker', 'breaker']);
      let rule;
      if (kind === 'flow') rule = flowRule(rng, names);
      else if (kind === 'concurrency') rule = { kind, count: rng.between(0, 4) };
      else if (kind === 'hotspot') rule = hotspotRule(rng, scope ?? policy.scope);
      else rule = breakerRule(rng);
      if (scope) rule.scope = scope;
      if (fbNames.length && rng.chance(15)) rule.fallback = rng.pick(fbNames);
      if (rng.chance(12)) rule.mode = rng.pick(['shadow', 'shadow', 'enforce']);
      // A name of its own, now and then one that a default would take
      // (the default then gets _2).
      const name = rng.pick(['lim', 'a-b', 'flow', 'hotspot_x-user', 'concurrency']);
      if (rng.chance(15) && !resource.rules.some((x) => x.name === name)) rule.name = name;
      resource.rules.push(rule);
    }
    if (rng.chance(10)) resource.mode = rng.pick(['shadow', 'enforce']);
    if (rng.chance(20)) resource.fallback = fbNames.length && rng.chance(50) ? rng.pick(fbNames)
      : { status: 503, headers: [['x-k', '${resource}/${kind}']] };
    policy.resources.push(resource);
  }
  if (seed % 3 === 0) rng.pick(policy.resources).fallback = 'degrade';
  return policy;
}

// ---- rendering a policy as sentc reads it -----------------------------------------

const q = (s) => `"${s}"`;

function renderFallbackBody(f) {
  const parts = [];
  if (f.forward) parts.push('forward;');
  if (f.status !== undefined) parts.push(`status ${f.status};`);
  if (f.grpcStatus !== undefined) parts.push(`grpc_status ${f.grpcStatus};`);
  for (const [k, v] of f.headers ?? []) parts.push(`header ${q(k)} ${q(v)};`);
  return `{ ${parts.join(' ')} }`;
}

function renderMatch(m) {
  const parts = [];
  for (const p of m.paths ?? []) {
    parts.push(p.kind === 'grpc' ? `grpc ${q(p.value)};` : `path ${p.kind === 'exact' ? '' : `${p.kind} `}${q(p.value)};`);
  }
  if (m.hosts) parts.push(`host ${m.hosts.map(q).join(' ')};`);
  if (m.methods) parts.push(`method ${m.methods.join(' ')};`);
  for (const h of m.headers ?? []) {
    parts.push(`header ${q(h.name)} ${h.op === 'eq' ? q(h.value) : h.op === 'prefix' ? `prefix ${q(h.value)}` : h.op};`);
  }
  return `match { ${parts.join(' ')} }`;
}

function renderRule(r) {
  const opts = [];
  const opt = (cond, text) => cond && opts.push(text);
  let head;
  if (r.kind === 'flow') {
    head = `flow ${r.rate}`;
    opt(r.buckets !== undefined, `buckets ${r.buckets};`);
    opt(r.throttle !== undefined, `throttle ${r.throttle};`);
    opt(r.warmup !== undefined, `warmup ${r.warmup};`);
    opt(r.cold !== undefined, `cold ${r.cold};`);
    opt(r.of !== undefined, `of ${r.of};`);
  } else if (r.kind === 'concurrency') {
    head = `concurrency ${r.count}`;
  } else if (r.kind === 'hotspot') {
    const key = r.key.name ? `${r.key.kind} ${q(r.key.name)}` : r.key.kind;
    head = `hotspot ${key} ${r.concurrency !== undefined ? `concurrency ${r.concurrency}` : r.rate}`;
    opt(r.burst !== undefined, `burst ${r.burst};`);
    opt(r.throttle !== undefined, `throttle ${r.throttle};`);
    for (const [v, rt] of r.items ?? []) opts.push(`item ${q(v)} ${rt};`);
    opt(r.capacity !== undefined, `capacity ${r.capacity};`);
  } else {
    head = `breaker ${r.type} ${r.threshold}`;
    opt(r.maxRt !== undefined, `max_rt ${r.maxRt};`);
    opt(r.minRequests !== undefined, `min_requests ${r.minRequests};`);
    opt(r.window !== undefined, `window ${r.window};`);
    opt(r.buckets !== undefined, `buckets ${r.buckets};`);
    opt(r.open !== undefined, `open ${r.open};`);
    opt(r.probes !== undefined, `probes ${r.probes};`);
    opt(r.errors !== undefined, `errors ${(r.errors ?? []).map(([lo, hi]) => (hi ? `${lo}-${hi}` : `${lo}`)).join(', ')};`);
    opt(r.grpcErrors !== undefined, `grpc_errors ${(r.grpcErrors ?? []).join(', ')};`);
  }
  opt(r.scope !== undefined, `scope ${r.scope};`);
  opt(r.fallback !== undefined, `fallback ${r.fallback};`);
  opt(r.name !== undefined, `name ${r.name};`);
  opt(r.mode !== undefined, `mode ${r.mode};`);
  return opts.length ? `${head} { ${opts.join(' ')} }` : `${head};`;
}

function renderPolicy(p) {
  const lines = [];
  const opts = [`scope ${p.scope};`];
  if (p.mode) opts.push(`mode ${p.mode};`);
  if (p.clientIp) opts.push(`client_ip ${p.clientIp};`);
  if (p.ratelimitHeaders) opts.push(`ratelimit_headers ${p.ratelimitHeaders};`);
  if (p.fallback) opts.push(`fallback ${p.fallback};`);
  if (p.system) {
    const s = p.system;
    const parts = [];
    if (s.qps !== undefined) parts.push(`qps ${s.qps};`);
    if (s.concurrency !== undefined) parts.push(`concurrency ${s.concurrency};`);
    if (s.adaptive) parts.push('adaptive;');
    if (s.avgRt !== undefined) parts.push(`avg_rt ${s.avgRt};`);
    opts.push(`system { ${parts.join(' ')} }`);
  }
  lines.push(`policy ${p.name} { ${opts.join(' ')} }`);
  for (const [name, f] of Object.entries(p.fallbacks ?? {})) lines.push(`fallback ${name} ${renderFallbackBody(f)}`);
  for (const r of p.resources) {
    lines.push(`resource ${r.name} {`);
    if (r.match) lines.push(`  ${renderMatch(r.match)}`);
    if (r.mode) lines.push(`  mode ${r.mode};`);
    for (const rule of r.rules) lines.push(`  ${renderRule(rule)}`);
    if (r.fallback) lines.push(`  fallback ${typeof r.fallback === 'string' ? `${r.fallback};` : renderFallbackBody(r.fallback)}`);
    lines.push('}');
  }
  return `${lines.join('\n')}\n`;
}

// ---- traffic ----------------------------------------------------------------------

// Bends a path the ways normalization must see through, or that must miss.
function bend(rng, path) {
  switch (rng.int(14)) {
    case 0: return path.replace('/', '//');
    case 1: return path.replace(/\/([^/]*)/, '/./$1');
    case 2: return `/zz/..${path}`;
    case 3: return path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
    case 4: return path.replace(/\/$/, '') + rng.pick(['?t=1', '#f', '?a=/b']);
    case 5: return path.toUpperCase();
    case 6: return path.replace('/', '%2F');
    case 7: return `${path}/`;
    default: return path;
  }
}

// A path the resource's path or grpc alternative takes: {path, grpc}.
function pathFor(rng, p) {
  switch (p.kind) {
    case 'exact': return { path: p.value, grpc: false };
    case 'prefix': return { path: p.value + rng.pick(['', 'x', '/v1/items', '/7', 'v1/']), grpc: false };
    case 'template': {
      const filled = p.value.replace(/\{[a-z]+\}/g, () => rng.pick(['7', '8', 'ab']));
      return { path: filled.replace('/**', rng.pick(['', '/', '/1', '/1/x'])), grpc: false };
    }
    default: return { path: p.value.includes('/') ? `/${p.value}` : `/${p.value}/${rng.pick(['Get', 'List'])}`, grpc: true };
  }
}

const AUTHORITY_FOR = {
  'a.example.com': ['a.example.com', 'A.Example.COM', 'a.example.com:8080', 'a.example.com.'],
  '*.example.com': ['x.example.com', 'b.example.com:8080', 'a.example.com'],
  'shop.io': ['shop.io', 'SHOP.IO:443'],
};
const HEADER_FOR = { eq: ['canary'], prefix: ['canary', 'can'], present: ['prod', 'canary'], absent: [] };

// A request aimed at one resource (mostly satisfying its match), or at none.
function aim(rng, policy) {
  const out = { grpc: rng.chance(15), path: null, authority: rng.pick(AUTHORITIES), method: null, headers: [] };
  const r = rng.chance(80) ? rng.pick(policy.resources) : null;
  const m = r?.match;
  if (m?.paths?.length && rng.chance(90)) Object.assign(out, pathFor(rng, rng.pick(m.paths)));
  if (out.path === null) out.path = out.grpc ? rng.pick(GRPC_PATHS) : rng.pick(REQUEST_PATHS);
  if (m?.hosts && rng.chance(85)) out.authority = rng.pick(AUTHORITY_FOR[rng.pick(m.hosts)]);
  if (m?.methods && rng.chance(85)) out.method = rng.pick(m.methods);
  for (const h of m?.headers ?? []) {
    if (rng.chance(85) && HEADER_FOR[h.op].length) out.headers.push([h.name, rng.pick(HEADER_FOR[h.op])]);
  }
  if (!m?.headers && rng.chance(15)) out.headers.push(['x-env', rng.pick(['canary', 'can', 'prod'])]);
  if (rng.chance(25)) out.path = bend(rng, out.path);
  if (rng.chance(35)) out.path += `${out.path.includes('?') ? '&' : '?'}t=${rng.pick(USERS)}`;
  return out;
}

// Steps between arrivals land near round times (grid +-1 ms), where
// buckets start and windows, pace slots and open periods end.
const STEPS = [0, 0, 0, 1, 5, 10, 10, 20, 50, 50, 100, 100, 200];
const LATENCIES = [0, 1, 10, 19, 20, 21, 29, 30, 31, 49, 50, 51, 79, 80, 81, 99, 100, 101, 150, 300];

// One traffic for `policy`: {workers, requests: [{at (ms), worker, method,
// path, authority, headers, grpc, peer, reply: {status, grpcStatus,
// trailersOnly, latency (ms)}, abort (ms or null)}]}.
function genTraffic(policy, seed) {
  const rng = new Rng(seed);
  const workers = rng.chance(50) ? 1 : rng.between(2, 3);
  const scale = rng.pick([1, 1, 2, 5]);
  const count = rng.between(8, 45);
  const requests = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    // now and then an idle gap longer than a VM's liveness (5 s): a worker
    // back from one must count from its first permit (docs/semantics.md)
    at += rng.chance(3) ? rng.between(5000, 7000) : rng.pick(STEPS) * scale + (rng.chance(20) ? 1 : 0);
    const target = aim(rng, policy);
    const headers = target.headers;
    if (rng.chance(70)) headers.push(['x-user', rng.pick(USERS)]);
    if (rng.chance(10)) headers.push(['x-user', rng.pick(USERS)]);
    if (rng.chance(30)) headers.push(['cookie', rng.pick([`s=${rng.pick(USERS)}`, `a=1; s=${rng.pick(USERS)}`, 'a=2'])]);
    if (rng.chance(25)) headers.push(['x-forwarded-for', rng.pick(XFF)]);
    let reply;
    const latency = rng.pick(LATENCIES);
    if (target.grpc && rng.chance(80)) {
      reply = { status: 200, grpcStatus: rng.pick([0, 0, 0, 14, 2, 5]), trailersOnly: rng.chance(30), latency };
    } else {
      reply = { status: rng.pick([200, 200, 200, 500, 503, 429, 404]), grpcStatus: null, trailersOnly: false, latency };
    }
    requests.push({
      at, worker: rng.int(workers), method: target.method ?? (rng.chance(70) ? 'GET' : rng.pick(METHODS)),
      path: target.path, authority: target.authority, headers, grpc: target.grpc,
      peer: rng.pick(PEERS), reply, abort: rng.chance(10) ? rng.pick([0, 1, 30, 100, 400]) : null,
    });
  }
  // Restarts (a worker's VM crashes and is replaced) where every state is
  // per worker: the model then knows exactly what is lost.
  const restarts = [];
  const perWorker = !policy.system && policy.resources.every((r) => r.rules.every((x) => (x.scope ?? policy.scope) === 'worker'));
  if (perWorker && rng.chance(30)) {
    for (let k = rng.between(1, 2); k > 0; k--) restarts.push({ at: rng.int(at + 1), worker: rng.int(workers) });
  }
  return { workers, requests, restarts };
}

// ---- sharpening: requests where decisions change -----------------------------------

// Runs the traffic through the model alone (upstream answers and aborts as
// the traffic says) and returns the instants it marked (model.js `edges`).
function edgesOf(policy, traffic, Model) {
  const model = new Model(policy, { workers: traffic.workers });
  const events = [];
  let seq = 0;
  const push = (at, run) => events.push({ at, seq: seq++, run });
  traffic.requests.forEach((r, i) => push(r.at, () => {
    const d = model.arrive(i, r.worker, r, r.at);
    if (d.outcome === 'blocked') return;
    const up = r.at + (d.waitMs ?? 0);
    push(up + r.reply.latency, () => model.respond(i, r.reply, up + r.reply.latency));
    if (r.abort !== null) push(r.at + r.abort, () => model.abort(i, r.at + r.abort));
  }));
  for (const r of traffic.restarts ?? []) push(r.at, () => model.restart(r.worker));
  while (events.length) {
    events.sort((a, b) => a.at - b.at || a.seq - b.seq);
    events.shift().run();
  }
  return model.edges;
}

// Adds, at up to four of those instants t, copies of the request that set
// it at t-1, t and t+1: one millisecond either side of where a window or an
// open period ends is where an off-by-one shows.
function sharpen(policy, traffic, seed, Model) {
  const rng = new Rng(seed ^ 0x5bd1e995);
  const edges = edgesOf(policy, traffic, Model).filter((e) => e.id !== undefined && e.at > 0);
  const extra = [];
  for (let k = 0; k < 4 && edges.length; k++) {
    const e = edges.splice(rng.int(edges.length), 1)[0];
    const template = traffic.requests[e.id];
    for (const at of [e.at - 1, e.at, e.at + 1]) {
      extra.push({ ...template, at, worker: rng.int(traffic.workers), abort: null, headers: [...template.headers] });
    }
  }
  const requests = [...traffic.requests, ...extra].sort((a, b) => a.at - b.at);
  return { workers: traffic.workers, requests, restarts: traffic.restarts };
}

// ---- rendering a traffic as docs/traffic.md writes it ------------------------------

const ms = (n) => (n === 0 ? '0' : `${n}ms`);
const word = (s) => (/[\s"#]/.test(s) || s === '' ? `"${s.replace(/["\\]/g, '\\$&')}"` : s);

function renderRequest(r) {
  const parts = [ms(r.at), r.method, word(r.path)];
  if (r.authority !== 'localhost') parts.push(`host=${word(r.authority)}`);
  for (const [k, v] of r.headers) parts.push(`${k}=${word(v)}`);
  if (r.grpc) parts.push('grpc');
  const rep = r.reply;
  if (r.grpc && rep.grpcStatus !== null) parts.push('->', 'grpc', rep.grpcStatus, ...(rep.trailersOnly ? ['trailers-only'] : []), ms(rep.latency));
  else parts.push('->', rep.status, ms(rep.latency));
  if (r.abort !== null) parts.push('abort', ms(r.abort));
  parts.push('worker', r.worker, 'peer', r.peer);
  return parts.join(' ');
}

function renderTraffic(t) {
  const restarts = (t.restarts ?? []).map((r) => `${ms(r.at)} restart worker ${r.worker}\n`).join('');
  return `workers ${t.workers}\n${t.requests.map(renderRequest).join('\n')}\n${restarts}`;
}

module.exports = { Rng, genPolicy, genTraffic, sharpen, renderPolicy, renderTraffic, renderRequest };
