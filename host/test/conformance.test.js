// conformance.test.js: checks that host/proxywasm.js behaves as Envoy's Proxy-Wasm
// host does, and that the simulator and CLI report what happened, using tiny
// hand-written WAT modules (lifecycle.wat, probe.wat, ...) so a host bug cannot hide
// behind a plugin bug. The .wat files are compiled with wat2wasm (env WAT2WASM) into
// a temporary directory at test time.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { Host, Status, EPOCH_NS, TRAPPED, parsePairs, serializePairs } = require('../proxywasm.js');
const { parseTraffic } = require('../traffic.js');
const { simulate } = require('../simulate.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sentc-host-'));
const wasmPath = {};
const wasm = {};
for (const name of ['lifecycle', 'probe', 'init_bad', 'noabi']) {
  wasmPath[name] = path.join(tmp, `${name}.wasm`);
  execFileSync(process.env.WAT2WASM || 'wat2wasm', [path.join(__dirname, `${name}.wat`), '-o', wasmPath[name]]);
  wasm[name] = new WebAssembly.Module(fs.readFileSync(wasmPath[name]));
}
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// ---- helpers -------------------------------------------------------------------------

// A host whose hooks record upstream/end events in order.
function hostWith(name, options = {}) {
  const events = [];
  const host = new Host(wasm[name], {
    ...options,
    hooks: { upstream: (s) => events.push(['upstream', s.id]), end: (s) => events.push(['end', s.id, s.outcome]) },
  });
  return { host, vm: host.vms[0], events };
}

// Log lines "ctx:message" written since index `from`.
function logsOf(host, from = 0) {
  return host.logs.slice(from).map((e) => `${e.context}:${e.message}`);
}

const get = (headers = []) => ({ method: 'GET', path: '/p?q=1', authority: 'shop', headers });

// Writes strings into probe.wasm's scratch memory (0x1000...) and reads results from
// its out pointers at 0x800 (pointer) and 0x804 (size).
class Probe {
  constructor(vm) { this.vm = vm; this.at = 0x1000; }

  str(s) {
    const b = Buffer.from(s);
    const p = this.at;
    this.vm.writeBytes(p, b);
    this.at += b.length + 8;
    return [p, b.length];
  }

  call(name, ctx, ...args) { return this.vm.invoke(name, ctx, ...args); }
  out() { return this.vm.read(this.vm.read(0x800, 4).readUInt32LE(), this.vm.read(0x804, 4).readUInt32LE()); }
  u32(ptr) { return this.vm.read(ptr, 4).readUInt32LE(); }
  u64(ptr) { return this.vm.read(ptr, 8).readBigUInt64LE(); }

  header(ctx, map, key) {
    const r = this.call('get_header_map_value', ctx, map, ...this.str(key), 0x800, 0x804);
    return r === Status.Ok ? this.out().toString() : r;
  }

  pairs(ctx, map) {
    assert.equal(this.call('get_header_map_pairs', ctx, map, 0x800, 0x804), Status.Ok);
    return parsePairs(this.out());
  }
}

function probe(options) {
  const h = hostWith('probe', options);
  return { ...h, p: new Probe(h.vm) };
}

// ---- lifecycle -----------------------------------------------------------------------

test('VM start runs _initialize, context create, vm_start, configure in order', () => {
  const { host } = hostWith('lifecycle');
  assert.deepEqual(logsOf(host), ['null:initialize', '1:create', '1:vm_start', '1:configure']);
  assert.equal(host.vms[0].rootId, 1);
  assert.equal(host.vms[0].tickPeriodMs, 100);
});

test('a passed stream: request, upstream, response, log, done, delete', () => {
  const { host, vm, events } = hostWith('lifecycle');
  const from = host.logs.length;
  const s = vm.startHttpStream(get());
  assert.deepEqual(events, [['upstream', 2]]);
  s.respond({ status: 200 });
  assert.deepEqual(logsOf(host, from), ['2:create', '2:request_headers', '2:response_headers', '2:200', '2:log', '2:done', '2:delete']);
  assert.deepEqual(events, [['upstream', 2], ['end', 2, 'passed']]);
  assert.equal(vm.contexts.has(2), false);
});

