// diff.js: the differential test of main.wasm against the reference model.
//
//   node diff.js [--seed S] [--policies N] [--traffics M] [--mutate NAME] [--strict [NAME,...]] [--check-self]
//
// For each of N random policies (gen.js) it compiles the policy with $SENTC
// and runs M random traffics through the real main.wasm in the bundled host
// (host/proxywasm.js: several worker VMs, shared data, a virtual clock that
// this file drives) and through model.js in lockstep, comparing every
// decision: passed, held and until when, blocked, forwarded or shadowed and
// by which resource, rule and kind, with which status and grpc-status, and
// every header the filter writes (its fallback's, retry-after, RateLimit
// headers on a block and on a passed request's response, the shadow and
// forward headers upstream).  The host side is read from what Envoy would
// see (the local reply, the request's and the response's headers, the
// stream's release from its pause) and from the module's decision lines
// (docs/metrics.md "Log lines", at trace level: "sentc: passed RES",
// "sentc: blocked RES/RULE kind=KIND status=S", "forwarded", "shadow",
// "held ... wait_ms=N").  At the end of a run the VMs tick once more and the
// counters the module sent (passed, blocked, shadow_blocked, queued, errors,
// slow, breaker_opened, breaker_closed per rule) must be the model's.
// Traffic may restart workers (policies whose state is all per worker; the
// counters are not compared then: a crashed VM's unsent counts are lost).
//
// On the first difference the traffic is shrunk (and then the policy, a
// recompile per try) to a small case that still differs, and printed with
// the policy, the seeds, the first differing decision and a traffic file
// that sentc-host replays.  Exit 1 then, 0 when every decision agreed.
//
// Where main.wasm is known to differ from the documents (model.js
// DEVIATIONS, reported to the lead; none is known now), the model follows
// main.wasm, so the rest stays tested until it is fixed; --strict makes the
// model follow the documents only, --strict NAME,... for those only.
//
// --mutate NAME breaks the model on purpose (window-edge: a bucket is read
// one ms too long; breaker-early: an open breaker half-opens one ms early)
// to show that the comparison catches it: the run must then fail.
// --check-self, after a run where everything agreed, replays the same cases
// with each of those broken models (no compile: the modules are kept) and
// fails unless each is caught, and unless every kind of decision (COVERAGE)
// occurred: a comparison that could not fail would pass otherwise.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { Host, EPOCH_NS } = require('../../host/proxywasm.js');
const { Model, DEVIATIONS, normalizePath } = require('./model.js');
const gen = require('./gen.js');

// ---- options ------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { seed: 1, policies: 20, traffics: 100, mutate: null, checkSelf: false, deviations: Object.keys(DEVIATIONS) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--seed') o.seed = Number(value());
    else if (a === '--policies') o.policies = Number(value());
    else if (a === '--traffics') o.traffics = Number(value());
    else if (a === '--mutate') o.mutate = value();
    else if (a === '--check-self') o.checkSelf = true;
    else if (a === '--strict') {
      // all, or the names that follow (comma-separated)
      const known = Object.keys(DEVIATIONS);
      const names = i + 1 < argv.length && !argv[i + 1].startsWith('--') ? value().split(',') : known;
      for (const n of names) if (!known.includes(n)) usage(`--strict: no known difference ${n} (${known.join(', ')})`);
      o.deviations = o.deviations.filter((d) => !names.includes(d));
    }
    else usage(`unknown option ${a}`);
  }
  for (const k of ['seed', 'policies', 'traffics']) if (!Number.isInteger(o[k]) || o[k] < 0) usage(`--${k} takes a whole number`);
  return o;
}

function usage(message) {
  process.stderr.write(`diff.js: ${message}\nusage: node diff.js [--seed S] [--policies N] [--traffics M] [--mutate window-edge|breaker-early] [--strict [NAME,...]] [--check-self]\n`);
  process.exit(2);
}

