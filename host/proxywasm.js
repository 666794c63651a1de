// proxywasm.js: a Proxy-Wasm ABI 0.2.1 host on Node's built-in WebAssembly (V8).
//
// Why: sentc's main.wasm must be tested offline exactly as Envoy runs it. This host
// reproduces what Envoy + proxy-wasm-cpp-host do: one VM per worker thread built from
// one compiled module, the VM lifecycle (_initialize, root context, vm_start,
// configure), HTTP stream callbacks in Envoy's order, local replies applied after the
// callback returns, Envoy's header-map semantics, process-wide shared data (with CAS)
// and metrics, a virtual clock, ticks and effective contexts, and unary gRPC calls
// (proxy_grpc_call) made on the root context, over real HTTP/2 (grpc.js) to the
// addresses the host is given for Envoy clusters. No npm dependencies.
'use strict';

const { Code: GrpcCode, grpcServiceCluster, unaryCall, httpToGrpcStatus } = require('./grpc.js');

const Status = Object.freeze({
  Ok: 0, NotFound: 1, BadArgument: 2, SerializationFailure: 3, ParseFailure: 4,
  BadExpression: 5, InvalidMemoryAccess: 6, Empty: 7, CasMismatch: 8,
  ResultMismatch: 9, InternalFailure: 10, BrokenConnection: 11, Unimplemented: 12,
});

const MetricType = Object.freeze({ Counter: 0, Gauge: 1, Histogram: 2 });
const BufferType = Object.freeze({ HttpResponseBody: 1, GrpcReceiveBuffer: 5, VmConfiguration: 6, PluginConfiguration: 7 });
const LogLevel = Object.freeze({ trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5 });

// A fixed epoch (Nov 2023) so runs are reproducible.
const EPOCH_NS = 1_700_000_000_000_000_000n;
const DESTINATION = '10.0.0.100:8080';
const WASI_EBADF = 8;
const WASI_EFAULT = 21;
const WASI_ESPIPE = 70;

// What proxy-wasm-cpp-host lets a module call while _initialize runs.
const INIT_ALLOWED = new Set([
  'proxy_log', 'proxy_get_log_level', 'proxy_get_current_time_nanoseconds',
  'clock_time_get', 'random_get', 'environ_sizes_get', 'environ_get', 'fd_write',
]);

// Returned by Vm.call when the module trapped (the VM is then failed).
const TRAPPED = Symbol('trapped');

// Thrown by memory helpers; import wrappers turn it into InvalidMemoryAccess.
class OutOfBounds extends Error {}

// ---- proxy-wasm pair serialization -------------------------------------------------

// u32 count, then u32 name_len / u32 value_len per pair, then each name and value
// followed by a NUL byte.
function serializePairs(pairs) {
  const parts = pairs.map(([k, v]) => [Buffer.from(k), Buffer.from(v)]);
  let size = 4 + 8 * parts.length;
  for (const [k, v] of parts) size += k.length + v.length + 2;
  const out = Buffer.alloc(size);
  out.writeUInt32LE(parts.length, 0);
  let data = 4 + 8 * parts.length;
  parts.forEach(([k, v], i) => {
    out.writeUInt32LE(k.length, 4 + 8 * i);
    out.writeUInt32LE(v.length, 8 + 8 * i);
    k.copy(out, data); data += k.length + 1;
    v.copy(out, data); data += v.length + 1;
  });
  return out;
}

// The inverse; returns null when the bytes are not a well-formed pair list.
function parsePairs(buf) {
  if (buf.length === 0) return [];
  if (buf.length < 4) return null;
  const n = buf.readUInt32LE(0);
  if (4 + 8 * n > buf.length) return null;
  const pairs = [];
  let data = 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const kl = buf.readUInt32LE(4 + 8 * i);
    const vl = buf.readUInt32LE(8 + 8 * i);
    if (data + kl + vl + 2 > buf.length) return null;
    const k = buf.toString('utf8', data, data + kl); data += kl + 1;
    const v = buf.toString('utf8', data, data + vl); data += vl + 1;
    pairs.push([k, v]);
  }
  return pairs;
}

