// expect_headers.test.js: the traffic format's header expectations (`header
// NAME[=VALUE]` on the response the client got, `upstream-header NAME[=VALUE]`
// on the request the upstream got) and `-> grpc CODE trailers-only` answers,
// parsed and then run on the hand-written lifecycle.wat filter.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseTraffic } = require('../traffic.js');
const { events } = require('../expand.js');
const { simulate } = require('../simulate.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sentc-headers-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function lifecycle() {
  const out = path.join(tmp, 'lifecycle.wasm');
  execFileSync(process.env.WAT2WASM || 'wat2wasm', [path.join(__dirname, 'lifecycle.wat'), '-o', out]);
  return new WebAssembly.Module(fs.readFileSync(out));
}

test('header expectations and trailers-only answers parse', () => {
  const t = parseTraffic('0ms POST /s grpc -> grpc 14 trailers-only 5ms\nexpect 1 header X-Sentc=blocked path /a\nexpect 2 upstream-header x-action\n', 'h.traffic');
  assert.deepEqual([...events(t)][0].reply, { status: 200, grpcStatus: 14, latencyNs: 5e6, trailersOnly: true });
  assert.deepEqual(t.expects[0].header, { side: 'response', name: 'x-sentc', value: 'blocked' });
  assert.deepEqual(t.expects[0].where, { path: '/a' });
  assert.deepEqual(t.expects[1].header, { side: 'upstream', name: 'x-action', value: null });
  assert.throws(() => parseTraffic('expect 1 header "a b"\n', 'h.traffic'), /^TrafficError: h.traffic:1: error: bad header name "a b"$/);
});

test('header expectations count what the client and the upstream saw', () => {
  const r = simulate(lifecycle(), parseTraffic(`0ms GET /a x-action=l
0ms GET /b x-tag=one
10ms POST /c grpc -> grpc 14 trailers-only 1ms
20ms POST /d grpc -> grpc 14 1ms
expect 1 header x-sentc=blocked
expect 0 header x-sentc=other
expect 1 header x-sentc path /a
expect 1 upstream-header x-tag=one
expect 0 upstream-header x-action
expect 2 grpc-status 14
expect 1 header grpc-status=14
`, 'h.traffic'));
  assert.deepEqual(r.expectations.map((e) => [e.text, e.actual]), [
    ['expect 1 header x-sentc=blocked', 1], ['expect 0 header x-sentc=other', 0],
    ['expect 1 header x-sentc path /a', 1], ['expect 1 upstream-header x-tag=one', 1],
    ['expect 0 upstream-header x-action', 0], ['expect 2 grpc-status 14', 2],
    ['expect 1 header grpc-status=14', 1],
  ]);
  assert.equal(r.ok, true);
});
