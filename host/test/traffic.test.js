// traffic.test.js: tests of the traffic file parser (host/traffic.js) and of its
// expansion into requests (host/expand.js): what good lines turn into, and the exact
// `file:line: error: ...` message for malformed ones. The synthetic traffic syntax
// (ramps, Poisson and jittered arrivals, draws, answer mixes, a degraded upstream)
// is in generate.test.js.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { parseTraffic, parseDuration, formatDuration, quote } = require('../traffic.js');
const { events } = require('../expand.js');

const ms10 = { min: 10e6, max: 10e6 };

test('durations', () => {
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('250us'), 250e3);
  assert.equal(parseDuration('1.5ms'), 1.5e6);
  assert.equal(parseDuration('2s'), 2e9);
  assert.equal(parseDuration('2m'), 120e9);
  assert.equal(parseDuration('5'), null);
  assert.equal(parseDuration('-1s'), null);
  assert.equal(formatDuration(1.5e6), '1.5ms');
  assert.equal(formatDuration(120e9), '2m');
});

test('settings, requests with headers, replies, options; comments and blank lines', () => {
  const t = parseTraffic(`# a comment

workers 4
upstream 503 20ms
peer 10.0.0.9
config "{\\"a\\": 1}"
seed 3
0ms  GET  /api/search  x-user-id=u1  Host=shop.example.com  x-note="two words"  # trailing
1.5s POST /shop.Cart/Checkout grpc -> grpc 14 5ms abort 1s worker 2 peer 10.0.0.2:7
`, 'a.traffic');
  assert.equal(t.workers, 4);
  assert.deepEqual(t.upstream, [{ percent: 100, status: 503, grpcStatus: null, latency: { min: 20e6, max: 20e6 } }]);
  assert.equal(t.peer, '10.0.0.9:40000');
  assert.equal(t.config, '{"a": 1}');
  assert.equal(t.seed, 3);
  const [a, b] = [...events(t)];
  assert.deepEqual(a, { kind: 'request', line: 8, at: 0, method: 'GET', path: '/api/search',
    headers: [['x-user-id', 'u1'], ['x-note', 'two words']], authority: 'shop.example.com', grpc: false,
    reply: { status: 503, grpcStatus: null, latencyNs: 20e6 }, abortNs: null, worker: null, peer: null });
  assert.deepEqual(b, { kind: 'request', line: 9, at: 1.5e9, method: 'POST', path: '/shop.Cart/Checkout',
    headers: [], authority: null, grpc: true, reply: { status: 200, grpcStatus: 14, latencyNs: 5e6 },
    abortNs: 1e9, worker: 2, peer: '10.0.0.2:7' });
  assert.deepEqual(t.sources[1].request.reply, [{ percent: 100, status: 200, grpcStatus: 14, latency: { min: 5e6, max: 5e6 } }]);
});

test('an answer without latency takes the upstream\'s; the upstream\'s own default is 10 ms', () => {
  const t = parseTraffic('upstream 200 30ms\n0ms GET /a -> 503\n');
  assert.deepEqual([...events(t)][0].reply, { status: 503, grpcStatus: null, latencyNs: 30e6 });
  assert.deepEqual(parseTraffic('upstream 500\n').upstream, [{ percent: 100, status: 500, grpcStatus: null, latency: ms10 }]);
});

test('events come in time order, at equal times in file order, lazily', () => {
  const t = parseTraffic('1s GET /late\n0s repeat 3 over 2s GET /r\n0s GET /first\n2s restart worker 0\n');
  assert.deepEqual([...events(t)].map((e) => `${e.at}:${e.path ?? e.kind}`),
    ['0:/r', '0:/first', '666666667:/r', '1000000000:/late', '1333333333:/r', '2000000000:restart']);
  const many = parseTraffic('0s rate 1000/s for 1000s GET /a\n');
  const it = events(many);
  assert.equal(it.next().value.at, 0);
  assert.equal(it.next().value.at, 1e6, 'the millionth request is not built before it is asked for');
});

test('repeat and rate spread requests evenly; restart and clock events', () => {
  const t = parseTraffic('1s repeat 4 over 1s GET /x -> 500\n0s rate 2/s for 2s GET /y\n3s restart worker 1\n4s clock -2s\n5s clock freeze\n');
  const all = [...events(t)];
  const times = (p) => all.filter((e) => e.path === p).map((e) => e.at / 1e6);
  assert.deepEqual(times('/x'), [1000, 1250, 1500, 1750]);
  assert.deepEqual(times('/y'), [0, 500, 1000, 1500]);
  assert.deepEqual(all.find((e) => e.path === '/x').reply, { status: 500, grpcStatus: null, latencyNs: 10e6 });
  assert.deepEqual(all.slice(-3).map((e) => [e.kind, e.worker ?? e.op, e.deltaNs ?? null]),
    [['restart', 1, null], ['clock', 'jump', -2e9], ['clock', 'freeze', 0]]);
});