// Envoy's header map: sizes count name + value bytes (HeaderMap::byteSize()).
function headerBytes(map) {
  let n = 0;
  for (const [k, v] of map) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

function i64Bytes(n) {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
}

// ---- HTTP stream context -----------------------------------------------------------

// One HTTP stream on one VM. phase: request (in on_request_headers) -> paused |
// upstream -> response -> log -> ended. Every state change that Envoy defers to "after
// the VM call" goes through vm.defer().
class HttpStream {
  constructor(vm, id, request) {
    this.vm = vm;
    this.id = id;
    this.request = request;
    this.grpc = !!request.grpc;
    this.maps = [requestHeaderMap(request), null, null, null];
    this.phase = 'request';
    this.requestOpen = true;   // request headers readable until let through
    this.continueAsked = false;
    this.wasPaused = false;
    this.upstreamAt = null;    // virtual clock (BigInt ns) when it went upstream
    this.pendingLocal = null;
    this.localReply = null;
    this.responseBody = Buffer.alloc(0);
    this.responseWait = null;  // set while on_response_headers paused the response
    this.status = null;        // :status the client got
    this.outcome = null;
    this.tag = null;           // free for the caller (the simulator's request record)
    this.bypassed = false;     // fail open after a trap: no more callbacks
  }

  get alive() { return this.phase !== 'ended'; }

  // Fail open: the filter is skipped from now on; the stream goes (or keeps going)
  // upstream and ends without callbacks.
  bypass() {
    this.bypassed = true;
    if (this.phase === 'request' || this.phase === 'paused') this.goUpstream();
    else if (this.phase === 'response' || this.phase === 'log') this.finish();
  }

  // Runs on_context_create and on_request_headers (end_of_stream = 1: no body).
  begin() {
    const vm = this.vm;
    if (vm.call('proxy_on_context_create', this, this.id, vm.rootId) === TRAPPED) return;
    const action = vm.call('proxy_on_request_headers', this, this.id, this.maps[0].length, 1);
    if (action === TRAPPED || this.phase !== 'request') return;
    if (action === 1 && !this.continueAsked) {
      this.phase = 'paused';
      this.wasPaused = true;
    } else {
      this.goUpstream();
    }
  }

  goUpstream() {
    this.phase = 'upstream';
    this.requestOpen = false;
    this.upstreamAt = this.vm.host.time;
    this.vm.host.hooks.upstream(this);
  }

  // proxy_continue_stream(0), applied after the VM call as Envoy does.
  continueRequest() {
    if (this.phase === 'request') this.continueAsked = true;
    else if (this.phase === 'paused') this.goUpstream();
  }

  continueResponse() {
    const resume = this.responseWait;
    this.responseWait = null;
    if (resume && this.alive) resume();
  }

  // The upstream's answer: {status, grpcStatus}. gRPC answers put grpc-status in trailers.
  respond({ status, grpcStatus }) {
    if (this.phase !== 'upstream') return;
    const headers = [[':status', String(status)]];
    let trailers = null;
    if (this.grpc) {
      headers.push(['content-type', 'application/grpc']);
      if (status === 200) trailers = [['grpc-status', String(grpcStatus ?? 0)]];
    }
    this.deliver(headers, Buffer.alloc(0), trailers);
  }

  // Envoy runs the filter's encoder callbacks for upstream answers and local replies.
  deliver(headers, body, trailers) {
    const vm = this.vm;
    this.phase = 'response';
    this.requestOpen = false;
    this.maps[2] = headers;
    this.status = Number(headers[0][1]);
    this.responseBody = body;
    if (this.bypassed) {
      this.maps[3] = trailers;
      this.finish();
      return;
    }
    const eos = body.length === 0 && !trailers ? 1 : 0;
    const action = vm.call('proxy_on_response_headers', this, this.id, headers.length, eos);
    if (action === TRAPPED || this.phase !== 'response') return;
    const rest = () => this.finishResponse(trailers);
    if (action === 1) this.responseWait = rest;
    else rest();
  }

  finishResponse(trailers) {
    const vm = this.vm;
    if (this.responseBody.length > 0) {
      const r = vm.call('proxy_on_response_body', this, this.id, this.responseBody.length, trailers ? 0 : 1);
      if (r === TRAPPED || this.phase !== 'response') return;
    }
    if (trailers) {
      this.maps[3] = trailers;
      const r = vm.call('proxy_on_response_trailers', this, this.id, trailers.length);
      if (r === TRAPPED || this.phase !== 'response') return;
    }
    this.end();
  }

  // A local reply recorded by proxy_send_local_response, applied after the callback.
  applyLocalReply() {
    const reply = this.pendingLocal;
    this.pendingLocal = null;
    if (!reply || this.phase === 'log' || !this.alive) return;
    this.localReply = reply;
    if (this.phase === 'response') {
      // Sent while encoding the upstream's headers: the reply replaces them.
      this.maps[2] = reply.headers;
      this.status = reply.wireStatus;
      return;
    }
    this.deliver(reply.headers, reply.wireBody, null);
  }

  // Client reset (outcome 'aborted') or proxy_close_stream (outcome 'reset'):
  // no response callbacks, only log, done, delete.
  reset(outcome) {
    if (!this.alive || this.phase === 'log') return;
    this.outcome = outcome;
    this.end();
  }

  // Stream end in Envoy's order: on_log, on_done, on_delete.
  end() {
    const vm = this.vm;
    this.phase = 'log';
    this.requestOpen = false;
    for (const cb of ['proxy_on_log', 'proxy_on_done', 'proxy_on_delete']) {
      if (vm.call(cb, this, this.id) === TRAPPED) return;
    }
    this.finish();
  }

  // Final bookkeeping without callbacks (also used when the VM traps or is killed).
  finish(outcome) {
    if (!this.alive) return;
    if (outcome) this.outcome = outcome;
    if (outcome === 'trap') this.status = 503; // Envoy fails the stream closed
    this.outcome ??= this.localReply ? 'blocked'
      : this.upstreamAt !== null ? (this.wasPaused ? 'held' : 'passed') : 'ended';
    this.phase = 'ended';
    this.vm.contexts.delete(this.id);
    this.vm.host.hooks.end(this);
  }
}

// ---- network (TCP) connection context ------------------------------------------------

// One downstream connection through the network Wasm filter on one VM, as Envoy's
// filter chain runs it: proxy_on_new_connection when it is accepted (a filter that
// returns StopIteration, or closes it, keeps tcp_proxy from ever connecting upstream),
// data callbacks, then proxy_on_downstream_connection_close, proxy_on_done and
// proxy_on_delete. conn: {port (the listener's, destination.port), peer, tag}.
// phase: opening -> open (upstream connected) | ended.
class Connection {
  constructor(vm, id, conn) {
    this.vm = vm;
    this.id = id;
    this.conn = conn;
    this.phase = 'opening';
    this.closeAsked = false;   // proxy_close_stream(downstream), applied after the call
    this.upstream = false;
    this.outcome = null;
    this.tag = conn.tag ?? null;   // free for the caller (the simulator's record)
  }

  get alive() { return this.phase !== 'ended'; }

  begin() {
    const vm = this.vm;
    if (vm.call('proxy_on_context_create', this, this.id, vm.rootId) === TRAPPED) return;
    const action = vm.call('proxy_on_new_connection', this, this.id);
    if (action === TRAPPED || !this.alive) return;
    if (this.closeAsked) return this.close('local', 'blocked');
    if (action === 0) {
      this.phase = 'open';
      this.upstream = true;
      vm.host.hooks.upstream(this);
    } else {
      this.phase = 'paused';   // held by the filter: nothing goes upstream yet
    }
  }

  // Bytes from the client (downstream) or the server (upstream).
  data(side, bytes, endOfStream = false) {
    if (this.phase !== 'open') return undefined;
    const cb = side === 'upstream' ? 'proxy_on_upstream_data' : 'proxy_on_downstream_data';
    return this.vm.call(cb, this, this.id, bytes, endOfStream ? 1 : 0);
  }

  // The connection closes: by the client (remote), by the filter (local) or by the
  // upstream; the filter hears of it once, then its context ends.
  close(by = 'remote', outcome = null) {
    if (!this.alive) return;
    const vm = this.vm;
    this.phase = 'closing';
    const peer = { unknown: 0, local: 1, remote: 2 }[by] ?? 0;
    const cb = by === 'upstream' ? 'proxy_on_upstream_connection_close' : 'proxy_on_downstream_connection_close';
    for (const [name, ...args] of [[cb, this.id, peer], ['proxy_on_done', this.id], ['proxy_on_delete', this.id]]) {
      if (vm.call(name, this, ...args) === TRAPPED) return;
    }
    this.finish(outcome);
  }

  finish(outcome) {
    if (!this.alive) return;
    if (outcome) this.outcome = outcome;
    this.outcome ??= this.upstream ? 'passed' : 'ended';
    this.phase = 'ended';
    this.vm.contexts.delete(this.id);
    this.vm.host.hooks.end(this);
  }
}

// Request headers as Envoy presents them: pseudo headers first, names lower-case.
function requestHeaderMap(req) {
  const map = [
    [':method', req.method],
    [':path', req.path],
    [':authority', req.authority ?? 'localhost'],
    [':scheme', 'http'],
  ];
  if (req.grpc) map.push(['content-type', 'application/grpc'], ['te', 'trailers']);
  for (const [k, v] of req.headers ?? []) map.push([k.toLowerCase(), v]);
  return map;
}

// The headers of a local reply as Envoy's sendLocalReply builds them. For a gRPC
// request Envoy answers "trailers-only": :status 200 with grpc-status/grpc-message.
function localReplyHeaders(stream, status, body, extra, grpcStatus) {
  if (stream.grpc) {
    const headers = [[':status', '200'], ['content-type', 'application/grpc'],
      ['grpc-status', String(grpcStatus >= 0 ? grpcStatus : httpToGrpcStatus(status))]];
    if (body.length) headers.push(['grpc-message', body.toString('utf8')]);
    return { headers: headers.concat(extra), wireBody: Buffer.alloc(0), wireStatus: 200 };
  }
  const headers = [[':status', String(status)]];
  if (body.length) {
    headers.push(['content-length', String(body.length)]);
    if (!extra.some(([k]) => k === 'content-type')) headers.push(['content-type', 'text/plain']);
  }
  return { headers: headers.concat(extra), wireBody: body, wireStatus: status };
}

// ---- VM -------------------------------------------------------------------------------

// One instance of the module with its own memory: Envoy's per-worker VM.
class Vm {
  constructor(host, index) {
    this.host = host;
    this.index = index;
    this.contexts = new Map();
    this.nextContextId = 1;
    this.effective = null;
    this.depth = 0;
    this.after = [];
    this.draining = false;
    this.failed = null;
    this.dead = false;
    this.phase = 'instantiate';
    this.tickPeriodMs = 0;
    this.metricNames = [];
    this.sharedGets = 0;
    this.sharedSets = 0;
    this.grpcCalls = new Map();   // token -> GrpcCall, while its outcome is awaited
    this.nextGrpcToken = 1;       // Envoy numbers unary calls 1, 3, 5...
    this.grpcReceived = null;     // the answer, during proxy_on_grpc_receive
    this.status = { code: 0, message: '' };   // proxy_get_status: the last close's
    this.hostCalls = host.countCalls ? new Map() : null;   // "callback import" -> calls
    this.callback = null;  // the outermost export being called (countCalls)
    this.viewsOf = null;   // the memory buffer that bytes and data view (views())
    this.bytes = null;
    this.data = null;
    this.instance = new WebAssembly.Instance(host.module, buildImports(this));
    this.exports = this.instance.exports;
    this.memory = this.exports.memory;
    if (!(this.memory instanceof WebAssembly.Memory)) throw new Error('module does not export its memory');
  }

  get memoryBytes() { return this.memory.buffer.byteLength; }

  // Envoy/proxy-wasm-cpp-host start order; any failure is an Error.
  start() {
    this.phase = 'initialize';
    if (typeof this.exports._initialize === 'function') {
      try { this.exports._initialize(); } catch (err) {
        throw new Error(`worker ${this.index}: _initialize failed: ${err.message}`);
      }
    }
    this.phase = 'running';
    this.root = { id: this.nextContextId++, root: true };
    this.rootId = this.root.id;
    this.contexts.set(this.root.id, this.root);
    const host = this.host;
    const steps = [
      ['proxy_on_context_create', [this.rootId, 0], null],
      ['proxy_on_vm_start', [this.rootId, host.vmConfig.length], 'VM start failed (proxy_on_vm_start returned false)'],
      ['proxy_on_configure', [this.rootId, host.pluginConfig.length], 'configuration failed (proxy_on_configure returned false)'],
    ];
    for (const [name, args, failure] of steps) {
      const r = this.call(name, this.root, ...args);
      if (r === TRAPPED) throw new Error(`worker ${this.index}: ${this.failed.message}`);
      if (failure && r === 0) throw new Error(`worker ${this.index}: ${failure}`);
    }
  }

  // Calls an export with `ctx` as the effective context. Returns undefined when the
  // export is absent, TRAPPED if the module trapped (the VM is then failed). Deferred
  // actions (local replies, continue, close) run when the outermost call returns.
  call(name, ctx, ...args) {
    if (this.failed || this.dead) return TRAPPED;
    const fn = this.exports[name];
    if (typeof fn !== 'function') return undefined;
    const saved = this.effective;
    this.effective = ctx;
    this.depth++;
    let result;
    let error = null;
    const timed = this.host.timing && this.depth === 1;
    if (this.depth === 1) this.callback = name;
    const start = timed ? process.hrtime.bigint() : 0n;
    try {
      result = fn(...args);
    } catch (err) {
      error = err;
    }
    if (timed) this.host.recordTime(name, process.hrtime.bigint() - start);
    this.effective = saved;
    this.depth--;
    if (error) {
      this.fail(name, ctx, error);
      return TRAPPED;
    }
    if (this.depth === 0) this.drain();
    return result;
  }

  defer(action) { this.after.push(action); }

  drain() {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.after.length && !this.failed) this.after.shift()();
    } finally {
      this.draining = false;
    }
  }

  // A trap fails the VM and no callback runs again. Fail closed (Envoy's default): its
  // streams fail with 503. Fail open (fail_open: true): they go on without the filter.
  fail(callback, ctx, err) {
    const context = ctx ? ctx.id : null;
    const message = `trap in ${callback} (context ${context}) on worker ${this.index}: ${err.message}`;
    this.failed = { callback, context, message };
    this.after.length = 0;
    this.cancelGrpcCalls();
    this.host.errors.push({ worker: this.index, callback, context, message });
    this.host.log(this, LogLevel.critical, message);
    if (!this.host.failOpen) {
      this.endAll('trap');
      return;
    }
    for (const c of [...this.contexts.values()]) if (c instanceof HttpStream) c.bypass();
  }

  endAll(outcome) {
    for (const c of [...this.contexts.values()]) {
      if (c instanceof HttpStream || c instanceof Connection) c.finish(outcome);
    }
  }

  // A new downstream connection through the network filter ({port, peer}); on a
  // failed VM Envoy closes it at once.
  startConnection(conn) {
    const c = new Connection(this, this.nextContextId++, conn);
    if (this.failed || this.dead) {
      c.finish('trap');
      return c;
    }
    this.contexts.set(c.id, c);
    c.begin();
    return c;
  }

  // The current connection (the effective context), or null.
  connection() {
    const c = this.effective;
    return c instanceof Connection && c.alive ? c : null;
  }

  // A new HTTP stream; on a failed VM it fails at once (Envoy's fail-closed 503), or
  // skips the filter when the host fails open.
  startHttpStream(request) {
    const stream = new HttpStream(this, this.nextContextId++, request);
    if (this.failed && this.host.failOpen && !this.dead) {
      stream.bypass();
      return stream;
    }
    if (this.failed || this.dead) {
      stream.finish('trap');
      return stream;
    }
    this.contexts.set(stream.id, stream);
    stream.begin();
    return stream;
  }

  tick() { return this.call('proxy_on_tick', this.root, this.rootId); }

  // The outcome of a gRPC call reaches the module as Envoy gives it, on the root
  // context: an answer as proxy_on_grpc_receive with the message in the
  // GrpcReceiveBuffer, a failure as proxy_on_grpc_close with its grpc-status. Nothing
  // for a call the module cancelled, nor on a failed or dead VM.
  grpcFinish(call, outcome) {
    if (this.grpcCalls.get(call.token) !== call) return;
    this.grpcCalls.delete(call.token);
    call.done = true;
    if (outcome.message instanceof Buffer) {
      this.grpcReceived = outcome.message;
      this.call('proxy_on_grpc_receive', this.root, this.rootId, call.token, outcome.message.length);
      this.grpcReceived = null;
    } else {
      this.grpcClose(call.token, outcome.status, outcome.message);
    }
  }

  grpcClose(token, code, message) {
    if (this.failed || this.dead) return;
    this.status = { code, message: message ?? '' };
    this.call('proxy_on_grpc_close', this.root, this.rootId, token, code);
    this.status = { code, message: '' };
  }

  // The VM is gone: its calls are cancelled without a word to it.
  cancelGrpcCalls() {
    for (const call of this.grpcCalls.values()) call.cancel();
    this.grpcCalls.clear();
  }

  // A new plugin configuration for the same VM, as Envoy applies one: a new root
  // context (context_create, vm_start, configure with the host's pluginConfig); if
  // its on_configure fails, it is dropped and the old root stays (Envoy keeps the
  // plugin it had), else the old root is done and deleted. True when applied.
  reconfigure() {
    if (this.failed || this.dead) return false;
    const root = { id: this.nextContextId++, root: true };
    this.contexts.set(root.id, root);
    const host = this.host;
    let ok = this.call('proxy_on_context_create', root, root.id, 0) !== TRAPPED &&
      this.call('proxy_on_vm_start', root, root.id, host.vmConfig.length) !== 0;
    ok = ok && this.call('proxy_on_configure', root, root.id, host.pluginConfig.length) === 1;
    const [gone, kept] = ok ? [this.root, root] : [root, this.root];
    if (!this.failed) {
      this.call('proxy_on_done', gone, gone.id);
      this.call('proxy_on_delete', gone, gone.id);
    }
    this.contexts.delete(gone.id);
    this.root = kept;
    this.rootId = kept.id;
    return ok && !this.failed;
  }

  // Calls any export with a chosen effective context (for tests and probes).
  invoke(name, ctx, ...args) { return this.call(name, ctx ?? this.root, ...args); }

  // ---- linear memory helpers: every access is bounds-checked ----

  check(ptr, len) {
    if (ptr < 0 || len < 0 || ptr + len > this.views().bytes.length) throw new OutOfBounds();
  }

  // Views of the whole memory, made again when it has grown: growing detaches the
  // old buffer (its length becomes 0) and memory.buffer is a new one.  So a host
  // call allocates no view of its own, and asks V8 for memory.buffer (a slow
  // getter) only after a growth.
  views() {
    if (this.viewsOf === null || this.viewsOf.byteLength === 0) {
      const buffer = this.memory.buffer;
      this.viewsOf = buffer;
      this.bytes = Buffer.from(buffer);
      this.data = new DataView(buffer);
    }
    return this;
  }

  // A copy of the bytes (the module may change them after the call).
  read(ptr, len) {
    ptr >>>= 0; len >>>= 0;
    this.check(ptr, len);
    return Buffer.from(this.views().bytes.subarray(ptr, ptr + len));
  }

  readString(ptr, len) {
    ptr >>>= 0; len >>>= 0;
    this.check(ptr, len);
    return this.views().bytes.toString('utf8', ptr, ptr + len);
  }

  writeU32(ptr, v) {
    ptr >>>= 0;
    this.check(ptr, 4);
    this.views().data.setUint32(ptr, v >>> 0, true);
  }

  writeU64(ptr, v) {
    ptr >>>= 0;
    this.check(ptr, 8);
    this.views().data.setBigUint64(ptr, BigInt.asUintN(64, BigInt(v)), true);
  }

  writeBytes(ptr, bytes) {
    ptr >>>= 0;
    this.check(ptr, bytes.length);
    this.views().bytes.set(bytes, ptr);
  }

  // Hands bytes (a Buffer, or a string as UTF-8) to the module in memory it allocates
  // (proxy_on_memory_allocate, else malloc), writing pointer and size to its out
  // pointers, as cpp-host does.
  give(value, ptrPtr, sizePtr) {
    this.check(ptrPtr >>> 0, 4);
    this.check(sizePtr >>> 0, 4);
    const text = typeof value === 'string';
    const size = text ? Buffer.byteLength(value) : value.length;
    let ptr = 0;
    if (size > 0) {
      const alloc = this.exports.proxy_on_memory_allocate ?? this.exports.malloc;
      if (typeof alloc !== 'function') return Status.InvalidMemoryAccess;
      ptr = alloc(size) >>> 0;
      if (ptr === 0) return Status.InvalidMemoryAccess;
      this.check(ptr, size);
      if (text) this.views().bytes.write(value, ptr, size, 'utf8');
      else this.views().bytes.set(value, ptr);
    }
    this.writeU32(ptrPtr, ptr);
    this.writeU32(sizePtr, size);
    return Status.Ok;
  }

  // The current HTTP stream (the effective context), or null.
  stream() {
    const c = this.effective;
    return c instanceof HttpStream && c.alive ? c : null;
  }
}

