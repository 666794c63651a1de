// verdicts.test.js: what the host makes of the module's decisions (verdicts.js): each
// decision line given to its request through the context id, breaker transitions,
// the fallback to headers and pauses when the module logs no decision lines, and how trace lines and the summary show them (resource and rule named,
// shadow verdicts as such). Runs verdicts.wat, a module that logs exactly what each
// request asks for.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { LogLevel } = require('../proxywasm.js');
const { parseLine } = require('../verdicts.js');
const { verdictsFixture } = require('./verdicts.fixture.js');

const { tmp, wasmPath, trafficPath, TRAFFIC, SILENT, cli, run } = verdictsFixture('verdicts');

test('decision and breaker lines parse; anything else is not one', () => {
  assert.deepEqual(parseLine('sentc: blocked api/flow_2 kind=flow status=429'),
    { type: 'blocked', resource: 'api', rule: 'flow_2', kind: 'flow', status: 429, waitMs: null });
  assert.deepEqual(parseLine('sentc: held api/flow kind=flow wait_ms=30'),
    { type: 'held', resource: 'api', rule: 'flow', kind: 'flow', status: null, waitMs: 30 });
  assert.deepEqual(parseLine('sentc: breaker api/breaker open: error_ratio 0.6 >= 0.5'),
    { type: 'breaker', resource: 'api', rule: 'breaker', state: 'open', reason: 'error_ratio 0.6 >= 0.5' });
  assert.deepEqual(parseLine('sentc: breaker api/breaker half-open'),
    { type: 'breaker', resource: 'api', rule: 'breaker', state: 'half-open', reason: null });
  for (const other of ['sentc: state 1 bytes', 'sentc: blocked api kind=flow', 'sentc: breaker api/b ajar', 'hello']) {
    assert.equal(parseLine(other), null, other);
  }
});

test('each decision is attributed to its request through the context id', () => {
  const r = run(TRAFFIC);
  assert.deepEqual(r.expectations.filter((e) => !e.ok), []);
  const by = (p) => r.requests.find((q) => q.path === p).verdict;
  assert.deepEqual(by('/api/b'), { outcome: 'blocked', resource: 'api', rule: 'flow' });
  assert.deepEqual(by('/api/c'), { outcome: 'shadow', resource: 'api', rule: 'flow' });
  assert.deepEqual(by('/api/d'), { outcome: 'held', resource: 'api', rule: 'flow' });
  assert.deepEqual(by('/api/e'), { outcome: 'forwarded', resource: 'api', rule: 'flow' });
  assert.deepEqual(by('/api/j'), { outcome: 'blocked', resource: 'system', rule: 'qps' });
  assert.equal(by('/api/a'), null);
  assert.deepEqual(r.breakers.map((t) => [t.atNs / 1e6, t.resource, t.rule, t.state]),
    [[1200, 'api', 'breaker', 'open'], [2400, 'api', 'breaker', 'half-open'], [2450, 'api', 'breaker', 'closed']]);
  assert.deepEqual([r.totals.shadow, r.totals.forwarded, r.decisionLines], [1, 1, 7]);
});

test('without decision lines, headers and pauses tell part of it', () => {
  const r = run(SILENT);
  const by = (p) => r.requests.find((q) => q.path === p).verdict;
  assert.equal(r.decisionLines, 0);
  assert.deepEqual(by('/api/b'), { outcome: 'blocked', resource: 'api', rule: 'flow' });
  assert.deepEqual(by('/api/c'), { outcome: 'shadow', resource: 'api', rule: 'flow' });
  assert.deepEqual(by('/api/d'), { outcome: 'held', resource: null, rule: null }, 'which rule held it is unknown');
  assert.equal(by('/api/e'), null, 'a forward looks like a pass without its line');
  assert.deepEqual(by('/api/j'), { outcome: 'blocked', resource: null, rule: null }, 'no header says who');
  assert.deepEqual(r.breakers, [], 'breaker transitions come only from the module\'s lines');
  // At the default level (info), the module's debug lines are not even produced.
  assert.equal(run(TRAFFIC, LogLevel.info).decisionLines, 0);
});

test('CLI: trace names resource and rule, shadow shows as such in trace and summary', () => {
  const r = cli('run', wasmPath, trafficPath, '--trace');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = r.stdout;
  assert.match(out, /^ {7}500ms {2}w0 {2}GET \/api\/b {2}blocked 429 {2}never upstream {2}by api\/flow$/m);
  assert.match(out, /^ {7}600ms {2}w0 {2}GET \/api\/c {2}shadow 200 {2}wait 0ms {2}would be blocked by api\/flow$/m);
  assert.match(out, /^ {7}700ms {2}w0 {2}GET \/api\/d {2}held 200 {2}wait 100ms {2}by api\/flow$/m);
  assert.match(out, /^ {7}800ms {2}w0 {2}GET \/api\/e {2}forwarded 200 {2}wait 0ms {2}by api\/flow \(fallback forward\)$/m);
  assert.match(out, /^ {6}1200ms {2}w0 {2}breaker api\/breaker open: error_ratio 0\.6 >= 0\.5\n {6}1200ms {2}w0 {2}GET \/api\/f {2}blocked 503/m);
  assert.match(out, /^requests 19: passed to upstream 15 \(held first 1, shadow 1, forwarded 1\), answered locally 4,/m);
  assert.match(out, /^ {2}shadow 1: would have been blocked, went upstream with x-sentinel-shadow \(mode shadow\)$/m);
  assert.match(out, /^resource {4}passed {3}blocked {4}shadow {2}by rule$/m);
  assert.match(out, /^api {13}14 {9}4 {9}1 {2}flow 2 \(1 shadow\), breaker 2$/m);
  assert.doesNotMatch(r.stderr, /debug|sentc: blocked/, 'debug lines are asked for, not printed');
  assert.match(r.stderr, /warn: sentc: breaker api\/breaker open/);
  const json = JSON.parse(cli('run', wasmPath, trafficPath, '--json').stdout);
  assert.deepEqual(json.requests.find((q) => q.path === '/api/c').verdict, { outcome: 'shadow', resource: 'api', rule: 'flow' });
});

test('a shadow-only policy: every block of a rule is a shadow block', () => {
  const r = cli('run', wasmPath, writeTraffic('0s repeat 3 over 1s GET /a x-count=sentc.api.shadow_blocked.flow x-count2=sentc.api.passed x-shadow=api/flow\n0s GET /a x-count=sentc.api.passed\n'));
  assert.match(r.stdout, /^api {14}4 {9}0 {9}3 {2}flow 0 \(3 shadow\)$/m);
  assert.match(r.stdout, /passed to upstream 4 \(held first 0, shadow 3\), answered locally 0/);
});

function writeTraffic(text) {
  const file = path.join(tmp, `t${Math.random().toString(36).slice(2)}.traffic`);
  fs.writeFileSync(file, text);
  return file;
}