test('expectations: counts, outcomes, statuses, selectors, metrics', () => {
  const t = parseTraffic(`expect 100 passed in 0s..1s
expect >=5 status 429 path /api method POST worker 1
expect 2..3 grpc-status 14
expect <=1 held
expect metric sentc.checkout.passed 100
expect 3 shadow by checkout/flow
expect 4 blocked by system
`);
  const [a, b, c, d, e, f, g] = t.expects;
  assert.deepEqual(a, { line: 1, text: 'expect 100 passed in 0s..1s', count: { min: 100, max: 100, text: '100' }, outcome: 'passed', where: { from: 0, to: 1e9 } });
  assert.deepEqual([b.status, b.count.min, b.count.max, b.where], [429, 5, Infinity, { path: '/api', method: 'POST', worker: 1 }]);
  assert.deepEqual([c.grpcStatus, c.count.min, c.count.max], [14, 2, 3]);
  assert.deepEqual([d.outcome, d.count.min, d.count.max], ['held', 0, 1]);
  assert.deepEqual([e.metric, e.count.min], ['sentc.checkout.passed', 100]);
  assert.deepEqual([f.outcome, f.where], ['shadow', { by: { resource: 'checkout', rule: 'flow' } }]);
  assert.deepEqual(g.where, { by: { resource: 'system', rule: null } });
});

test('quote() writes tokens that read back as themselves', () => {
  for (const text of ['plain', 'two words', 'a"b', 'back\\slash', '#hash', 'mid#ok', 'tab\tnl\nret\r', '', 'é ü']) {
    const t = parseTraffic(`0ms GET /a x=${quote(text)}\n`);
    assert.deepEqual(t.sources[0].request.headers, [['x', text]], text);
  }
  assert.equal(quote('mid#ok'), 'mid#ok');
  assert.equal(quote('two words'), '"two words"');
});