// ---- host functions -------------------------------------------------------------------

// A header map of the effective stream, or a status when Envoy would not give it.
function headerMap(vm, type) {
  const s = vm.stream();
  if (!s || type < 0 || type > 3) return { status: Status.BadArgument };
  if (type <= 1 && !s.requestOpen) return { status: Status.NotFound };
  const map = s.maps[type];
  if (!map) return { status: s.phase === 'log' ? Status.NotFound : Status.BadArgument };
  return { map, stream: s };
}

function removeAll(map, key) {
  for (let i = map.length - 1; i >= 0; i--) if (map[i][0] === key) map.splice(i, 1);
}

function headerFunctions(vm) {
  const key = (p, l) => vm.readString(p, l).toLowerCase();
  return {
    proxy_get_header_map_value(type, kp, kl, vpp, vlp) {
      const { map, status } = headerMap(vm, type);
      if (!map) return status;
      const k = key(kp, kl);
      const hit = map.find(([name]) => name === k);
      if (!hit) return Status.NotFound;
      return vm.give(hit[1], vpp, vlp);
    },
    proxy_add_header_map_value(type, kp, kl, vp, vl) {
      const { map, status } = headerMap(vm, type);
      if (!map) return status;
      map.push([key(kp, kl), vm.readString(vp, vl)]);
      return Status.Ok;
    },
    proxy_replace_header_map_value(type, kp, kl, vp, vl) {
      const { map, status } = headerMap(vm, type);
      if (!map) return status;
      const k = key(kp, kl);
      const v = vm.readString(vp, vl);
      removeAll(map, k);
      map.push([k, v]);
      return Status.Ok;
    },
    proxy_remove_header_map_value(type, kp, kl) {
      const { map, status } = headerMap(vm, type);
      if (!map) return status;
      removeAll(map, key(kp, kl));
      return Status.Ok;
    },
    proxy_get_header_map_pairs(type, pp, sp) {
      const { map, status } = headerMap(vm, type);
      if (!map) return status;
      return vm.give(serializePairs(map), pp, sp);
    },
    proxy_set_header_map_pairs(type, ptr, len) {
      const { map, status } = headerMap(vm, type);
      if (!map) return status;
      const pairs = parsePairs(vm.read(ptr, len));
      if (!pairs) return Status.BadArgument;
      map.splice(0, map.length, ...pairs.map(([k, v]) => [k.toLowerCase(), v]));
      return Status.Ok;
    },
    proxy_get_header_map_size(type, sizePtr) {
      const { map, status } = headerMap(vm, type);
      if (!map) return status;
      vm.writeU32(sizePtr, headerBytes(map));
      return Status.Ok;
    },
  };
}

