// grpc.test.js: the host's unary gRPC calls (proxy_grpc_call and its callbacks) as
// Envoy makes them, with grpc.wat (a filter that answers each request from its call's
// outcome): on the root context, tokens 1, 3, 5..., the answer in the
// GrpcReceiveBuffer, failures with their grpc-status and proxy_get_status's message,
// cancellation, unknown clusters; then the same calls over real HTTP/2 to a small
// node:http2 server, byte for byte and with every way a call fails (refused, HTTP
// error, grpc error, timeout); and the simulator's virtual time for them.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http2 = require('node:http2');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Host, Status } = require('../proxywasm.js');
const { closeAll, grpcServiceCluster } = require('../grpc.js');
const { parseTraffic } = require('../traffic.js');
const { simulate, simulateAsync } = require('../simulate.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sentc-grpc-'));
const wasmPath = path.join(tmp, 'grpc.wasm');
execFileSync(process.env.WAT2WASM || 'wat2wasm', [path.join(__dirname, 'grpc.wat'), '-o', wasmPath]);
const wasm = new WebAssembly.Module(fs.readFileSync(wasmPath));
test.after(() => {
  closeAll();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// A transport whose calls the test settles by hand.
function fakeTransport() {
  const calls = [];
  const transport = (address, callPath, message, timeoutMs) => {
    let resolve;
    const outcome = new Promise((r) => { resolve = r; });
    const call = { address, path: callPath, message, timeoutMs, resolve, cancelled: false };
    calls.push(call);
    return { outcome, cancel: () => { call.cancelled = true; resolve({ status: 1, message: 'cancelled' }); } };
  };
  return { calls, transport };
}

function setup(clusters = { rls: 'fake:1' }, transport) {
  const ended = [];
  const host = new Host(wasm, { clusters, grpcTransport: transport, hooks: { end: (s) => ended.push(s) } });
  const vm = host.vms[0];
  const start = (p, headers = []) => vm.startHttpStream({ method: 'GET', path: p, headers });
  return { host, vm, start, ended };
}

const flush = () => new Promise((r) => setImmediate(r));
const global = (vm, name) => vm.exports[name].value;

test('a call goes on the root context; its answer comes back in the GrpcReceiveBuffer', { timeout: 20000 }, async () => {
  const fake = fakeTransport();
  const { vm, start } = setup(undefined, fake.transport);
  const s = start('/ping');
  assert.equal(global(vm, 'result'), Status.Ok);
  assert.equal(global(vm, 'token'), 1);
  assert.equal(s.phase, 'paused');
  assert.equal(fake.calls.length, 1);
  assert.deepEqual([fake.calls[0].address, fake.calls[0].path, fake.calls[0].message.toString(), fake.calls[0].timeoutMs],
    ['fake:1', '/test.Echo/Say', '/ping', 5000]);
  fake.calls[0].resolve({ message: Buffer.from('pong') });
  await flush();
  assert.equal(global(vm, 'callback_ctx'), vm.rootId);
  assert.equal(s.status, 200);
  assert.equal(s.localReply.body, 'pong');
  assert.equal(vm.grpcCalls.size, 0);
  const t = start('/again');
  assert.equal(global(vm, 'token'), 3, 'unary calls are numbered 1, 3, 5...');
  fake.calls[1].resolve({ message: Buffer.alloc(0) });
  await flush();
  assert.equal(t.status, 200);
});

test('a failed call closes with its grpc-status, and proxy_get_status says why', { timeout: 20000 }, async () => {
  const fake = fakeTransport();
  const { vm, start } = setup(undefined, fake.transport);
  const s = start('/x');
  fake.calls[0].resolve({ status: 14, message: 'no healthy upstream' });
  await flush();
  assert.equal(global(vm, 'callback_ctx'), vm.rootId);
  assert.equal(s.status, 514);
  assert.equal(s.localReply.body, 'no healthy upstream');
});

test('a cancelled call never calls back, and cannot be cancelled twice', { timeout: 20000 }, async () => {
  const fake = fakeTransport();
  const { vm, start } = setup(undefined, fake.transport);
  const s = start('/x');
  assert.equal(vm.invoke('cancel', s, 1), Status.Ok);
  assert.ok(fake.calls[0].cancelled);
  assert.equal(vm.invoke('cancel', s, 1), Status.NotFound);
  assert.equal(vm.invoke('cancel', s, 7), Status.NotFound);
  await flush();
  assert.equal(global(vm, 'callback_ctx'), 0);
  assert.equal(s.phase, 'paused');
});

test('a cluster the host does not know fails as in Envoy', { timeout: 20000 }, async () => {
  const fake = fakeTransport();
  const { host, vm, start } = setup({}, fake.transport);
  // Named by a GrpcService: the call returns InternalFailure and its close comes after.
  const s = start('/x');
  assert.equal(global(vm, 'result'), Status.InternalFailure);
  assert.equal(s.phase, 'upstream', 'the filter let it go on');
  assert.equal(global(vm, 'callback_ctx'), vm.rootId, 'the close came after the call');
  assert.equal(vm.status.code, 14);
  assert.deepEqual([...host.grpcUnknownClusters], ['rls']);
  // Named by its bare name: ParseFailure and nothing more.
  const before = host.grpcCallsMade;
  start('/y', [['x-cluster', 'nope']]);
  assert.equal(global(vm, 'result'), Status.ParseFailure);
  assert.equal(host.grpcCallsMade, before);
  assert.equal(fake.calls.length, 0);
});

test('a bare cluster name the host knows is called', { timeout: 20000 }, async () => {
  const fake = fakeTransport();
  const { start } = setup({ other: 'fake:2', '*': 'fake:9' }, fake.transport);
  start('/x', [['x-cluster', 'other']]);
  start('/y');
  assert.deepEqual(fake.calls.map((c) => c.address), ['fake:2', 'fake:9']);
  assert.deepEqual(grpcServiceCluster(Buffer.from('\x0a\x05\x0a\x03rls')), { cluster: 'rls', parsed: true });
  assert.deepEqual(grpcServiceCluster(Buffer.from('outbound|8081||rls')), { cluster: 'outbound|8081||rls', parsed: false });
});

test('a VM that dies cancels its calls', { timeout: 20000 }, async () => {
  const fake = fakeTransport();
  const { host, start } = setup(undefined, fake.transport);
  start('/x');
  host.killVm(0);
  assert.ok(fake.calls[0].cancelled);
});

// ---- over real HTTP/2 -----------------------------------------------------------------

// A gRPC server on node:http2 doing what `answer(stream, frame)` says; records requests.
// Every server is closed after its test, passed or failed (else the process would stay).
const servers = new Set();
test.afterEach(async () => {
  for (const s of servers) await s.close();
  servers.clear();
});

async function server(answer) {
  const seen = [];
  const sessions = new Set();
  const srv = http2.createServer();
  srv.on('session', (session) => sessions.add(session));
  srv.on('stream', (stream, headers) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ headers, body });
      answer(stream, body);
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  // The host keeps its connection for the next call: closed first, or close() would wait.
  const close = () => {
    closeAll();
    for (const session of sessions) session.destroy();
    servers.delete(s);
    return new Promise((r) => (srv.listening ? srv.close(() => r()) : r()));
  };
  const s = { srv, seen, address: `127.0.0.1:${srv.address().port}`, close };
  servers.add(s);
  return s;
}

const frame = (bytes) => Buffer.concat([Buffer.from([0, 0, 0, 0, bytes.length]), bytes]);

// One request through grpc.wat to `address`, with the call's timeout; resolves when
// the stream is answered.
function oneCall(address, p = '/ping', timeoutMs = 5000) {
  return new Promise((resolve) => {
    const host = new Host(wasm, { clusters: { rls: address }, hooks: { end: (s) => resolve(s) } });
    host.vms[0].exports.timeout_ms.value = timeoutMs;
    host.vms[0].startHttpStream({ method: 'GET', path: p });
  });
}

test('over HTTP/2: the request Envoy sends, the answer read from its frame', { timeout: 20000 }, async () => {
  const s = await server((stream, body) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(frame(body.subarray(5)));
  });
  const done = await oneCall(s.address, '/ping');
  assert.equal(done.status, 200);
  assert.equal(done.localReply.body, '/ping');
  const { headers, body } = s.seen[0];
  assert.equal(headers[':method'], 'POST');
  assert.equal(headers[':path'], '/test.Echo/Say');
  assert.equal(headers['content-type'], 'application/grpc');
  assert.equal(headers.te, 'trailers');
  assert.equal(headers['grpc-timeout'], '5000m');
  assert.deepEqual([...body], [...frame(Buffer.from('/ping'))]);
  await s.close();
});