test('malformed lines give file:line: error messages', () => {
  const cases = [
    ['0ms GET api', 'path must start with "/", got "api"'],
    ['0ms get /a', 'expected a method such as GET, got "get"'],
    ['frobnicate 3', 'expected a time (e.g. 0ms, 1.5s) or one of workers, upstream, peer, config, seed, draw, expect; got "frobnicate"'],
    ['10', 'expected a time (e.g. 0ms, 1.5s) or one of workers, upstream, peer, config, seed, draw, expect; got "10"'],
    ['5ms', 'missing request after the time'],
    ['0ms GET /a -> 99', 'status must be a whole number from 100 to 599, got "99"'],
    ['0ms GET /a -> grpc 17', 'grpc status must be a whole number from 0 to 16, got "17"'],
    ['0ms GET /a abort soon', 'bad abort delay "soon" (write e.g. 0, 250us, 20ms, 1.5s, 2m)'],
    ['0ms GET /a loud', 'unknown request option "loud" (expected name=value, -> STATUS, abort, worker, peer or grpc)'],
    ['0ms GET /a x"y=1', 'unterminated "string"'],
    ['0ms GET /a bad(name=1', 'bad header name "bad(name"'],
    ['0ms repeat 0 over 1s GET /a', 'repeat count must be a whole number from 1 to 1000000, got "0"'],
    ['0ms repeat 3 in 1s GET /a', 'write "repeat N over DURATION REQUEST"'],
    ['0ms rate 5/h for 1s GET /a', 'bad rate "5/h" (write e.g. 100/s, 30/m or 10/s..300/s)'],
    ['0ms rate 0/s for 1s GET /a', 'bad rate "0/s" (write e.g. 100/s, 30/m or 10/s..300/s)'],
    ['0ms rate 0/s..0/s for 1s GET /a', 'bad rate "0/s..0/s" (write e.g. 100/s, 30/m or 10/s..300/s)'],
    ['0ms rate 1/s..2/s..3/s for 1s GET /a', 'bad rate "1/s..2/s..3/s" (write e.g. 100/s, 30/m or 10/s..300/s)'],
    ['0ms rate 1000000/s for 2s GET /a', 'more than 1000000 requests'],
    ['0ms repeat 3 over 1s jitter 0 GET /a', 'bad jitter "0" (a fraction of the spacing above 0 and at most 1, e.g. 30% or 0.3)'],
    ['0ms repeat 3 over 1s jitter 150% GET /a', 'bad jitter "150%" (a fraction of the spacing above 0 and at most 1, e.g. 30% or 0.3)'],
    ['0ms repeat 3 over 1s bursty GET /a', 'expected a method such as GET, got "bursty"'],
    ['0ms GET /a -> 60% 200 30% 503', 'answer percentages add up to 90%, not 100%'],
    ['0ms GET /a -> 0% 200 100% 503', 'a percentage must be above 0%'],
    ['0ms GET /a -> 200 50ms..10ms', 'latency range "50ms..10ms" ends before it starts'],
    ['upstream 503 in 5s', 'bad time range "5s" (write e.g. 0s..1s)'],
    ['upstream 503 for 5s..6s', 'unexpected "for"'],
    ['0ms GET /a x=${user}', 'no draw named "user" (define it with a line "draw NAME ...")'],
    ['0ms GET /${x y', 'bad "${" in "/${x" (write ${NAME} to draw a value, or $$ for a literal $)'],
    ['draw 1x a 1', 'bad draw name "1x" (letters, digits, _ and -, not starting with a digit)'],
    ['draw u', 'missing values (write e.g. u1..u50000, u1..u50000 zipf 1.1, or a 70% b 30%)'],
    ['draw u u5..u1', 'range "u5..u1" ends before it starts'],
    ['draw c 10.20.0.1..10.20.3.254', 'bad range "10.20.0.1..10.20.3.254" (its ends share everything but a last number: e.g. u1..u50000 or 10.0.0.1..10.0.0.254)'],
    ['draw c free', 'every value needs a weight (write VALUE WEIGHT pairs, e.g. free 70% pro 30%), "free" has none'],
    ['draw u u1..u5 zipf 0', 'zipf exponent must be a number above 0 and at most 10, got "0"'],
    ['draw u u1..u2000000 zipf 1', 'a zipf range has at most 1000000 values, "u1..u2000000" has 2000000'],
    ['draw u a 50% b', 'every value needs a weight (write VALUE WEIGHT pairs, e.g. free 70% pro 30%), "b" has none'],
    ['draw u a 50% b 40%', 'percentages add up to 90%, not 100%'],
    ['draw u a 50% b 3', 'weights must be all percentages or all plain numbers'],
    ['draw u a x', 'bad weight "x" for "a" (write e.g. 70% or 3)'],
    ['expect 1 blocked by a/b/c', 'bad "by a/b/c" (write by RESOURCE or by RESOURCE/RULE, e.g. by checkout/flow)'],
    ['0ms restart 1', 'write "restart worker N"'],
    ['0ms clock backwards', 'bad clock change "backwards" (expected +D, -D, freeze or resume)'],
    ['workers 0', 'worker count must be a whole number from 1 to 1024, got "0"'],
    ['workers 2 3', 'unexpected "3"'],
    ['upstream', 'missing status'],
    ['expect many passed', 'bad expected count "many" (write N, >=N, <=N or N..M)'],
    ['expect 3 eaten', 'unknown expectation "eaten" (expected requests, passed, held, blocked, shadow, aborted, reset, trap, killed, status N, grpc-status N, header NAME[=VALUE] or upstream-header NAME[=VALUE])'],
    ['expect 3 passed in 2s..1s', 'time range "2s..1s" ends before it starts'],
    ['expect 3 passed in 1s', 'bad time range "1s" (write e.g. 0s..1s)'],
    ['expect 3 passed near /a', 'unknown selector "near" (expected in T1..T2, path PREFIX, method M, worker N, port P or by RESOURCE[/RULE])'],
    ['expect metric m', 'missing expected count'],
  ];
  for (const [line, message] of cases) {
    assert.throws(() => parseTraffic(`# header\n${line}\n`, 'bad.traffic'), { name: 'TrafficError', message: `bad.traffic:2: error: ${message}` }, line);
  }
});

test('a draw used before its line, and a draw defined twice', () => {
  assert.equal(parseTraffic('0ms GET /a x=${u}\ndraw u a 1\n').sources.length, 1);
  assert.throws(() => parseTraffic('draw u a 1\ndraw u b 1\n', 'd.traffic'), { message: 'd.traffic:2: error: draw "u" is already defined on line 1' });
  assert.throws(() => parseTraffic('draw v a 1\n\n0ms GET /a x=${u}\n', 'd.traffic'), { message: 'd.traffic:3: error: no draw named "u" (defined: v)' });
});

test('a drawn peer that is not an address fails at its line when the request is built', () => {
  const t = parseTraffic('draw p "a b" 1\n0ms GET /a peer ${p}\n', 'p.traffic');
  assert.throws(() => [...events(t)], { message: 'p.traffic:2: error: bad address "a b"' });
});