function streamFunctions(vm) {
  return {
    proxy_continue_stream(type) {
      const s = vm.stream();
      if (!s || (type !== 0 && type !== 1)) return Status.BadArgument;
      vm.defer(() => (type === 0 ? s.continueRequest() : s.continueResponse()));
      return Status.Ok;
    },
    proxy_close_stream(type) {
      const c = vm.connection();
      if (c && (type === 2 || type === 3)) {
        // Envoy closes the connection (FlushWrite) after the VM call.
        if (c.phase === 'opening') c.closeAsked = true;
        else vm.defer(() => c.close('local'));
        return Status.Ok;
      }
      const s = vm.stream();
      if (!s || (type !== 0 && type !== 1)) return Status.BadArgument;
      vm.defer(() => s.reset('reset'));
      return Status.Ok;
    },
    proxy_send_local_response(status, dp, dl, bp, bl, hp, hl, grpcStatus) {
      const s = vm.stream();
      if (!s) return Status.BadArgument;
      const details = vm.readString(dp, dl);
      const body = vm.read(bp, bl);
      const extra = parsePairs(vm.read(hp, hl));
      if (!extra) return Status.BadArgument;
      const lower = extra.map(([k, v]) => [k.toLowerCase(), v]);
      s.pendingLocal = { status, details, body: body.toString('utf8'), grpcStatus: grpcStatus >= 0 ? grpcStatus : null,
        ...localReplyHeaders(s, status, body, lower, grpcStatus) };
      vm.defer(() => s.applyLocalReply());
      return Status.Ok;
    },
    proxy_set_effective_context(id) {
      const c = vm.contexts.get(id >>> 0);
      if (!c) return Status.BadArgument;
      vm.effective = c;
      return Status.Ok;
    },
    proxy_done() { return Status.Ok; },
    proxy_get_buffer_bytes(type, start, length, pp, sp) {
      const buf = bufferOf(vm, type);
      if (!buf) return Status.NotFound;
      start >>>= 0; length >>>= 0;
      if (start > buf.length) return Status.BadArgument;
      return vm.give(buf.subarray(start, Math.min(buf.length, start + length)), pp, sp);
    },
    proxy_get_buffer_status(type, lenPtr, flagsPtr) {
      const buf = bufferOf(vm, type);
      if (!buf) return Status.NotFound;
      vm.writeU32(lenPtr, buf.length);
      vm.writeU32(flagsPtr, 0);
      return Status.Ok;
    },
    proxy_get_property(pp, pl, vpp, vlp) {
      const path = vm.read(pp, pl).toString('utf8').split('\0').filter(Boolean).join('.');
      const value = propertyOf(vm, path);
      if (value === undefined) return Status.NotFound;
      return vm.give(Buffer.isBuffer(value) ? value : Buffer.from(value), vpp, vlp);
    },
  };
}