test('a local reply takes effect after the callback and runs on_response_headers with :status', () => {
  const { host, vm, events } = hostWith('lifecycle');
  const from = host.logs.length;
  const s = vm.startHttpStream(get([['x-action', 'l']]));
  assert.deepEqual(logsOf(host, from), ['2:create', '2:request_headers', '2:after_send', '2:response_headers', '2:429', '2:log', '2:done', '2:delete']);
  assert.deepEqual(events, [['end', 2, 'blocked']], 'never upstream');
  assert.equal(s.localReply.status, 429);
  assert.equal(s.localReply.body, 'blocked by test');
  assert.equal(s.localReply.details, 'sentc_test');
  assert.deepEqual(s.localReply.headers.find(([k]) => k === 'x-sentc'), ['x-sentc', 'blocked']);
  assert.equal(host.metric('sentc.api.blocked.flow'), 1);
});

test('a gRPC local reply is trailers-only: :status 200 with grpc-status and grpc-message', () => {
  const { host, vm } = hostWith('lifecycle');
  const from = host.logs.length;
  const s = vm.startHttpStream({ ...get([['x-action', 'g']]), method: 'POST', grpc: true });
  assert.ok(logsOf(host, from).includes('2:200'));
  const h = Object.fromEntries(s.localReply.headers);
  assert.equal(h[':status'], '200');
  assert.equal(h['grpc-status'], '8');
  assert.equal(h['grpc-message'], 'blocked by test');
  assert.equal(s.localReply.status, 429);
});

test('a gRPC upstream answer brings response trailers', () => {
  const { host, vm } = hostWith('lifecycle');
  const from = host.logs.length;
  const s = vm.startHttpStream({ ...get(), method: 'POST', grpc: true });
  s.respond({ status: 200, grpcStatus: 14 });
  assert.deepEqual(logsOf(host, from), ['2:create', '2:request_headers', '2:response_headers', '2:200', '2:response_trailers', '2:log', '2:done', '2:delete']);
  assert.deepEqual(s.maps[3], [['grpc-status', '14']]);
});

test('a paused stream waits until on_tick continues it through the effective context', () => {
  const { host, vm, events } = hostWith('lifecycle');
  const s = vm.startHttpStream(get([['x-action', 'p']]));
  assert.equal(s.phase, 'paused');
  assert.deepEqual(events, []);
  host.advance(100_000_000n);
  const from = host.logs.length;
  vm.tick();
  assert.deepEqual(logsOf(host, from), ['1:tick', '2:tick continue']);
  assert.deepEqual(events, [['upstream', 2]]);
  assert.equal(s.upstreamAt, EPOCH_NS + 100_000_000n);
  s.respond({ status: 200 });
  assert.deepEqual(events.at(-1), ['end', 2, 'held']);
});

test('a client abort of a paused stream: only log, done, delete', () => {
  const { host, vm, events } = hostWith('lifecycle');
  const s = vm.startHttpStream(get([['x-action', 'p']]));
  const from = host.logs.length;
  s.reset('aborted');
  assert.deepEqual(logsOf(host, from), ['2:log', '2:done', '2:delete']);
  assert.deepEqual(events, [['end', 2, 'aborted']]);
  s.respond({ status: 200 });
  assert.equal(host.logs.length, from + 3, 'no callbacks after delete');
});

test('proxy_close_stream resets the stream after the callback', () => {
  const { host, vm } = hostWith('lifecycle');
  const from = host.logs.length;
  const s = vm.startHttpStream(get([['x-action', 'c']]));
  assert.deepEqual(logsOf(host, from), ['2:create', '2:request_headers', '2:log', '2:done', '2:delete']);
  assert.equal(s.outcome, 'reset');
});

test('a trap fails the stream and the VM, naming the callback and context', () => {
  const { host, vm, events } = hostWith('lifecycle');
  vm.startHttpStream(get([['x-action', 'p']]));
  vm.startHttpStream(get([['x-action', 't']]));
  assert.match(host.errors[0].message, /trap in proxy_on_request_headers \(context 3\) on worker 0: .*unreachable/);
  assert.deepEqual(events, [['end', 2, 'trap'], ['end', 3, 'trap']], 'in-flight streams fail too');
  const next = vm.startHttpStream(get());
  assert.equal(next.outcome, 'trap');
  assert.equal(next.status, 503);
});

