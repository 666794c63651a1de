// traffic.js: parser of sentc's traffic files (see docs/traffic.md).
//
// Why: users and the test suite describe recorded or synthetic traffic (requests at
// virtual times, upstream answers, aborts, VM restarts) and the outcomes they expect
// in a small line-based text format; this turns it into plain objects for
// simulate.js and reports malformed lines as `file:line: error: ...`.
'use strict';

const MAX_REQUESTS = 1_000_000;
const DEFAULT_PORT = 40000;

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

  // An optional duration: consumed only if the next token is one.
  maybeDuration() {
    if (this.done || parseDuration(this.peek()) === null) return null;
    return parseDuration(this.next());
  }

  end() {
    if (!this.done) this.fail(`unexpected "${this.peek()}"`);
  }
}

// A peer address as Envoy prints it ("ip:port", "[v6]:port"); a default port if none.
function address(text, cur) {
  if (!/^[0-9A-Za-z.:[\]_-]+$/.test(text)) cur.fail(`bad address "${text}"`);
  if (/^[^:]+:\d+$/.test(text) || /^\[.*\]:\d+$/.test(text)) return text;
  return text.includes(':') ? `[${text}]:${DEFAULT_PORT}` : `${text}:${DEFAULT_PORT}`;
}

// `STATUS [LATENCY]` or `grpc CODE [LATENCY]`: an upstream answer.
function reply(cur) {
  if (cur.peek() === 'grpc') {
    cur.next();
    const grpcStatus = cur.int('grpc status', 0, 16);
    const trailersOnly = cur.peek() === 'trailers-only' && !!cur.next();
    return { status: 200, grpcStatus, latencyNs: cur.maybeDuration(), ...(trailersOnly && { trailersOnly }) };
  }
  return { status: cur.int('status', 100, 599), grpcStatus: null, latencyNs: cur.maybeDuration() };
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

// METHOD PATH [options]: one request.
function request(cur) {
  const method = cur.word('method');
  if (!/^[A-Z][A-Z-]*$/.test(method)) cur.fail(`expected a method such as GET, got "${method}"`);
  const path = cur.word('path');
  if (!path.startsWith('/')) cur.fail(`path must start with "/", got "${path}"`);
  const req = { method, path, headers: [], authority: null, grpc: false, reply: null, abortNs: null, worker: null, peer: null };
  while (!cur.done) requestOption(cur, req);
  return req;
}

function requestOption(cur, req) {
  const t = cur.next();
  if (t === '->') req.reply = reply(cur);
  else if (t === 'abort') req.abortNs = cur.duration('abort delay');
  else if (t === 'worker') req.worker = cur.int('worker');
  else if (t === 'peer') req.peer = address(cur.word('peer address'), cur);
  else if (t === 'grpc') req.grpc = true;
  else if (t.includes('=')) header(cur, req, t);
  else cur.fail(`unknown request option "${t}" (expected name=value, -> STATUS, abort, worker, peer or grpc)`);
}

function header(cur, req, token) {
  const eq = token.indexOf('=');
  const name = token.slice(0, eq).toLowerCase();
  if (!HEADER_NAME.test(name)) cur.fail(`bad header name "${token.slice(0, eq)}"`);
  const value = token.slice(eq + 1);
  if (name === 'host') req.authority = value;
  else req.headers.push([name, value]);
}

// ---- expectations -------------------------------------------------------------------

const OUTCOMES = ['requests', 'passed', 'held', 'blocked', 'aborted', 'reset', 'trap', 'killed'];

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
  if (t === 'in') {
    const range = cur.word('time range');
    const parts = range.split('..');
    const [from, to] = parts.map(parseDuration);
    if (parts.length !== 2 || from === null || to === null) cur.fail(`bad time range "${range}" (write e.g. 0s..1s)`);
    if (to < from) cur.fail(`time range "${range}" ends before it starts`);
    Object.assign(where, { from, to });
  } else if (t === 'path') where.path = cur.word('path prefix');
  else if (t === 'method') where.method = cur.word('method');
  else if (t === 'worker') where.worker = cur.int('worker');
  else cur.fail(`unknown selector "${t}" (expected in T1..T2, path PREFIX, method M or worker N)`);
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

function settingLine(cur, keyword, traffic) {
  if (keyword === 'workers') traffic.workers = cur.int('worker count', 1, 1024);
  else if (keyword === 'upstream') {
    const r = reply(cur);
    traffic.upstream = { ...r, latencyNs: r.latencyNs ?? traffic.upstream.latencyNs };
  } else if (keyword === 'peer') traffic.peer = address(cur.word('peer address'), cur);
  else if (keyword === 'config') traffic.config = cur.word('configuration string');
  else if (keyword === 'seed') traffic.seed = cur.int('seed');
  cur.end();
}

// TIME ...: a request, a repeat/rate block, a worker restart or a clock change.
function eventLine(cur, at, line, traffic) {
  const kind = cur.peek();
  if (kind === 'repeat' || kind === 'rate') return burst(cur, at, line, traffic);
  if (kind === 'restart') {
    cur.next();
    if (cur.word('"worker"') !== 'worker') cur.fail('write "restart worker N"');
    traffic.events.push({ kind: 'restart', line, at, worker: cur.int('worker') });
    return cur.end();
  }
  if (kind === 'clock') return clockChange(cur, at, line, traffic);
  addRequest(traffic, { kind: 'request', line, at, ...request(cur) }, cur);
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
  traffic.events.push(event);
  cur.end();
}

// `repeat N over D REQUEST` or `rate R/s for D REQUEST`: evenly spaced copies.
function burst(cur, at, line, traffic) {
  let count;
  let spacing;
  if (cur.next() === 'repeat') {
    count = cur.int('repeat count', 1, MAX_REQUESTS);
    if (cur.word('"over"') !== 'over') cur.fail('write "repeat N over DURATION REQUEST"');
    spacing = cur.duration('duration') / count;
  } else {
    const r = cur.word('rate');
    const m = /^(\d+(?:\.\d+)?)\/(s|m)$/.exec(r);
    if (!m || Number(m[1]) <= 0) cur.fail(`bad rate "${r}" (write e.g. 100/s or 30/m)`);
    const perSecond = Number(m[1]) / (m[2] === 'm' ? 60 : 1);
    if (cur.word('"for"') !== 'for') cur.fail('write "rate R/s for DURATION REQUEST"');
    count = Math.round(perSecond * cur.duration('duration') / 1e9);
    spacing = 1e9 / perSecond;
  }
  const req = request(cur);
  for (let i = 0; i < count; i++) {
    addRequest(traffic, { kind: 'request', line, at: at + Math.round(i * spacing), ...req }, cur);
  }
}

function addRequest(traffic, event, cur) {
  if (++traffic.requestCount > MAX_REQUESTS) cur.fail(`more than ${MAX_REQUESTS} requests`);
  traffic.events.push(event);
}

// Parses a whole traffic file. Throws TrafficError on the first malformed line.
function parseTraffic(text, file = '<traffic>') {
  const traffic = {
    file, workers: null, peer: null, config: '', seed: null, requestCount: 0,
    upstream: { status: 200, grpcStatus: null, latencyNs: 10e6 },
    events: [], expects: [],
  };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const fail = (msg) => { throw new TrafficError(file, line, msg); };
    const cur = new Cursor(tokenize(raw, fail), fail);
    if (cur.done) return;
    const first = cur.next();
    if (['workers', 'upstream', 'peer', 'config', 'seed'].includes(first)) return settingLine(cur, first, traffic);
    if (first === 'expect') return traffic.expects.push(expectation(cur, line, raw.trim()));
    const at = parseDuration(first);
    if (at === null) fail(`expected a time (e.g. 0ms, 1.5s) or one of workers, upstream, peer, config, seed, expect; got "${first}"`);
    if (cur.done) fail('missing request after the time');
    return eventLine(cur, at, line, traffic);
  });
  return traffic;
}

module.exports = { parseTraffic, parseDuration, formatDuration, TrafficError };