function bufferOf(vm, type) {
  if (type === BufferType.PluginConfiguration) return vm.host.pluginConfig;
  if (type === BufferType.GrpcReceiveBuffer) return vm.grpcReceived;
  if (type === BufferType.VmConfiguration) return vm.host.vmConfig;
  const s = vm.stream();
  if (type === BufferType.HttpResponseBody && s && s.phase === 'response') return s.responseBody;
  return null;
}

// A connection's attributes: destination.* is the listener's address (the
// downstream local address), source.* the client's.
function connectionProperty(host, c, path) {
  const peer = c.conn.peer ?? host.peer;
  const port = c.conn.port ?? 0;
  switch (path) {
    case 'plugin_name': return host.pluginName;
    case 'plugin_root_id': return host.rootId;
    case 'plugin_vm_id': return host.vmId;
    case 'source.address': return peer;
    case 'source.port': return i64Bytes(Number(peer.split(':').pop()));
    case 'destination.address': return `${DESTINATION.split(':')[0]}:${port}`;
    case 'destination.port': return i64Bytes(port);
    default: return undefined;
  }
}

// Envoy attributes. request.* come from the request headers, so like them they are
// gone once the request was let through.
function propertyOf(vm, path) {
  const host = vm.host;
  const c = vm.connection();
  if (c) return connectionProperty(host, c, path);
  const s = vm.stream();
  const peer = s ? s.request.peer ?? host.peer : null;
  const fromRequest = s && s.requestOpen;
  const header = (name) => (fromRequest ? s.maps[0].find(([k]) => k === name)?.[1] : undefined);
  switch (path) {
    case 'plugin_name': return host.pluginName;
    case 'plugin_root_id': return host.rootId;
    case 'plugin_vm_id': return host.vmId;
    case 'source.address': return peer ?? undefined;
    case 'source.port': return peer ? i64Bytes(Number(peer.split(':').pop())) : undefined;
    case 'destination.address': return s ? DESTINATION : undefined;
    case 'destination.port': return s ? i64Bytes(Number(DESTINATION.split(':').pop())) : undefined;
    case 'request.path': return header(':path');
    case 'request.url_path': return header(':path')?.split('?')[0];
    case 'request.method': return header(':method');
    case 'request.host': return header(':authority');
    case 'request.scheme': return header(':scheme');
    case 'request.protocol': return s ? (s.grpc ? 'HTTP/2' : 'HTTP/1.1') : undefined;
    case 'response.code': return s && s.status !== null ? i64Bytes(s.status) : undefined;
    default: return undefined;
  }
}