test('recreateVm kills in-flight streams without callbacks and starts a fresh VM', () => {
  const { host, vm, events } = hostWith('lifecycle');
  vm.startHttpStream(get([['x-action', 'p']]));
  const from = host.logs.length;
  const fresh = host.recreateVm(0);
  assert.deepEqual(events, [['end', 2, 'killed']]);
  assert.notEqual(fresh, vm);
  assert.deepEqual(logsOf(host, from), ['null:initialize', '1:create', '1:vm_start', '1:configure']);
});

test('module checks: ABI export, _initialize restrictions, failing configure', () => {
  assert.throws(() => new Host(wasm.noabi), /^Error: module is not Proxy-Wasm ABI 0\.2\.1$/);
  assert.throws(() => new Host(wasm.init_bad), /env\.proxy_set_shared_data called during _initialize/);
  assert.throws(() => new Host(wasm.probe, { pluginConfig: 'fail' }), /configuration failed/);
});

// ---- host calls through probe.wasm -------------------------------------------------------

test('header maps: get first, add appends, replace, remove, pairs, size, lower-case names', () => {
  const { vm, p } = probe();
  const s = vm.startHttpStream(get([['x-a', '1']]));
  assert.equal(p.call('add_header_map_value', s, 0, ...p.str('X-A'), ...p.str('2')), Status.Ok);
  assert.equal(p.header(s, 0, 'x-a'), '1');
  assert.equal(p.header(s, 0, ':path'), '/p?q=1');
  assert.equal(p.header(s, 0, ':authority'), 'shop');
  assert.deepEqual(p.pairs(s, 0).filter(([k]) => k === 'x-a'), [['x-a', '1'], ['x-a', '2']]);
  assert.equal(p.call('replace_header_map_value', s, 0, ...p.str('x-a'), ...p.str('3')), Status.Ok);
  assert.deepEqual(p.pairs(s, 0).filter(([k]) => k === 'x-a'), [['x-a', '3']]);
  assert.equal(p.call('remove_header_map_value', s, 0, ...p.str('X-a')), Status.Ok);
  assert.equal(p.header(s, 0, 'x-a'), Status.NotFound);
  assert.equal(p.call('get_header_map_size', s, 0, 0x808), Status.Ok);
  assert.equal(p.u32(0x808), ':method:path:authority:scheme'.length + 'GET/p?q=1shophttp'.length);
  const pairs = serializePairs([['A', 'x'], ['b', 'y']]);
  vm.writeBytes(0x3000, pairs);
  assert.equal(p.call('set_header_map_pairs', s, 0, 0x3000, pairs.length), Status.Ok);
  assert.deepEqual(p.pairs(s, 0), [['a', 'x'], ['b', 'y']]);
  assert.equal(p.header(s, 7, 'a'), Status.BadArgument, 'unknown map type');
  assert.equal(p.header(s, 2, ':status'), Status.BadArgument, 'no response yet');
  assert.equal(p.header(vm.root, 0, 'a'), Status.BadArgument, 'root context has no headers');
});

test('request headers are gone once the request was let through; response headers readable', () => {
  const { vm, p } = probe();
  const s = vm.startHttpStream(get());
  assert.equal(p.call('continue_stream', s, 0), Status.Ok);
  assert.equal(s.phase, 'upstream', 'continue applied when the call returned');
  assert.equal(p.header(s, 0, ':path'), Status.NotFound);
  s.respond({ status: 503 });
  assert.equal(s.phase, 'response', 'probe pauses the response');
  assert.equal(p.header(s, 2, ':status'), '503');
  assert.equal(p.header(s, 0, ':path'), Status.NotFound);
  assert.equal(p.call('continue_stream', s, 1), Status.Ok);
  assert.equal(s.alive, false);
  assert.equal(p.call('set_effective_context', vm.root, s.id), Status.BadArgument, 'dead context');
});

