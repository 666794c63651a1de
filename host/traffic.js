// traffic.js: parser of sentc's traffic files (see docs/traffic.md).
//
// Why: users and the test suite describe recorded or synthetic traffic (requests at
// virtual times, rates that ramp, Poisson or jittered arrivals, values and upstream
// answers drawn per request, an upstream that degrades for a while, aborts, VM
// restarts) and the outcomes they expect in a small line-based text format; this
// turns it into plain objects (one *source* per line, expanded lazily into requests
// by expand.js) and reports malformed lines as `file:line: error: ...`.
'use strict';

const { parseDraw, parseTemplate, templateNames } = require('./draws.js');

const MAX_REQUESTS = 1_000_000;
const DEFAULT_PORT = 40000;
const DEFAULT_LATENCY_NS = 10e6;

class TrafficError extends Error {
  constructor(file, line, message) {
    super(`${file}:${line}: error: ${message}`);
    this.name = 'TrafficError';
    this.file = file;
    this.line = line;
  }
}

const UNIT_NS = { us: 1e3, ms: 1e6, s: 1e9, m: 60e9 };

// "0", "250us", "20ms", "1.5s", "2m" -> integer nanoseconds, or null.
function parseDuration(text) {
  if (text === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)(us|ms|s|m)$/.exec(text);
  return m ? Math.round(Number(m[1]) * UNIT_NS[m[2]]) : null;
}

// The inverse, in the largest unit that keeps the number at least 1.
function formatDuration(ns) {
  if (ns === 0) return '0';
  if (ns % 60e9 === 0) return `${ns / 60e9}m`;
  if (ns >= 1e9) return `${ns / 1e9}s`;
  if (ns >= 1e6) return `${ns / 1e6}ms`;
  return `${ns / 1e3}us`;
}

// "50%" or "0.5" -> 0.5; null when it is neither.
function parseFraction(text) {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  if (!m) return null;
  return m[2] ? Number(m[1]) / 100 : Number(m[1]);
}

const ESCAPES = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' };

// Splits a line into tokens. "..." quotes (with \" \\ \n \t \r escapes) may appear
// anywhere in a token (x-note="two words"); # outside quotes at a token start begins
// a comment.
function tokenize(line, fail) {
  const tokens = [];
  let i = 0;
  for (;;) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length || line[i] === '#') return tokens;
    let text = '';
    while (i < line.length && !/\s/.test(line[i])) {
      if (line[i] !== '"') { text += line[i++]; continue; }
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) { i++; text += ESCAPES[line[i]] ?? line[i]; } else text += line[i];
        i++;
      }
      if (i >= line.length) fail('unterminated "string"');
      i++;
    }
    tokens.push(text);
  }
}