test('over HTTP/2: grpc errors, trailers-only answers, HTTP errors and garbage', { timeout: 20000 }, async () => {
  const cases = [
    [(st) => {
      st.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      st.on('wantTrailers', () => st.sendTrailers({ 'grpc-status': '7', 'grpc-message': 'nope' }));
      st.end();
    }, 507, 'nope'],
    [(st) => st.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '8', 'grpc-message': 'full' }, { endStream: true }), 508, 'full'],
    [(st) => st.respond({ ':status': 503 }, { endStream: true }), 514, 'non-200 HTTP response: 503'],
    [(st) => { st.respond({ ':status': 200, 'content-type': 'text/plain' }); st.end('hello'); }, 513, 'not a gRPC answer'],
    [(st) => {
      st.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      st.on('wantTrailers', () => st.sendTrailers({ 'grpc-status': '0' }));
      st.end(Buffer.from([0, 0, 0, 0, 9, 1]));
    }, 513, 'not exactly one message'],
  ];
  for (const [answer, status, body] of cases) {
    const s = await server((st) => answer(st));
    const done = await oneCall(s.address);
    assert.deepEqual([done.status, done.localReply.body], [status, body]);
    await s.close();
  }
});

test('over HTTP/2: a service that is down is UNAVAILABLE, one that is slow times out', { timeout: 20000 }, async () => {
  const s = await server(() => {});
  const address = s.address;
  const started = Date.now();
  const slow = await oneCall(address, '/ping', 100);
  assert.deepEqual([slow.status, slow.localReply.body], [504, 'upstream request timeout']);
  assert.ok(Date.now() - started >= 95, 'the timeout is the call\'s own');
  await s.close();
  const down = await oneCall(address);
  assert.equal(down.status, 514);
});