function sharedDataFunctions(vm) {
  const host = vm.host;
  return {
    proxy_get_shared_data(kp, kl, vpp, vlp, casPtr) {
      vm.sharedGets++;
      const entry = host.shared.get(vm.readString(kp, kl));
      if (!entry) return Status.NotFound;
      vm.check(casPtr >>> 0, 4);
      const r = vm.give(entry.value, vpp, vlp);
      if (r === Status.Ok) vm.writeU32(casPtr, entry.cas);
      return r;
    },
    // As cpp-host: a nonzero cas must match an existing key's; each set takes a new
    // cas from one process-wide counter (never 0).
    proxy_set_shared_data(kp, kl, vp, vl, cas) {
      vm.sharedSets++;
      const key = vm.readString(kp, kl);
      const value = vm.read(vp, vl);
      const entry = host.shared.get(key);
      if (entry && cas !== 0 && entry.cas !== cas >>> 0) return Status.CasMismatch;
      host.shared.set(key, { value, cas: host.nextCas() });
      return Status.Ok;
    },
  };
}

// ---- gRPC calls ------------------------------------------------------------------------

// One unary call in flight: what the module asked, and its outcome once known.
// settled resolves to {message: Buffer} or {status, message}.
class GrpcCall {
  constructor(vm, token, { cluster, address, path, message, timeoutMs }) {
    Object.assign(this, { vm, token, cluster, address, path, message, timeoutMs });
    this.startedAt = vm.host.time;
    this.outcome = null;
    this.done = false;
    const { outcome, cancel } = vm.host.grpcTransport(address, path, message, timeoutMs);
    this.cancelTransport = cancel;
    this.settled = outcome.then((o) => { this.outcome = o; return o; });
  }

  cancel() { this.cancelTransport(); }
}

// As Envoy's Context::grpcCall and proxy-wasm-cpp-host: the call belongs to the root
// context; `service` is a serialized GrpcService naming the cluster, or the cluster's
// name itself (which must exist: else ParseFailure). A cluster the host has no address
// for fails the way Envoy's async client fails one it does not know: at once, so the
// call returns InternalFailure and its close (UNAVAILABLE) comes after the VM call.
function grpcFunctions(vm) {
  const host = vm.host;
  return {
    proxy_grpc_call(sp, sl, np, nl, mp, ml, ip, il, rp, rl, timeoutMs, tokenPtr) {
      const service = vm.read(sp, sl);
      const path = `/${vm.readString(np, nl)}/${vm.readString(mp, ml)}`;
      if (!parsePairs(vm.read(ip, il))) return Status.BadArgument;
      const message = vm.read(rp, rl);
      vm.check(tokenPtr >>> 0, 4);
      const { cluster, parsed } = grpcServiceCluster(service);
      const address = host.grpcAddress(cluster);
      if (!address && !parsed) return Status.ParseFailure;
      const token = vm.nextGrpcToken;
      vm.nextGrpcToken += 2;
      host.grpcCallsMade++;
      if (!address) {
        host.grpcUnknownClusters.add(cluster);
        vm.defer(() => vm.grpcClose(token, GrpcCode.Unavailable, 'Cluster not available'));
        return Status.InternalFailure;
      }
      const call = new GrpcCall(vm, token, { cluster, address, path, message, timeoutMs: timeoutMs >>> 0 });
      vm.grpcCalls.set(token, call);
      vm.writeU32(tokenPtr, token);
      if (!host.hooks.grpcCall(call)) call.settled.then((o) => vm.grpcFinish(call, o));
      return Status.Ok;
    },
    proxy_grpc_cancel(token) {
      const call = vm.grpcCalls.get(token >>> 0);
      if (!call) return Status.NotFound;
      vm.grpcCalls.delete(call.token);
      call.cancel();
      return Status.Ok;
    },
    // For a unary call, closing is cancelling (Envoy's grpcClose).
    proxy_grpc_close(token) {
      const call = vm.grpcCalls.get(token >>> 0);
      if (!call) return Status.NotFound;
      vm.grpcCalls.delete(call.token);
      call.cancel();
      return Status.Ok;
    },
    proxy_get_status(codePtr, mpp, mlp) {
      vm.writeU32(codePtr, vm.status.code);
      return vm.give(Buffer.from(vm.status.message), mpp, mlp);
    },
  };
}

