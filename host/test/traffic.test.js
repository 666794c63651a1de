// traffic.test.js: tests of the traffic file parser (host/traffic.js): what good lines
// turn into, and the exact `file:line: error: ...` message for malformed ones.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { parseTraffic, parseDuration, formatDuration } = require('../traffic.js');

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
  assert.deepEqual(t.upstream, { status: 503, grpcStatus: null, latencyNs: 20e6 });
  assert.equal(t.peer, '10.0.0.9:40000');
  assert.equal(t.config, '{"a": 1}');
  assert.equal(t.seed, 3);
  const [a, b] = t.events;
  assert.deepEqual(a, { kind: 'request', line: 8, at: 0, method: 'GET', path: '/api/search',
    headers: [['x-user-id', 'u1'], ['x-note', 'two words']], authority: 'shop.example.com', grpc: false,
    reply: null, abortNs: null, worker: null, peer: null });
  assert.deepEqual(b, { kind: 'request', line: 9, at: 1.5e9, method: 'POST', path: '/shop.Cart/Checkout',
    headers: [], authority: null, grpc: true, reply: { status: 200, grpcStatus: 14, latencyNs: 5e6 },
    abortNs: 1e9, worker: 2, peer: '10.0.0.2:7' });
});

test('repeat and rate spread requests evenly; restart and clock events', () => {
  const t = parseTraffic('1s repeat 4 over 1s GET /x -> 500\n0s rate 2/s for 2s GET /y\n3s restart worker 1\n4s clock -2s\n5s clock freeze\n');
  const times = (p) => t.events.filter((e) => e.path === p).map((e) => e.at / 1e6);
  assert.deepEqual(times('/x'), [1000, 1250, 1500, 1750]);
  assert.deepEqual(times('/y'), [0, 500, 1000, 1500]);
  assert.deepEqual(t.events[0].reply, { status: 500, grpcStatus: null, latencyNs: null });
  assert.deepEqual(t.events.slice(-3).map((e) => [e.kind, e.worker ?? e.op, e.deltaNs ?? null]),
    [['restart', 1, null], ['clock', 'jump', -2e9], ['clock', 'freeze', 0]]);
});

test('expectations: counts, outcomes, statuses, selectors, metrics', () => {
  const t = parseTraffic(`expect 100 passed in 0s..1s
expect >=5 status 429 path /api method POST worker 1
expect 2..3 grpc-status 14
expect <=1 held
expect metric sentc.checkout.passed 100
`);
  const [a, b, c, d, e] = t.expects;
  assert.deepEqual(a, { line: 1, text: 'expect 100 passed in 0s..1s', count: { min: 100, max: 100, text: '100' }, outcome: 'passed', where: { from: 0, to: 1e9 } });
  assert.deepEqual([b.status, b.count.min, b.count.max, b.where], [429, 5, Infinity, { path: '/api', method: 'POST', worker: 1 }]);
  assert.deepEqual([c.grpcStatus, c.count.min, c.count.max], [14, 2, 3]);
  assert.deepEqual([d.outcome, d.count.min, d.count.max], ['held', 0, 1]);
  assert.deepEqual([e.metric, e.count.min], ['sentc.checkout.passed', 100]);
});

test('malformed lines give file:line: error messages', () => {
  const cases = [
    ['0ms GET api', 'path must start with "/", got "api"'],
    ['0ms get /a', 'expected a method such as GET, got "get"'],
    ['frobnicate 3', 'expected a time (e.g. 0ms, 1.5s) or one of workers, upstream, peer, config, seed, expect; got "frobnicate"'],
    ['10', 'expected a time (e.g. 0ms, 1.5s) or one of workers, upstream, peer, config, seed, expect; got "10"'],
    ['5ms', 'missing request after the time'],
    ['0ms GET /a -> 99', 'status must be a whole number from 100 to 599, got "99"'],
    ['0ms GET /a -> grpc 17', 'grpc status must be a whole number from 0 to 16, got "17"'],
    ['0ms GET /a abort soon', 'bad abort delay "soon" (write e.g. 0, 250us, 20ms, 1.5s, 2m)'],
    ['0ms GET /a loud', 'unknown request option "loud" (expected name=value, -> STATUS, abort, worker, peer or grpc)'],
    ['0ms GET /a x"y=1', 'unterminated "string"'],
    ['0ms GET /a bad(name=1', 'bad header name "bad(name"'],
    ['0ms repeat 0 over 1s GET /a', 'repeat count must be a whole number from 1 to 1000000, got "0"'],
    ['0ms repeat 3 in 1s GET /a', 'write "repeat N over DURATION REQUEST"'],
    ['0ms rate 5/h for 1s GET /a', 'bad rate "5/h" (write e.g. 100/s or 30/m)'],
    ['0ms restart 1', 'write "restart worker N"'],
    ['0ms clock backwards', 'bad clock change "backwards" (expected +D, -D, freeze or resume)'],
    ['workers 0', 'worker count must be a whole number from 1 to 1024, got "0"'],
    ['workers 2 3', 'unexpected "3"'],
    ['upstream', 'missing status'],
    ['expect many passed', 'bad expected count "many" (write N, >=N, <=N or N..M)'],
    ['expect 3 eaten', 'unknown expectation "eaten" (expected requests, passed, held, blocked, aborted, reset, trap, killed, status N, grpc-status N, header NAME[=VALUE] or upstream-header NAME[=VALUE])'],
    ['expect 3 passed in 2s..1s', 'time range "2s..1s" ends before it starts'],
    ['expect 3 passed in 1s', 'bad time range "1s" (write e.g. 0s..1s)'],
    ['expect 3 passed near /a', 'unknown selector "near" (expected in T1..T2, path PREFIX, method M or worker N)'],
    ['expect metric m', 'missing expected count'],
  ];
  for (const [line, message] of cases) {
    assert.throws(() => parseTraffic(`# header\n${line}\n`, 'bad.traffic'), { name: 'TrafficError', message: `bad.traffic:2: error: ${message}` }, line);
  }
});