test('host buffers are allocated through proxy_on_memory_allocate', () => {
  const { vm, p } = probe();
  const s = vm.startHttpStream(get());
  const before = vm.exports.allocs.value;
  assert.equal(p.header(s, 0, ':method'), 'GET');
  assert.equal(vm.exports.allocs.value, before + 1);
  assert.ok(p.u32(0x800) >= 0x10000, 'pointer from the module heap');
  assert.equal(vm.memoryBytes, 2 * 65536);
});

test('out-of-bounds pointers give InvalidMemoryAccess, never a crash', () => {
  const { vm, p } = probe();
  const s = vm.startHttpStream(get());
  assert.equal(p.call('get_header_map_value', s, 0, 0xfffffff0, 8, 0x800, 0x804), Status.InvalidMemoryAccess);
  assert.equal(p.call('get_header_map_value', s, 0, ...p.str(':path'), 0x7ffffff0, 0x804), Status.InvalidMemoryAccess);
  assert.equal(p.call('get_time', s, 0x20000 - 4), Status.InvalidMemoryAccess);
  assert.equal(p.call('send_local_response', s, 429, 0, 0, 0xffffff00, 100, 0, 0, -1), Status.InvalidMemoryAccess);
  assert.equal(p.call('clock_time_get', s, 0, 1n, 0x20000), 21, 'WASI EFAULT');
  assert.equal(vm.failed, null);
});

test('calling an import the host does not implement fails loudly, naming it', () => {
  const { host, vm } = probe();
  assert.equal(vm.invoke('call_http'), TRAPPED);
  assert.match(vm.failed.message, /host does not implement env\.proxy_http_call/);
  assert.equal(host.errors.length, 1);
});

test('shared data: CAS mismatch and success, shared by all VMs, calls counted', () => {
  const { host, vm, p } = probe({ workers: 2 });
  const key = p.str('k');
  assert.equal(p.call('get_shared_data', null, ...key, 0x800, 0x804, 0x808), Status.NotFound);
  assert.equal(p.call('set_shared_data', null, ...key, ...p.str('v1'), 0), Status.Ok);
  assert.equal(p.call('get_shared_data', null, ...key, 0x800, 0x804, 0x808), Status.Ok);
  assert.equal(p.out().toString(), 'v1');
  const cas = p.u32(0x808);
  assert.notEqual(cas, 0);
  assert.equal(p.call('set_shared_data', null, ...key, ...p.str('v2'), cas + 7), Status.CasMismatch);
  assert.equal(p.call('set_shared_data', null, ...key, ...p.str('v2'), cas), Status.Ok);
  assert.equal(p.call('set_shared_data', null, ...key, ...p.str('v3'), cas), Status.CasMismatch, 'cas changed');
  const other = new Probe(host.vms[1]);
  assert.equal(other.call('get_shared_data', null, ...other.str('k'), 0x800, 0x804, 0x808), Status.Ok);
  assert.equal(other.out().toString(), 'v2');
  assert.notEqual(other.u32(0x808), cas);
  assert.deepEqual(host.sharedDataCalls(), { gets: 3, sets: 4, perWorker: [{ gets: 2, sets: 4 }, { gets: 1, sets: 0 }] });
});