// The inverse of tokenize for one token: quoted (with escapes) when it would not
// read back as itself.
function quote(text) {
  if (text !== '' && !/[\s"\\]/.test(text) && !text.startsWith('#')) return text;
  return `"${text.replace(/[\\"\n\t\r]/g, (c) => ({ '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c] ?? `\\${c}`)}"`;
}

// Walks the tokens of one line; every `expect...` method fails with a clear message.
class Cursor {
  constructor(tokens, fail) {
    this.tokens = tokens;
    this.i = 0;
    this.fail = fail;
  }

  get done() { return this.i >= this.tokens.length; }
  peek() { return this.tokens[this.i]; }
  next() { return this.tokens[this.i++]; }

  word(what) {
    if (this.done) this.fail(`missing ${what}`);
    return this.next();
  }

  int(what, min = 0, max = Number.MAX_SAFE_INTEGER) {
    const t = this.word(what);
    if (!/^\d+$/.test(t) || Number(t) < min || Number(t) > max) {
      this.fail(`${what} must be a whole number from ${min} to ${max}, got "${t}"`);
    }
    return Number(t);
  }

  duration(what) {
    const t = this.word(what);
    const ns = parseDuration(t);
    if (ns === null) this.fail(`bad ${what} "${t}" (write e.g. 0, 250us, 20ms, 1.5s, 2m)`);
    return ns;
  }

  end() {
    if (!this.done) this.fail(`unexpected "${this.peek()}"`);
  }
}

// A peer address as Envoy prints it ("ip:port", "[v6]:port"); a default port if none.
function address(text, fail) {
  if (!/^[0-9A-Za-z.:[\]_-]+$/.test(text)) fail(`bad address "${text}"`);
  if (/^[^:]+:\d+$/.test(text) || /^\[.*\]:\d+$/.test(text)) return text;
  return text.includes(':') ? `[${text}]:${DEFAULT_PORT}` : `${text}:${DEFAULT_PORT}`;
}

// `T1..T2` -> { from, to } in ns.
function timeRange(cur) {
  const range = cur.word('time range');
  const parts = range.split('..');
  const [from, to] = parts.map(parseDuration);
  if (parts.length !== 2 || from === null || to === null) cur.fail(`bad time range "${range}" (write e.g. 0s..1s)`);
  if (to < from) cur.fail(`time range "${range}" ends before it starts`);
  return { from, to };
}

// ---- upstream answers -----------------------------------------------------------------

// An optional latency, `D` or `D1..D2` (drawn uniformly): consumed only if the next
// token is one. -> { min, max } in ns, or null.
function maybeLatency(cur) {
  if (cur.done) return null;
  const parts = cur.peek().split('..');
  const ns = parts.map(parseDuration);
  if (parts.length > 2 || ns.includes(null)) return null;
  cur.next();
  if (ns.length === 2 && ns[1] < ns[0]) cur.fail(`latency range "${parts.join('..')}" ends before it starts`);
  return { min: ns[0], max: ns.at(-1) };
}

// `STATUS [LATENCY]` or `grpc CODE [trailers-only] [LATENCY]`: one upstream answer.
function choice(cur) {
  if (cur.peek() === 'grpc') {
    cur.next();
    const grpcStatus = cur.int('grpc status', 0, 16);
    const trailersOnly = cur.peek() === 'trailers-only' && !!cur.next();
    return { status: 200, grpcStatus, latency: maybeLatency(cur), ...(trailersOnly && { trailersOnly }) };
  }
  return { status: cur.int('status', 100, 599), grpcStatus: null, latency: maybeLatency(cur) };
}

const isPercent = (t) => /^\d+(\.\d+)?%$/.test(t ?? '');

// One answer, or `P% ANSWER P% ANSWER...` drawn per request (the percentages add up
// to 100%). -> an array of { percent, status, grpcStatus, latency, trailersOnly? }.
function answer(cur) {
  if (!isPercent(cur.peek())) return [{ percent: 100, ...choice(cur) }];
  const choices = [];
  while (isPercent(cur.peek())) {
    const percent = Number(cur.next().slice(0, -1));
    if (!(percent > 0)) cur.fail('a percentage must be above 0%');
    choices.push({ percent, ...choice(cur) });
  }
  const total = choices.reduce((a, c) => a + c.percent, 0);
  if (Math.abs(total - 100) > 1e-9) cur.fail(`answer percentages add up to ${+total.toFixed(6)}%, not 100%`);
  return choices;
}

// ---- requests -------------------------------------------------------------------------

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

// The default time a connection stays open, when its line does not say.
const DEFAULT_CONNECTION_NS = 100e6;

// `connect PORT [for D] [closed-by upstream] [abort D] [worker N] [peer ADDR]`: a TCP
// connection to the listener on PORT, through the network filter; it stays open for D
// (default 100 ms), then the client closes it (or the upstream, or the client resets
// it after the abort delay).
function connection(cur, refs) {
  cur.next();
  const port = cur.int('listener port', 1, 65535);
  const req = { method: 'TCP', path: `:${port}`, headers: [], authority: null, grpc: false, reply: null, abortNs: null, worker: null, peer: null,
    connect: { port, openNs: DEFAULT_CONNECTION_NS, closedBy: 'client' } };
  while (!cur.done) {
    const t = cur.next();
    if (t === 'for') req.connect.openNs = cur.duration('how long it stays open');
    else if (t === 'closed-by') {
      const by = cur.word('"client" or "upstream"');
      if (by !== 'client' && by !== 'upstream') cur.fail(`closed-by takes client or upstream, got "${by}"`);
      req.connect.closedBy = by;
    } else if (t === 'abort') req.abortNs = cur.duration('abort delay');
    else if (t === 'worker') req.worker = cur.int('worker');
    else if (t === 'peer') req.peer = peerOption(cur, refs);
    else cur.fail(`unknown connection option "${t}" (expected for D, closed-by upstream, abort D, worker N or peer ADDR)`);
  }
  req.draws = req.peer !== null && typeof req.peer !== 'string';
  return req;
}

// METHOD PATH [options]: one request (paths, header values and peers may hold ${NAME}),
// or `connect PORT ...`: one TCP connection.
function request(cur, refs) {
  if (cur.peek() === 'connect') return connection(cur, refs);
  const method = cur.word('method');
  if (!/^[A-Z][A-Z-]*$/.test(method)) cur.fail(`expected a method such as GET, got "${method}"`);
  const path = cur.word('path');
  if (!path.startsWith('/')) cur.fail(`path must start with "/", got "${path}"`);
  const req = { method, path: template(cur, path, refs), headers: [], authority: null, grpc: false, reply: null, abortNs: null, worker: null, peer: null };
  while (!cur.done) requestOption(cur, req, refs);
  // Whether each request of the line draws a value (else they share its strings).
  req.draws = [req.path, req.authority, req.peer, ...req.headers.map(([, v]) => v)].some((v) => v !== null && typeof v !== 'string');
  return req;
}

function template(cur, text, refs) {
  const tpl = parseTemplate(text, cur.fail);
  for (const name of templateNames(tpl)) refs.push({ name, fail: cur.fail });
  return tpl;
}

function requestOption(cur, req, refs) {
  const t = cur.next();
  if (t === '->') req.reply = answer(cur);
  else if (t === 'abort') req.abortNs = cur.duration('abort delay');
  else if (t === 'worker') req.worker = cur.int('worker');
  else if (t === 'peer') req.peer = peerOption(cur, refs);
  else if (t === 'grpc') req.grpc = true;
  else if (t.includes('=')) header(cur, req, t, refs);
  else cur.fail(`unknown request option "${t}" (expected name=value, -> STATUS, abort, worker, peer or grpc)`);
}

// A literal address is checked now; one with ${NAME} when each request is built.
function peerOption(cur, refs) {
  const tpl = template(cur, cur.word('peer address'), refs);
  return typeof tpl === 'string' ? address(tpl, cur.fail) : tpl;
}

function header(cur, req, token, refs) {
  const eq = token.indexOf('=');
  const name = token.slice(0, eq).toLowerCase();
  if (!HEADER_NAME.test(name)) cur.fail(`bad header name "${token.slice(0, eq)}"`);
  const value = template(cur, token.slice(eq + 1), refs);
  if (name === 'host') req.authority = value;
  else req.headers.push([name, value]);
}

// ---- expectations -------------------------------------------------------------------

const OUTCOMES = ['requests', 'passed', 'held', 'blocked', 'shadow', 'aborted', 'reset', 'trap', 'killed'];

// `N`, `>=N`, `<=N` or `N..M`.
function countSpec(cur) {
  const t = cur.word('expected count');
  let m;
  if ((m = /^(\d+)$/.exec(t))) return { min: Number(m[1]), max: Number(m[1]), text: t };
  if ((m = /^>=(\d+)$/.exec(t))) return { min: Number(m[1]), max: Infinity, text: t };
  if ((m = /^<=(\d+)$/.exec(t))) return { min: 0, max: Number(m[1]), text: t };
  if ((m = /^(\d+)\.\.(\d+)$/.exec(t))) return { min: Number(m[1]), max: Number(m[2]), text: t };
  return cur.fail(`bad expected count "${t}" (write N, >=N, <=N or N..M)`);
}

function what(cur) {
  const t = cur.word('what to count');
  if (t === 'status') return { status: cur.int('status', 100, 599) };
  if (t === 'grpc-status') return { grpcStatus: cur.int('grpc status', 0, 16) };
  if (t === 'header' || t === 'upstream-header') return headerCheck(cur, t);
  if (OUTCOMES.includes(t)) return { outcome: t };
  return cur.fail(`unknown expectation "${t}" (expected ${OUTCOMES.join(', ')}, status N, grpc-status N, header NAME[=VALUE] or upstream-header NAME[=VALUE])`);
}

// `header NAME[=VALUE]` (the response the client got) or `upstream-header
// NAME[=VALUE]` (the request the upstream got): present, or with exactly VALUE.
function headerCheck(cur, t) {
  const spec = cur.word('header name');
  const eq = spec.indexOf('=');
  const name = (eq < 0 ? spec : spec.slice(0, eq)).toLowerCase();
  if (!HEADER_NAME.test(name)) cur.fail(`bad header name "${name}"`);
  return { header: { side: t === 'header' ? 'response' : 'upstream', name, value: eq < 0 ? null : spec.slice(eq + 1) } };
}

function selector(cur, where) {
  const t = cur.next();
  if (t === 'in') Object.assign(where, timeRange(cur));
  else if (t === 'path') where.path = cur.word('path prefix');
  else if (t === 'method') where.method = cur.word('method');
  else if (t === 'worker') where.worker = cur.int('worker');
  else if (t === 'port') where.port = cur.int('listener port', 1, 65535);
  else if (t === 'by') where.by = verdictName(cur);
  else cur.fail(`unknown selector "${t}" (expected in T1..T2, path PREFIX, method M, worker N, port P or by RESOURCE[/RULE])`);
}

// `by RESOURCE` or `by RESOURCE/RULE`: the rule the module's verdict names.
function verdictName(cur) {
  const t = cur.word('resource after "by"');
  const m = /^([^/\s.]+)(?:\/([^/\s.]+))?$/.exec(t);
  if (!m) cur.fail(`bad "by ${t}" (write by RESOURCE or by RESOURCE/RULE, e.g. by checkout/flow)`);
  return { resource: m[1], rule: m[2] ?? null };
}

function expectation(cur, line, text) {
  if (cur.peek() === 'metric') {
    cur.next();
    const name = cur.word('metric name');
    const count = countSpec(cur);
    cur.end();
    return { line, text, metric: name, count };
  }
  const count = countSpec(cur);
  const w = what(cur);
  const where = {};
  while (!cur.done) selector(cur, where);
  return { line, text, count, ...w, where };
}

// ---- file structure -------------------------------------------------------------------

const SETTINGS = ['workers', 'upstream', 'peer', 'config', 'seed', 'draw'];

function settingLine(cur, keyword, line, traffic) {
  if (keyword === 'workers') traffic.workers = cur.int('worker count', 1, 1024);
  else if (keyword === 'upstream') return upstreamLine(cur, line, traffic);
  else if (keyword === 'peer') traffic.peer = address(cur.word('peer address'), cur.fail);
  else if (keyword === 'config') traffic.config = cur.word('configuration string');
  else if (keyword === 'seed') traffic.seed = cur.int('seed');
  else if (keyword === 'draw') {
    const draw = parseDraw(cur, line);
    if (traffic.draws.has(draw.name)) cur.fail(`draw "${draw.name}" is already defined on line ${traffic.draws.get(draw.name).line}`);
    traffic.draws.set(draw.name, draw);
  }
  return cur.end();
}

// `upstream ANSWER`: the default answer (a latency left out is 10 ms);
// `upstream ANSWER in T1..T2`: the answer for requests sent in that range.
function upstreamLine(cur, line, traffic) {
  const choices = answer(cur);
  if (cur.peek() === 'in') {
    cur.next();
    traffic.upstreamRanges.push({ line, ...timeRange(cur), answer: choices });
  } else {
    traffic.upstream = choices.map((c) => ({ ...c, latency: c.latency ?? { min: DEFAULT_LATENCY_NS, max: DEFAULT_LATENCY_NS } }));
  }
  cur.end();
}

// TIME ...: a request, a repeat/rate block, a worker restart, a clock change or a
// new plugin configuration (`config` and the rest of the line as it is, or one
// "quoted" string).
function eventLine(cur, at, line, traffic, raw) {
  const kind = cur.peek();
  if (kind === 'config') {
    const rest = raw.slice(raw.indexOf('config') + 'config'.length).trim();
    const text = rest.startsWith('"') ? (cur.next(), cur.word('configuration')) : rest;
    if (rest.startsWith('"')) cur.end();
    return traffic.sources.push({ kind: 'config', line, at, text });
  }
  if (kind === 'repeat' || kind === 'rate') return burst(cur, at, line, traffic);
  if (kind === 'restart') {
    cur.next();
    if (cur.word('"worker"') !== 'worker') cur.fail('write "restart worker N"');
    traffic.sources.push({ kind: 'restart', line, at, worker: cur.int('worker') });
    return cur.end();
  }
  if (kind === 'clock') return clockChange(cur, at, line, traffic);
  countRequests(traffic, 1, cur);
  return traffic.sources.push({ kind: 'request', line, at, key: streamKey(cur, traffic), request: request(cur, traffic.refs) });
}

// What a line's random streams are keyed by: its own words, and how many lines with
// the same words came before, so that adding, removing or moving other lines
// (comments, expectations, other requests) never changes what this one draws.
function streamKey(cur, traffic) {
  const words = cur.tokens.join('\u0000');
  const n = traffic.keys.get(words) ?? 0;
  traffic.keys.set(words, n + 1);
  return `${words}\u0000${n}`;
}

function clockChange(cur, at, line, traffic) {
  cur.next();
  const t = cur.word('clock change');
  const event = { kind: 'clock', line, at, op: t, deltaNs: 0 };
  if (/^[+-]/.test(t)) {
    const ns = parseDuration(t.slice(1));
    if (ns === null) cur.fail(`bad clock jump "${t}" (write e.g. -2s or +500ms)`);
    Object.assign(event, { op: 'jump', deltaNs: t[0] === '-' ? -ns : ns });
  } else if (t !== 'freeze' && t !== 'resume') cur.fail(`bad clock change "${t}" (expected +D, -D, freeze or resume)`);
  traffic.sources.push(event);
  cur.end();
}

// `R/s` or `R/m` -> requests per second, or null.
function perSecond(text) {
  const m = /^(\d+(?:\.\d+)?)\/(s|m)$/.exec(text);
  return m ? Number(m[1]) / (m[2] === 'm' ? 60 : 1) : null;
}

// `repeat N over D [ARRIVALS] REQUEST` or `rate R[..R2] for D [ARRIVALS] REQUEST`.
function burst(cur, at, line, traffic) {
  const source = { kind: 'burst', line, at, key: streamKey(cur, traffic), count: null, durationNs: 0, rates: null, arrivals: { kind: 'even', fraction: 0 } };
  let expected;
  if (cur.next() === 'repeat') {
    source.count = expected = cur.int('repeat count', 1, MAX_REQUESTS);
    if (cur.word('"over"') !== 'over') cur.fail('write "repeat N over DURATION REQUEST"');
    source.durationNs = cur.duration('duration');
  } else {
    const r = cur.word('rate');
    const ends = r.split('..').map(perSecond);
    if (ends.length > 2 || ends.includes(null) || (ends.length === 1 && !(ends[0] > 0)) || !(ends[0] + ends.at(-1) > 0)) {
      cur.fail(`bad rate "${r}" (write e.g. 100/s, 30/m or 10/s..300/s)`);
    }
    source.rates = { from: ends[0], to: ends.at(-1) };
    if (cur.word('"for"') !== 'for') cur.fail('write "rate R/s for DURATION REQUEST"');
    source.durationNs = cur.duration('duration');
    expected = Math.round(((source.rates.from + source.rates.to) / 2) * source.durationNs / 1e9);
  }
  source.arrivals = arrivals(cur);
  countRequests(traffic, expected, cur);
  source.request = request(cur, traffic.refs);
  traffic.sources.push(source);
}

// `even` (the default), `poisson` or `jitter F` (F a fraction of the spacing, 0..1].
function arrivals(cur) {
  const t = cur.peek();
  if (t === 'even' || t === 'poisson') return { kind: cur.next(), fraction: 0 };
  if (t !== 'jitter') return { kind: 'even', fraction: 0 };
  cur.next();
  const text = cur.word('jitter fraction');
  const fraction = parseFraction(text);
  if (fraction === null || !(fraction > 0) || fraction > 1) cur.fail(`bad jitter "${text}" (a fraction of the spacing above 0 and at most 1, e.g. 30% or 0.3)`);
  return { kind: 'jitter', fraction };
}

function countRequests(traffic, n, cur) {
  traffic.requestCount += n;
  if (traffic.requestCount > MAX_REQUESTS) cur.fail(`more than ${MAX_REQUESTS} requests`);
}

// Every ${NAME} names a draw (draw lines may come anywhere in the file).
function checkRefs(traffic) {
  for (const { name, fail } of traffic.refs) {
    if (!traffic.draws.has(name)) {
      const known = [...traffic.draws.keys()];
      fail(`no draw named "${name}" (${known.length ? `defined: ${known.join(', ')}` : 'define it with a line "draw NAME ..."'})`);
    }
  }
  delete traffic.refs;
}

// Parses a whole traffic file. Throws TrafficError on the first malformed line.
function parseTraffic(text, file = '<traffic>') {
  const traffic = {
    file, workers: null, peer: null, config: '', seed: null, requestCount: 0,
    upstream: [{ percent: 100, status: 200, grpcStatus: null, latency: { min: DEFAULT_LATENCY_NS, max: DEFAULT_LATENCY_NS } }],
    upstreamRanges: [], draws: new Map(), sources: [], expects: [], refs: [], keys: new Map(),
  };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const fail = (msg) => { throw new TrafficError(file, line, msg); };
    const cur = new Cursor(tokenize(raw, fail), fail);
    if (cur.done) return;
    const first = cur.next();
    if (SETTINGS.includes(first)) return settingLine(cur, first, line, traffic);
    if (first === 'expect') return traffic.expects.push(expectation(cur, line, raw.trim()));
    const at = parseDuration(first);
    if (at === null) fail(`expected a time (e.g. 0ms, 1.5s) or one of ${SETTINGS.join(', ')}, expect; got "${first}"`);
    if (cur.done) fail('missing request after the time');
    return eventLine(cur, at, line, traffic, raw);
  });
  checkRefs(traffic);
  delete traffic.keys;
  return traffic;
}

module.exports = {
  parseTraffic, parseDuration, formatDuration, quote, address, TrafficError, MAX_REQUESTS,
};