// Models broken in a plausible way (see the top of the file).
const MUTATIONS = {
  'window-edge': class extends Model {
    inWindow(events, win, now) {                  // a bucket is read one ms too long
      return events.filter((e) => {
        const s = this.bucketStart(e.t, win);
        return s <= now && now <= s + win.windowMs;
      });
    }
  },
  'breaker-early': class extends Model {
    checkBreaker(rule, ctx) {                     // half-opens one ms early
      const st = this.ruleState(rule, ctx.worker);
      if (st.breaker === 'open' && ctx.now >= st.openUntil - 1) return null;
      return super.checkBreaker(rule, ctx);
    }
  },
};

// ---- compiling ------------------------------------------------------------------------

function compile(policy, dir) {
  const file = path.join(dir, `${policy.name}.sentinel`);
  const wasm = path.join(dir, `${policy.name}.wasm`);
  fs.writeFileSync(file, gen.renderPolicy(policy));
  try {
    execFileSync(process.env.SENTC, [file, '-o', wasm], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`sentc rejected a generated policy (a generator bug):\n${gen.renderPolicy(policy)}${err.stderr}`);
  }
  return new WebAssembly.Module(fs.readFileSync(wasm));
}

// ---- one case: a traffic through the host and the model in lockstep ------------------

// Events in time order, ties in the order they were scheduled (as host/simulate.js).
class Queue {
  constructor() { this.items = []; this.seq = 0; }
  push(at, run) { this.items.push({ at, seq: this.seq++, run }); }
  pop() {
    let best = 0;
    for (let i = 1; i < this.items.length; i++) {
      const a = this.items[i], b = this.items[best];
      if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) best = i;
    }
    return this.items.splice(best, 1)[0];
  }
  peek() {
    let best = null;
    for (const e of this.items) if (!best || e.at < best.at || (e.at === best.at && e.seq < best.seq)) best = e;
    return best;
  }
}

const DRAIN_MS = 600_000;

// The model for this run: its class (a mutation's) and deviations.
const settings = { Model, deviations: [] };