test('metrics: one process-wide store, Envoy argument checks', () => {
  const { host, p } = probe({ workers: 2 });
  const q = new Probe(host.vms[1]);
  assert.equal(p.call('define_metric', null, 0, ...p.str('sentc.x.passed'), 0x808), Status.Ok);
  assert.equal(q.call('define_metric', null, 0, ...q.str('sentc.x.passed'), 0x808), Status.Ok);
  const id = p.u32(0x808);
  assert.equal(p.call('increment_metric', null, id, 2n), Status.Ok);
  assert.equal(q.call('increment_metric', null, q.u32(0x808), 1n), Status.Ok);
  assert.equal(host.metric('sentc.x.passed'), 3);
  assert.equal(p.call('increment_metric', null, id, 0n), Status.BadArgument);
  assert.equal(p.call('increment_metric', null, id, -1n), Status.BadArgument);
  assert.equal(p.call('get_metric', null, id, 0x810), Status.Ok);
  assert.equal(p.u64(0x810), 3n);
  assert.equal(p.call('define_metric', null, 1, ...p.str('g'), 0x808), Status.Ok);
  const gauge = p.u32(0x808);
  assert.equal(p.call('increment_metric', null, gauge, -2n), Status.Ok);
  assert.equal(host.metric('g'), -2);
  assert.equal(p.call('record_metric', null, gauge, 9n), Status.Ok);
  assert.equal(host.metric('g'), 9);
  assert.equal(p.call('define_metric', null, 2, ...p.str('h'), 0x808), Status.Ok);
  assert.equal(p.call('get_metric', null, p.u32(0x808), 0x810), Status.BadArgument);
  assert.equal(p.call('define_metric', null, 1, ...p.str('sentc.x.passed'), 0x808), Status.BadArgument, 'type clash');
  assert.equal(p.call('increment_metric', null, 999, 1n), Status.NotFound);
});

test('the clock is virtual: it stands still and can jump backwards', () => {
  const { host, p } = probe();
  assert.equal(p.call('get_time', null, 0x810), Status.Ok);
  assert.equal(p.u64(0x810), EPOCH_NS);
  host.setTime(EPOCH_NS + 5n);
  p.call('get_time', null, 0x810);
  p.call('clock_time_get', null, 1, 1n, 0x818);
  assert.equal(p.u64(0x810), EPOCH_NS + 5n);
  assert.equal(p.u64(0x818), EPOCH_NS + 5n, 'WASI monotonic reads the same clock');
  host.setTime(EPOCH_NS - 1_000_000_000n);
  p.call('get_time', null, 0x810);
  assert.equal(p.u64(0x810), EPOCH_NS - 1_000_000_000n);
});

test('properties, buffers, random and effective context', () => {
  const { vm, p } = probe({ pluginConfig: 'hello world', peer: '10.1.2.3:555', seed: 7 });
  const s = vm.startHttpStream(get());
  const prop = (ctx, name) => {
    const r = p.call('get_property', ctx, ...p.str(name), 0x800, 0x804);
    return r === Status.Ok ? p.out().toString() : r;
  };
  assert.equal(prop(s, 'source.address'), '10.1.2.3:555');
  assert.equal(prop(s, 'request.path'), '/p?q=1');
  assert.equal(prop(s, 'request\0method\0'), 'GET');
  assert.equal(prop(vm.root, 'plugin_name'), 'sentc');
  assert.equal(prop(s, 'no.such'), Status.NotFound);
  assert.equal(p.call('get_buffer_bytes', null, 7, 6, 100, 0x800, 0x804), Status.Ok);
  assert.equal(p.out().toString(), 'world');
  assert.equal(p.call('set_effective_context', null, 999), Status.BadArgument);
  p.call('random_get', null, 0x900, 8);
  const again = probe({ seed: 7 });
  again.p.call('random_get', null, 0x900, 8);
  assert.deepEqual(vm.read(0x900, 8), again.vm.read(0x900, 8));
  assert.notDeepEqual(vm.read(0x900, 8), Buffer.alloc(8));
});

// ---- simulator and CLI -------------------------------------------------------------------

const TRAFFIC = `# simulator test traffic for lifecycle.wat
workers 2
upstream 200 20ms
0ms   GET /api/a
0ms   GET /api/b x-action=l
10ms  GET /api/c x-action=p
20ms  GET /api/d x-action=p abort 5ms worker 0
30ms  POST /svc.A/B grpc -> grpc 14 5ms
0s    repeat 10 over 1s GET /api/r
expect 13 passed
expect 1 held
expect 1 status 429 in 0s..1s path /api
expect 1 grpc-status 14
expect 1 aborted method GET
expect 5 passed worker 1 path /api/r
expect metric sentc.api.passed 12
`;