// ---- the simulator --------------------------------------------------------------------

test('the simulator delivers an answer a virtual round trip later, a timeout at the timeout', { timeout: 20000 }, async () => {
  const traffic = parseTraffic('0ms GET /fast\n0ms GET /slow\n', 't.traffic');
  const timeout = 5000e6;
  const transport = (address, p, message) => ({
    outcome: Promise.resolve(message.toString() === '/slow' ? { status: 4, message: 'upstream request timeout' } : { message }),
    cancel() {},
  });
  const r = await simulateAsync(wasm, traffic, { clusters: { '*': 'x:1' }, grpcTransport: transport, grpcLatencyNs: 3e6 });
  const [fast, slow] = r.requests;
  assert.deepEqual([fast.localReply.status, fast.endNs], [200, 3e6]);
  assert.deepEqual([slow.localReply.status, slow.endNs], [504, timeout]);
  assert.equal(r.grpc.calls, 2);
  // Without a real service nothing waits: the plain run fails the calls as Envoy does.
  const plain = simulate(wasm, traffic);
  assert.deepEqual(plain.requests.map((q) => q.outcome), ['passed', 'passed']);
  assert.deepEqual(plain.grpc.unknownClusters, ['rls']);
  assert.throws(() => simulate(wasm, traffic, { clusters: { '*': 'x:1' }, grpcTransport: transport }), /simulateAsync/);
});