function metricFunctions(vm) {
  const host = vm.host;
  const metricOf = (id) => host.metrics.get(vm.metricNames[(id >>> 0) - 1]);
  return {
    proxy_define_metric(type, np, nl, idPtr) {
      if (type < 0 || type > 2) return Status.BadArgument;
      const name = vm.readString(np, nl);
      const m = host.metrics.get(name);
      if (m && m.type !== type) return Status.BadArgument;
      vm.check(idPtr >>> 0, 4);
      if (!m) host.metrics.set(name, { type, value: 0, count: 0, sum: 0 });
      vm.metricNames.push(name);
      vm.writeU32(idPtr, vm.metricNames.length);
      return Status.Ok;
    },
    proxy_increment_metric(id, offset) {
      const m = metricOf(id);
      if (!m) return Status.NotFound;
      if (m.type === MetricType.Histogram) return Status.BadArgument;
      if (m.type === MetricType.Counter && offset <= 0n) return Status.BadArgument;
      m.value += Number(offset);
      host.hooks.metric(vm, vm.metricNames[(id >>> 0) - 1], Number(offset));
      return Status.Ok;
    },
    proxy_record_metric(id, value) {
      const m = metricOf(id);
      if (!m) return Status.NotFound;
      if (m.type === MetricType.Histogram) {
        m.count++;
        m.sum += Number(BigInt.asUintN(64, value));
      } else {
        m.value = Number(m.type === MetricType.Gauge ? BigInt.asIntN(64, value) : BigInt.asUintN(64, value));
      }
      return Status.Ok;
    },
    proxy_get_metric(id, out) {
      const m = metricOf(id);
      if (!m) return Status.NotFound;
      if (m.type === MetricType.Histogram) return Status.BadArgument;
      vm.writeU64(out, m.value);
      return Status.Ok;
    },
  };
}

function miscFunctions(vm) {
  const host = vm.host;
  return {
    proxy_log(level, ptr, len) {
      host.log(vm, level, vm.readString(ptr, len));
      return Status.Ok;
    },
    proxy_get_log_level(out) {
      vm.writeU32(out, host.logLevel);
      return Status.Ok;
    },
    proxy_get_current_time_nanoseconds(out) {
      vm.writeU64(out, host.time);
      return Status.Ok;
    },
    proxy_set_tick_period_milliseconds(ms) {
      vm.tickPeriodMs = ms >>> 0;
      host.hooks.tickPeriod(vm, vm.tickPeriodMs);
      return Status.Ok;
    },
  };
}

// The WASI calls Envoy provides, minimal. Errors are WASI errno values.
function wasiFunctions(vm) {
  const host = vm.host;
  const zeroPair = (a, b) => { vm.writeU32(a, 0); vm.writeU32(b, 0); return 0; };
  return {
    clock_time_get(id, precision, out) { vm.writeU64(out, host.time); return 0; },
    random_get(ptr, len) {
      const bytes = Buffer.alloc(len >>> 0);
      for (let i = 0; i < bytes.length; i++) bytes[i] = host.random() & 0xff;
      vm.writeBytes(ptr, bytes);
      return 0;
    },
    fd_write(fd, iovs, count, nwrittenPtr) {
      if (fd !== 1 && fd !== 2) return WASI_EBADF;
      const view = () => new DataView(vm.memory.buffer);
      const chunks = [];
      for (let i = 0; i < count >>> 0; i++) {
        vm.check((iovs >>> 0) + 8 * i, 8);
        chunks.push(vm.read(view().getUint32(iovs + 8 * i, true), view().getUint32(iovs + 8 * i + 4, true)));
      }
      const data = Buffer.concat(chunks);
      vm.writeU32(nwrittenPtr, data.length);
      // Envoy logs stdout at info and stderr at error.
      host.log(vm, fd === 1 ? LogLevel.info : LogLevel.error, data.toString('utf8').replace(/\n$/, ''));
      return 0;
    },
    environ_sizes_get: zeroPair,
    environ_get() { return 0; },
    args_sizes_get: zeroPair,
    args_get() { return 0; },
    proc_exit(code) { throw new Error(`module called proc_exit(${code})`); },
    fd_close() { return WASI_EBADF; },
    fd_seek() { return WASI_ESPIPE; },
    fd_fdstat_get(fd, out) {
      if (fd !== 1 && fd !== 2) return WASI_EBADF;
      vm.writeBytes(out, Buffer.alloc(24));
      vm.writeBytes(out, Buffer.from([2])); // filetype: character device
      return 0;
    },
  };
}

// Builds the import object for exactly what the module declares. Known functions are
// wrapped (bounds errors -> InvalidMemoryAccess/EFAULT, _initialize restrictions);
// unknown ones throw naming themselves when called, so instantiation succeeds.
function buildImports(vm) {
  const impl = {
    env: { ...miscFunctions(vm), ...headerFunctions(vm), ...streamFunctions(vm),
      ...sharedDataFunctions(vm), ...metricFunctions(vm), ...grpcFunctions(vm) },
    wasi_snapshot_preview1: wasiFunctions(vm),
  };
  const imports = {};
  for (const { module, name, kind } of WebAssembly.Module.imports(vm.host.module)) {
    if (!impl[module]) throw new Error(`module imports ${module}.${name}, but Envoy only provides "env" and "wasi_snapshot_preview1"`);
    if (kind !== 'function') throw new Error(`module imports ${kind} ${module}.${name}; Envoy provides only functions`);
    imports[module] ??= {};
    const fn = impl[module][name];
    imports[module][name] = fn ? wrapImport(vm, module, name, fn) : () => {
      throw new Error(`host does not implement ${module}.${name}`);
    };
  }
  return imports;
}