// The headers compared: what the filter writes on a reply (its fallback's,
// retry-after, RateLimit headers), on a request it lets through (shadow,
// forward) and on a passed request's response (RateLimit headers).
const REPLY_HEADERS = new Set(['x-sentinel-blocked', 'x-k', 'retry-after', 'ratelimit-policy', 'ratelimit',
  'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
const UPSTREAM_HEADERS = new Set(['x-sentinel-shadow', 'x-fwd']);
const RESPONSE_HEADERS = new Set(['ratelimit-policy', 'ratelimit', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);

const picked = (map, names) => (map ?? []).filter(([k]) => names.has(k)).map(([k, v]) => `${k}: ${v}`).sort();

// The module's decision lines (docs/metrics.md, "Log lines": debug and
// trace): "sentc: passed RES", "sentc: blocked RES/RULE kind=KIND
// status=S", "sentc: forwarded ...", "sentc: shadow ...", "sentc: held
// RES/RULE kind=KIND wait_ms=N".
const DECISION_LINE = /^sentc: (passed|blocked|forwarded|shadow|held) /;

// The counters compared at the end of a run (docs/metrics.md), as sent.
const COUNTER = /^sentc\.[^.]+\.(passed|(blocked|shadow_blocked|queued|errors|slow|breaker_opened|breaker_closed)\.[^.]+)$/;

// What the host did with a request, in the words of decisionText.
function hostDecision(stream, lines) {
  const d = { lines };
  if (stream.localReply) {
    Object.assign(d, { outcome: 'blocked', status: stream.localReply.status, headers: picked(stream.localReply.headers, REPLY_HEADERS) });
    if (stream.grpc) d.grpcStatus = stream.localReply.grpcStatus;
  } else if (stream.phase === 'paused') {
    d.outcome = 'held';
    d.headers = picked(stream.maps[0], UPSTREAM_HEADERS);
  } else if (stream.upstreamAt !== null) {
    d.outcome = 'upstream';
    d.headers = picked(stream.maps[0], UPSTREAM_HEADERS);
  } else {
    d.outcome = `${stream.outcome ?? stream.phase}${stream.vm.failed ? ` (${stream.vm.failed.message})` : ''}`;
  }
  return d;
}

// The model's decision in the same words.
function modelDecision(m, grpc) {
  const lines = [];
  const who = (b) => `${b.resource}/${b.rule} kind=${b.kind}`;
  if (m.outcome === 'blocked') {
    lines.push(`sentc: blocked ${who(m.block)} status=${m.status}`);
    const d = { outcome: 'blocked', status: m.status, headers: picked(m.headers, REPLY_HEADERS), lines };
    if (grpc) d.grpcStatus = m.grpcStatus;
    return d;
  }
  if (m.outcome === 'forward') {
    lines.push(`sentc: forwarded ${who(m.block)}`);
    return { outcome: 'upstream', headers: picked(m.upstreamHeaders, UPSTREAM_HEADERS), lines };
  }
  for (const r of m.passed) lines.push(`sentc: passed ${r}`);
  const headers = [];
  if (m.shadow) {
    const s = m.shadow;
    const b = { resource: s.rule.resource, rule: s.rule.kind === 'system' ? s.verdict.check : s.rule.name, kind: s.rule.kind };
    lines.push(`sentc: shadow ${who(b)}`);
    headers.push(['x-sentinel-shadow', `${b.resource}/${b.kind}`]);
  }
  if (m.outcome === 'held') lines.push(`sentc: held ${m.holdBy.resource}/${m.holdBy.name} kind=${m.holdBy.kind} wait_ms=${m.waitMs}`);
  return { outcome: m.outcome === 'held' ? 'held' : 'upstream', headers: picked(headers, UPSTREAM_HEADERS), lines };
}

function decisionText(d) {
  const parts = [d.outcome];
  if (d.status !== undefined) parts.push(`status ${d.status}`);
  if (d.grpcStatus !== undefined) parts.push(`grpc-status ${d.grpcStatus}`);
  if (d.headers?.length) parts.push(`headers {${d.headers.join('; ')}}`);
  if (d.lines.length) parts.push(`logged {${d.lines.map((l) => l.replace(/^sentc: /, '')).join('; ')}}`);
  return parts.join(', ');
}

// Runs one traffic; returns {diff: null | {at, index, host, model} (the
// first difference), decisions: per request [main.wasm's, the model's] in
// words, stats: decisions by kind}.
function runCase(module, policy, traffic) {
  const queue = new Queue();
  const tickAt = new Map();
  let now = 0;
  const stats = {};
  let diff = null;
  const streams = [];                 // per request: the host stream
  const held = new Map();             // request index -> model release (virtual ms), while the host holds it
  const decisions = [];               // per request: [host text, model text]

  const lines = [];                   // the module's decision lines of the current callback
  const host = new Host(module, {
    workers: traffic.workers,
    logLevel: 0,                      // trace: the module says what it decided
    onLog: (e) => { if (DECISION_LINE.test(e.message)) lines.push(e.message); },
    hooks: {
      upstream: (s) => {
        const i = s.request.index;
        if (s.wasPaused) released(i);
        const reply = traffic.requests[i].reply;
        queue.push(now + reply.latency, () => respond(i));
      },
      tickPeriod: (vm, ms) => tickAt.set(vm, ms > 0 ? now + ms : null),
    },
  });
  let seed = null;
  const model = new settings.Model(policy, {
    workers: traffic.workers,
    deviations: settings.deviations,
    seed: () => {
      if (!seed) {
        const key = [...host.shared.keys()].find((k) => k.endsWith('/seed'));
        seed = key ? host.shared.get(key).value : Buffer.alloc(16);
      }
      return seed;
    },
  });

  const setTime = (t) => { now = t; host.setTime(EPOCH_NS + BigInt(t) * 1_000_000n); };
  const differ = (index, hostText, modelText) => {
    if (!diff) diff = { at: now, index, host: hostText, model: modelText };
  };
  const seen = (key) => { stats[key] = (stats[key] ?? 0) + 1; };

  function arrive(i) {
    const r = traffic.requests[i];
    lines.length = 0;
    let result;
    const stream = host.vms[r.worker].startHttpStream({
      method: r.method, path: r.path, authority: r.authority, headers: r.headers, grpc: r.grpc, peer: r.peer, index: i,
    });
    streams[i] = stream;
    const hd = hostDecision(stream, [...lines]);
    try {
      result = model.arrive(i, r.worker, { method: r.method, path: r.path, authority: r.authority, headers: r.headers, grpc: r.grpc, peer: r.peer }, now);
    } catch (err) {
      differ(i, decisionText(hd), `model failed: ${err.stack}`);
      return;
    }
    const md = modelDecision(result, r.grpc);
    const kind = result.block?.kind;
    seen(result.outcome === 'blocked' ? `blocked ${kind}${kind === 'system' ? `.${result.block.rule}` : ''}` : result.outcome);
    if (result.shadow) seen('shadow');
    if (md.headers?.some((h) => h.startsWith('retry-after'))) seen(`retry-after ${kind}`);
    if (md.headers?.some((h) => /^(x-)?ratelimit/.test(h))) seen('ratelimit on a block');
    const ht = decisionText(hd);
    const mt = decisionText(md);
    decisions[i] = [ht, mt];
    if (ht !== mt) differ(i, ht, mt);
    else if (result.outcome === 'held') held.set(i, now + result.waitMs);
    if (r.abort !== null) queue.push(now + r.abort, () => abort(i));
  }

  // The host let a paused stream go upstream (from a tick): it must be when
  // the model says.
  function released(i) {
    const due = held.get(i);
    held.delete(i);
    const sent = traffic.requests[i].at;
    decisions[i] = [decisions[i][0].replace(/^held/, `held until +${now - sent}ms`),
      decisions[i][1].replace(/^held/, `held until +${due - sent}ms`)];
    if (due !== now) {
      differ(i, `held, released at ${now}ms (after ${now - traffic.requests[i].at}ms)`,
        `held, released at ${due}ms (after ${due - traffic.requests[i].at}ms)`);
    }
  }

  // The upstream answers: the RateLimit headers the module adds to the
  // response are the model's.
  function respond(i) {
    const s = streams[i];
    const reply = traffic.requests[i].reply;
    if (s.phase !== 'upstream') return;
    if (reply.trailersOnly && s.grpc) {
      s.deliver([[':status', String(reply.status)], ['content-type', 'application/grpc'], ['grpc-status', String(reply.grpcStatus)]],
        Buffer.alloc(0), null);
    } else {
      s.respond({ status: reply.status, grpcStatus: reply.grpcStatus ?? 0 });
    }
    const got = picked(s.maps[2], RESPONSE_HEADERS);
    const want = picked(model.respond(i, reply, now), RESPONSE_HEADERS);
    if (want.length) seen('ratelimit on a response');
    if (got.join('; ') !== want.join('; ')) {
      differ(i, `response headers {${got.join('; ')}}`, `response headers {${want.join('; ')}}`);
    }
  }

  function abort(i) {
    const s = streams[i];
    if (!s.alive || s.phase === 'log') return;
    s.reset('aborted');
    held.delete(i);
    model.abort(i, now);
  }

  // The model releases a held stream before the host does: a difference.
  function checkLate(t) {
    for (const [i, due] of held) {
      if (due < t) differ(i, t === Infinity ? 'still held at the end' : `still held at ${t}ms`, `held, released at ${due}ms (after ${due - traffic.requests[i].at}ms)`);
    }
  }

  // A restart: the VM is replaced; its streams end as `killed`.
  function restart(worker) {
    tickAt.delete(host.vms[worker]);
    host.recreateVm(worker);
    stats.restart = (stats.restart ?? 0) + 1;
    for (const i of [...held.keys()]) if (traffic.requests[i].worker === worker) held.delete(i);
    model.restart(worker);
  }

  traffic.requests.forEach((r, i) => queue.push(r.at, () => arrive(i)));
  for (const r of traffic.restarts ?? []) queue.push(r.at, () => restart(r.worker));
  setTime(0);
  let last = 0;
  while (!diff) {
    let tick = null;
    for (const [vm, at] of tickAt) if (at !== null && (!tick || at < tick.at)) tick = { vm, at };
    const next = queue.peek();
    const paused = streams.some((s) => s && s.phase === 'paused');
    if (!next && !paused) break;
    if (!next && (!tick || tick.at > last + DRAIN_MS)) {
      checkLate(Infinity);
      if (!diff) differ(null, 'streams still paused at the end', 'none');
      break;
    }
    if (tick && (!next || tick.at <= next.at)) {
      checkLate(tick.at);
      if (diff) break;
      setTime(tick.at);
      tickAt.set(tick.vm, tick.at + tick.vm.tickPeriodMs);
      tick.vm.tick();
      continue;
    }
    queue.pop();
    checkLate(next.at);
    if (diff) break;
    setTime(next.at);
    last = next.at;
    next.run();
  }
  if (!diff && host.errors.length) differ(null, host.errors[0].message, 'no trap');
  // The counters, once sent: the module sends what it counted on a tick at
  // least a second after its last send.  (A restarted VM's unsent counts
  // are lost with it: not compared then.)
  if (!diff && !(traffic.restarts ?? []).length) {
    setTime(now + 1000);
    for (const vm of host.vms) vm.tick();
    const sent = new Map([...host.metrics].filter(([name, m]) => COUNTER.test(name) && m.value > 0).map(([name, m]) => [name, m.value]));
    const want = new Map([...model.counts].filter(([, v]) => v > 0));
    const names = [...new Set([...sent.keys(), ...want.keys()])].filter((n) => sent.get(n) !== want.get(n)).sort();
    const text = (m) => names.map((n) => `${n} ${m.get(n) ?? 0}`).join('; ');
    if (names.length) differ(null, `counters sent {${text(sent)}}`, `counters {${text(want)}}`);
  }
  return { diff, decisions, stats };
}

// ---- shrinking ------------------------------------------------------------------------

// Still differs?  (Any difference counts: the first one is what gets printed.)
function failing(module, policy, traffic) {
  return runCase(module, policy, traffic).diff !== null;
}

// Removes requests (halves, quarters, ... single ones), then simplifies the
// ones left, as long as the case still differs.
function shrinkTraffic(module, policy, traffic) {
  let t = traffic;
  const tryWith = (requests, workers = t.workers, restarts = t.restarts) => {
    const candidate = { workers, requests, restarts };
    if (failing(module, policy, candidate)) { t = candidate; return true; }
    return false;
  };
  for (let chunk = Math.ceil(t.requests.length / 2); chunk >= 1; chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
    for (let i = 0; i < t.requests.length;) {
      if (!tryWith([...t.requests.slice(0, i), ...t.requests.slice(i + chunk)])) i += chunk;
    }
  }
  for (let k = (t.restarts ?? []).length - 1; k >= 0; k--) tryWith(t.requests, t.workers, t.restarts.filter((_, j) => j !== k));
  if (t.workers > 1) tryWith(t.requests.map((r) => ({ ...r, worker: 0 })), 1, (t.restarts ?? []).map((r) => ({ ...r, worker: 0 })));
  for (let i = 0; i < t.requests.length; i++) {
    const r = t.requests[i];
    const simpler = [
      { path: '/' }, { path: normalizePath(r.path) ?? r.path }, { abort: null }, { headers: [] }, { authority: 'localhost' }, { method: 'GET' }, { peer: '10.0.0.1:40000' },
      { reply: { ...r.reply, latency: 10 } }, { reply: { status: 200, grpcStatus: r.grpc ? 0 : null, trailersOnly: false, latency: r.reply.latency } },
    ];
    for (const change of simpler) {
      const cur = t.requests[i];
      if (JSON.stringify({ ...cur, ...change }) === JSON.stringify(cur)) continue;
      tryWith(t.requests.map((x, k) => (k === i ? { ...x, ...change } : x)));
    }
    for (let h = t.requests[i].headers.length - 1; h >= 0; h--) {
      const cur = t.requests[i];
      tryWith(t.requests.map((x, k) => (k === i ? { ...cur, headers: cur.headers.filter((_, j) => j !== h) } : x)));
    }
  }
  return t;
}

// Policies without one resource, rule, option...: each try is a compile.
function policyCandidates(p) {
  const out = [];
  const clone = () => structuredClone(p);
  p.resources.forEach((r, i) => {
    if (p.resources.length > 1) {
      const c = clone();
      c.resources.splice(i, 1);
      for (const res of c.resources) res.rules = res.rules.filter((rule) => rule.of !== r.name);
      if (c.resources.every((res) => res.rules.length)) out.push(c);
    }
  });
  p.resources.forEach((r, i) => r.rules.forEach((_, j) => {
    if (r.rules.length < 2) return;
    const c = clone();
    c.resources[i].rules.splice(j, 1);
    out.push(c);
  }));
  if (p.system) {
    const c = clone();
    delete c.system;
    out.push(c);
    for (const k of Object.keys(p.system)) {
      if (Object.keys(p.system).length < 2 || (k === 'concurrency' && p.system.adaptive)) continue;
      const s = clone();
      delete s.system[k];
      out.push(s);
    }
  }
  p.resources.forEach((r, i) => {
    if (r.match) { const c = clone(); c.resources[i].match = null; out.push(c); }
    if (r.fallback) { const c = clone(); delete c.resources[i].fallback; out.push(c); }
  });
  for (const k of ['mode', 'clientIp', 'fallback', 'ratelimitHeaders']) if (p[k]) { const c = clone(); delete c[k]; out.push(c); }
  const text = JSON.stringify({ ...p, fallbacks: {} });
  for (const name of Object.keys(p.fallbacks ?? {})) {
    if (text.includes(`"${name}"`)) continue;                   // named by a rule, resource or the policy
    const c = clone();
    delete c.fallbacks[name];
    out.push(c);
  }
  if (p.scope === 'proxy') { const c = clone(); c.scope = 'worker'; out.push(c); }
  return out;
}

function shrinkPolicy(policy, traffic, dir, budget) {
  let p = policy;
  let module = null;
  for (let progress = true; progress && budget > 0;) {
    progress = false;
    for (const c of policyCandidates(p)) {
      if (budget-- <= 0) break;
      let m;
      try { m = compile(c, dir); } catch { continue; }
      if (failing(m, c, traffic)) { p = c; module = m; progress = true; break; }
    }
  }
  return { policy: p, module };
}

// ---- reporting ------------------------------------------------------------------------

function report(ctx, policy, traffic, result) {
  const d = result.diff;
  const out = [];
  const r = d.index === null ? null : traffic.requests[d.index];
  out.push(`model.test: main.wasm and the model disagree (seed ${ctx.seed}, policy seed ${ctx.policySeed}, traffic seed ${ctx.trafficSeed}${ctx.mutate ? `, model mutated: ${ctx.mutate}` : ''})`);
  out.push(`first difference at ${d.at}ms${r ? `, request #${d.index}: ${gen.renderRequest(r)}` : ''}`);
  out.push(`  main.wasm: ${d.host}`);
  out.push(`  model:     ${d.model}`);
  out.push('', `policy (shrunk from ${ctx.original.resources.length} resources, ${ctx.original.resources.reduce((n, x) => n + x.rules.length, 0)} rules):`);
  out.push(gen.renderPolicy(policy).trimEnd().split('\n').map((l) => `  ${l}`).join('\n'));
  out.push('', `traffic (shrunk from ${ctx.originalRequests} requests; replay: sentc-host run main.wasm FILE --trace):`);
  out.push(gen.renderTraffic(traffic).trimEnd().split('\n').map((l) => `  ${l}`).join('\n'));
  out.push('', 'decisions (main.wasm | model):');
  traffic.requests.forEach((req, i) => {
    const [h, m] = result.decisions[i] ?? ['-', '-'];
    out.push(`  #${i} ${req.at}ms ${req.method} ${req.path}: ${h}${h === m ? '' : `  |  ${m}   <-- differs`}`);
  });
  return `${out.join('\n')}\n`;
}

// ---- main -----------------------------------------------------------------------------

// What a full run must have seen (--check-self), or it proves little.
const COVERAGE = ['passed', 'held', 'blocked flow', 'blocked concurrency', 'blocked hotspot', 'blocked breaker',
  'blocked system.qps', 'blocked system.concurrency', 'blocked system.adaptive', 'blocked system.avg_rt',
  'forward', 'shadow', 'retry-after flow', 'retry-after hotspot', 'retry-after concurrency', 'retry-after breaker',
  'retry-after system', 'ratelimit on a block', 'ratelimit on a response', 'restart'];

// Runs every case; on the first difference shrinks and reports it.  Returns
// the compiled policies (for the self-check) or null after a difference.
function runAll(o, dir, totals, outcomes) {
  const compiled = [];
  for (let p = 0; p < o.policies; p++) {
    const policySeed = o.seed * 100_000 + p;
    const policy = gen.genPolicy(policySeed);
    const module = compile(policy, dir);
    compiled.push({ policySeed, policy, module });
    for (let t = 0; t < o.traffics; t++) {
      const trafficSeed = policySeed * 1000 + t;
      const traffic = gen.sharpen(policy, gen.genTraffic(policy, trafficSeed), trafficSeed, Model);
      const result = runCase(module, policy, traffic);
      totals.cases++;
      totals.requests += traffic.requests.length;
      for (const [k, v] of Object.entries(result.stats)) outcomes[k] = (outcomes[k] ?? 0) + v;
      if (!result.diff) continue;
      const small = shrinkTraffic(module, policy, traffic);
      const { policy: sp, module: sm } = shrinkPolicy(policy, small, dir, 60);
      const final = sm ? shrinkTraffic(sm, sp, small) : small;
      const fr = runCase(sm ?? module, sp, final);
      process.stdout.write(report({ seed: o.seed, policySeed, trafficSeed, mutate: o.mutate, original: policy,
        originalRequests: traffic.requests.length }, sp, final, fr));
      return null;
    }
  }
  return compiled;
}

// The same cases with each mutated model must differ somewhere, or the
// comparison is blind to that kind of mistake.  Returns the failures.
function selfCheck(o, compiled) {
  const failures = [];
  for (const [name, Mutated] of Object.entries(MUTATIONS)) {
    settings.Model = Mutated;
    let caught = null;
    for (const { policySeed, policy, module } of compiled) {
      for (let t = 0; t < o.traffics && !caught; t++) {
        const seed = policySeed * 1000 + t;
        const traffic = gen.sharpen(policy, gen.genTraffic(policy, seed), seed, Model);
        if (runCase(module, policy, traffic).diff) caught = `policy seed ${policySeed}, traffic ${t}`;
      }
      if (caught) break;
    }
    settings.Model = Model;
    if (caught) process.stdout.write(`  mutation ${name}: caught (${caught})\n`);
    else failures.push(`the model mutated by ${name} agreed with main.wasm on every case: the comparison cannot see it`);
  }
  return failures;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!process.env.SENTC) usage('set SENTC to the sentc to test');
  if (o.mutate) {
    if (!MUTATIONS[o.mutate]) usage(`unknown mutation ${o.mutate} (${Object.keys(MUTATIONS).join(', ')})`);
    settings.Model = MUTATIONS[o.mutate];
  }
  settings.deviations = o.deviations;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentc-model-'));
  const totals = { cases: 0, requests: 0 };
  const outcomes = {};
  const started = Date.now();
  let compiled;
  try {
    compiled = runAll(o, dir, totals, outcomes);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!compiled) {
    process.exitCode = 1;
    return;
  }
  const kinds = Object.entries(outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  process.stdout.write(`model.test: ${o.policies} policies, ${totals.cases} traffics, ${totals.requests} requests: `
    + `every decision agreed (${((Date.now() - started) / 1000).toFixed(1)}s)\n  decisions: ${kinds}\n`);
  if (o.deviations.length) process.stdout.write(`  the model follows main.wasm where they are known to differ: ${o.deviations.join(', ')}\n`);
  if (!o.checkSelf) return;
  const failures = COVERAGE.filter((k) => !outcomes[k]).map((k) => `no decision "${k}" in the whole run: the generator no longer reaches it`);
  failures.push(...selfCheck(o, compiled));
  for (const f of failures) process.stdout.write(`model.test: ${f}\n`);
  if (failures.length) process.exitCode = 1;
}

if (require.main === module) main();
module.exports = { runCase, compile, settings };