test('simulator: outcomes, timing, round robin and passing expectations', () => {
  const r = simulate(wasm.lifecycle, parseTraffic(TRAFFIC, 'sim.traffic'));
  assert.deepEqual(r.expectations.filter((e) => !e.ok), []);
  assert.equal(r.ok, true);
  const c = r.requests.find((q) => q.path === '/api/c');
  assert.equal(c.outcome, 'held');
  assert.equal(c.waitNs, 90e6, 'paused at 10ms, released by the 100ms tick');
  assert.equal(c.endNs, 120e6, 'then 20ms upstream latency');
  assert.deepEqual(r.requests.slice(0, 3).map((q) => q.worker), [0, 1, 0]);
  assert.equal(r.totals.byStatus[429], 1);
  assert.equal(r.vms.length, 2);
  assert.equal(r.vms[0].memoryBytes, 131072);
});

test('simulator: failing expectations report expected and actual', () => {
  const r = simulate(wasm.lifecycle, parseTraffic('0ms GET /a\nexpect 2 passed\nexpect metric nope 1\n', 'f.traffic'));
  assert.equal(r.ok, false);
  assert.equal(r.expectations[0].message, 'expected 2, got 1');
  assert.equal(r.expectations[1].message, 'metric nope was never defined');
});

test('simulator: traps, restarts, clock jumps and stuck streams', () => {
  const trap = simulate(wasm.lifecycle, parseTraffic('0ms GET /a x-action=t\n10ms GET /b\nexpect 2 trap\n'));
  assert.equal(trap.expectations[0].ok, true);
  assert.equal(trap.ok, false, 'a trap is an error');
  assert.match(trap.errors[0], /proxy_on_request_headers/);

  const restart = simulate(wasm.lifecycle, parseTraffic('0ms GET /a x-action=p\n50ms restart worker 0\n60ms GET /b\nexpect 1 killed\nexpect 1 passed\n'));
  assert.equal(restart.ok, true);

  const clock = simulate(wasm.probe, parseTraffic('0ms GET /a\n1s clock -5s\n1s clock freeze\n'));
  assert.match(clock.errors[0], /1 stream\(s\) still paused at the end/);
  assert.throws(() => simulate(wasm.lifecycle, parseTraffic('0ms GET /a worker 3\n', 'w.traffic')), /^TrafficError: w.traffic:1: error: worker 3 does not exist \(workers are 0..0\)$/);
});

test('CLI: summary table, exit codes, --json, --timing', () => {
  const cli = path.join(__dirname, '..', 'sentc-host.js');
  const traffic = path.join(tmp, 'cli.traffic');
  fs.writeFileSync(traffic, TRAFFIC);
  const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  const ok = run('run', wasmPath.lifecycle, traffic, '--trace');
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^api\s+12\s+1\s+flow 1$/m);
  assert.match(ok.stdout, /10ms {2}w1 {2}GET \/api\/c {2}held 200 {2}wait 90ms/);
  assert.match(ok.stdout, /^ {2}ok {4}.*cli\.traffic:10: expect 13 passed$/m);
  // One worker: lifecycle.wat remembers one paused stream only, so /api/c stays stuck.
  const one = run('run', wasmPath.lifecycle, traffic, '--workers', '1');
  assert.equal(one.status, 1);
  assert.match(one.stdout, /FAIL {2}.*cli\.traffic:10: expect 13 passed: expected 13, got 12/);
  assert.match(one.stdout, /error: 1 stream\(s\) still paused 60m after the last event/);
  const json = run('run', wasmPath.lifecycle, traffic, '--json');
  assert.equal(json.status, 0);
  assert.equal(JSON.parse(json.stdout).totals.passed, 13);
  assert.equal(JSON.parse(json.stdout).timing, null);
  // --timing: one sample per call of each callback.
  const requests = JSON.parse(json.stdout).totals.requests;
  const timed = run('run', wasmPath.lifecycle, traffic, '--timing');
  assert.equal(timed.status, 0);
  assert.match(timed.stdout, new RegExp(`^ {2}proxy_on_request_headers {2}\\d+ ns {2}\\(${requests} calls\\)$`, 'm'));
  assert.doesNotMatch(ok.stdout, /time in the module/);
  assert.equal(run('run', wasmPath.lifecycle).status, 2);
  assert.equal(run('run', wasmPath.noabi, traffic).status, 2);
  assert.match(run('--help').stdout, /^usage: sentc-host run/);
});