function wrapImport(vm, module, name, fn) {
  const badMemory = module === 'env' ? Status.InvalidMemoryAccess : WASI_EFAULT;
  const calls = vm.hostCalls;   // counting only when the host was asked to (countCalls)
  return (...args) => {
    if (calls) {
      const key = `${vm.callback ?? '(start)'} ${name}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
    }
    if (vm.phase === 'initialize' && !INIT_ALLOWED.has(name)) {
      throw new Error(`${module}.${name} called during _initialize, where Envoy allows only logging, clock, random, environment and fd_write`);
    }
    try {
      return fn(...args);
    } catch (err) {
      if (err instanceof OutOfBounds) return badMemory;
      throw err;
    }
  };
}

// ---- Host ---------------------------------------------------------------------------

const noHooks = { upstream() {}, end() {}, tickPeriod() {}, metric() {}, log() {}, grpcCall() { return false; } };

// The process: a virtual clock, shared data, metrics, logs and N worker VMs of one
// compiled module.
class Host {
  // options: workers (1), pluginConfig, vmConfig (string|Buffer), pluginName, rootId,
  // vmId, failOpen (a trapped VM lets streams pass instead of failing them with 503),
  // peer (default source.address), seed, logLevel (0..5, default info),
  // onLog({worker, context, level, message}), hooks {upstream(stream), end(stream),
  // tickPeriod(vm, ms), metric(vm, name, delta) for counter increments, log(vm,
  // entry) for each log entry kept, grpcCall(call): return true to deliver the call's
  // outcome yourself (vm.grpcFinish), else it is delivered as soon as it is known},
  // timing (measure the wall time of each outermost call into the module),
  // countCalls (count the module's calls of each host function, per VM:
  // hostCallCounts(); off, a call pays one test),
  // clusters ({name: 'host:port'}, '*' for any: where gRPC calls to an Envoy cluster
  // go), grpcTransport(address, path, message, timeoutMs) -> {outcome, cancel} (default:
  // real gRPC over HTTP/2, grpc.js).
  constructor(wasm, options = {}) {
    this.module = wasm instanceof WebAssembly.Module ? wasm : new WebAssembly.Module(wasm);
    const exported = WebAssembly.Module.exports(this.module).map((e) => e.name);
    if (!exported.includes('proxy_abi_version_0_2_1')) throw new Error('module is not Proxy-Wasm ABI 0.2.1');
    this.time = EPOCH_NS;
    this.shared = new Map();
    this.cas = 0;
    this.metrics = new Map();
    this.logs = [];
    this.errors = [];
    this.pluginConfig = Buffer.from(options.pluginConfig ?? '');
    this.vmConfig = Buffer.from(options.vmConfig ?? '');
    this.pluginName = options.pluginName ?? 'sentc';
    this.rootId = options.rootId ?? '';
    this.vmId = options.vmId ?? '';
    this.failOpen = !!options.failOpen;
    this.peer = options.peer ?? '10.0.0.1:40000';
    this.logLevel = options.logLevel ?? LogLevel.info;
    this.onLog = options.onLog ?? null;
    this.hooks = { ...noHooks, ...options.hooks };
    this.timing = options.timing ? new Map() : null;
    this.clusters = { ...options.clusters };
    this.grpcTransport = options.grpcTransport ?? unaryCall;
    this.grpcCallsMade = 0;
    this.grpcUnknownClusters = new Set();
    this.countCalls = !!options.countCalls;
    this.setSeed(options.seed ?? 1);
    this.vms = [];
    this.retired = [];
    for (let i = 0; i < (options.workers ?? 1); i++) this.addVm();
  }

  // ---- clock: moves only when told to (it may stand still or go backwards) ----
  setTime(ns) { this.time = BigInt(ns); }
  advance(ns) { this.time += BigInt(ns); }

  // ---- timing: real time spent in the module, per export, outermost calls only ----
  recordTime(name, ns) {
    if (!this.timing.has(name)) this.timing.set(name, []);
    this.timing.get(name).push(Number(ns));
  }

  // { export: { calls, medianNs } }, or null when not timing.
  timingObject() {
    if (!this.timing) return null;
    const out = {};
    for (const [name, samples] of this.timing) {
      const sorted = Float64Array.from(samples).sort();
      out[name] = { calls: sorted.length, medianNs: sorted[sorted.length >> 1] };
    }
    return out;
  }

  // xorshift32: deterministic per seed, for random_get.
  setSeed(seed) { this.rng = (seed >>> 0) || 0x9e3779b9; }
  random() {
    let x = this.rng;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.rng = x;
    return x;
  }

  nextCas() {
    this.cas = (this.cas + 1) >>> 0 || 1;
    return this.cas;
  }

  log(vm, level, message) {
    if (level < this.logLevel) return;
    const entry = { worker: vm.index, context: vm.effective ? vm.effective.id : null, level, message };
    this.logs.push(entry);
    this.hooks.log(vm, entry);
    if (this.onLog) this.onLog(entry);
  }

  // The address gRPC calls to Envoy cluster `name` go to, or undefined.
  grpcAddress(name) { return this.clusters[name] ?? this.clusters['*']; }

  // ---- workers ----
  addVm() {
    const vm = new Vm(this, this.vms.length);
    this.vms.push(vm);
    vm.start();
    return vm;
  }

  // A new plugin configuration (Envoy's `configuration`, Istio's `pluginConfig`)
  // for every worker's VM; rejected by any, it is rejected and the old one stays.
  // True when applied.
  reconfigure(pluginConfig) {
    const old = this.pluginConfig;
    this.pluginConfig = Buffer.from(pluginConfig);
    let ok = true;
    for (const vm of this.vms) ok = vm.reconfigure() && ok;
    if (!ok) this.pluginConfig = old;
    return ok;
  }

  // The VM dies without further callbacks (a crash): its streams end as `killed`.
  killVm(index) {
    const vm = this.vms[index];
    vm.dead = true;
    vm.cancelGrpcCalls();
    vm.endAll('killed');
    this.retired.push(vm);
    return vm;
  }

  // Kill, then start a fresh VM (new instance and memory) in the same slot.
  recreateVm(index) {
    this.killVm(index);
    const vm = new Vm(this, index);
    this.vms[index] = vm;
    vm.start();
    return vm;
  }

  // ---- reporting ----
  // A counter's or gauge's value; a histogram's number of recorded values.
  metric(name) {
    const m = this.metrics.get(name);
    return m?.type === MetricType.Histogram ? m.count : m?.value;
  }

  metricsObject() {
    return Object.fromEntries([...this.metrics].map(([name, m]) => [name, { ...m }]));
  }

  // { import name: calls } over every VM (retired ones too), or null when not
  // counting; with byCallback, { callback: { import name: calls } }, the
  // callback being the module's outermost export then running ('(start)':
  // _initialize).  resetHostCalls() starts the counts again (after a warm-up).
  hostCallCounts(byCallback = false) {
    if (!this.countCalls) return null;
    const out = {};
    for (const vm of this.vms.concat(this.retired)) {
      for (const [key, n] of vm.hostCalls) {
        const [callback, name] = key.split(' ');
        const into = byCallback ? (out[callback] ??= {}) : out;
        into[name] = (into[name] ?? 0) + n;
      }
    }
    return out;
  }

  resetHostCalls() {
    for (const vm of this.vms.concat(this.retired)) vm.hostCalls?.clear();
  }

  sharedDataCalls() {
    const all = this.vms.concat(this.retired);
    const sum = (f) => all.reduce((n, vm) => n + vm[f], 0);
    return { gets: sum('sharedGets'), sets: sum('sharedSets'),
      perWorker: this.vms.map((vm) => ({ gets: vm.sharedGets, sets: vm.sharedSets })) };
  }
}

module.exports = {
  Host, Vm, HttpStream, Connection, GrpcCall, Status, MetricType, LogLevel, EPOCH_NS, TRAPPED,
  serializePairs, parsePairs,
};
