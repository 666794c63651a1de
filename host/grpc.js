// grpc.js: unary gRPC calls over HTTP/2 for the Proxy-Wasm host (proxywasm.js), with
// node:http2 and nothing else, as Envoy's gRPC client makes them for proxy_grpc_call:
// one POST /SERVICE/METHOD with content-type application/grpc, te: trailers and a
// grpc-timeout, the message in one length-prefixed frame, the answer's message and its
// grpc-status (in the trailers, or the headers of a trailers-only answer).
//
// Why: a module that asks a rate-limit service must be tested against a real one over
// real gRPC, and the host has no npm dependency; the test service (tests/rls) is built
// on @grpc/grpc-js, an independent implementation, so the two check each other.
//
// A call's outcome is {message: Buffer} or {status, message: string}, with the statuses
// Envoy gives a Wasm module: 14 UNAVAILABLE when the service cannot be reached (Envoy
// maps its 503 so), 4 DEADLINE_EXCEEDED at the timeout (Envoy 1.38 and later; older
// ones report 14), the service's grpc-status otherwise, 13 INTERNAL for an answer that
// is not gRPC. Also the GrpcService message a module names the cluster with.
'use strict';

const http2 = require('node:http2');

const Code = Object.freeze({ Ok: 0, Cancelled: 1, Unknown: 2, DeadlineExceeded: 4, Internal: 13, Unavailable: 14 });

// Envoy's Grpc::Utility::httpToGrpcStatus.
function httpToGrpcStatus(status) {
  const map = { 400: 13, 401: 16, 403: 7, 404: 12, 429: 14, 502: 14, 503: 14, 504: 14 };
  return map[status] ?? 2;
}

// ---- the GrpcService a module passes (envoy.config.core.v3.GrpcService) ----------------

function readVarint(buf, at) {
  let v = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (at >= buf.length) return null;
    const b = buf[at++];
    v |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return { value: v, at };
  }
  return null;
}

// The fields of a message as [number, wireType, value] (value: a Buffer for LEN,
// a BigInt for VARINT), or null when the bytes do not parse as protobuf.
function readFields(buf) {
  const fields = [];
  let at = 0;
  while (at < buf.length) {
    const tag = readVarint(buf, at);
    if (!tag || tag.value >> 3n === 0n) return null;
    at = tag.at;
    const number = Number(tag.value >> 3n);
    const type = Number(tag.value & 7n);
    if (type === 0) {
      const v = readVarint(buf, at);
      if (!v) return null;
      fields.push([number, type, v.value]);
      at = v.at;
    } else if (type === 2) {
      const len = readVarint(buf, at);
      if (!len || len.at + Number(len.value) > buf.length) return null;
      fields.push([number, type, buf.subarray(len.at, len.at + Number(len.value))]);
      at = len.at + Number(len.value);
    } else if (type === 1 || type === 5) {
      const n = type === 1 ? 8 : 4;
      if (at + n > buf.length) return null;
      fields.push([number, type, buf.subarray(at, at + n)]);
      at += n;
    } else {
      return null;
    }
  }
  return fields;
}

// The Envoy cluster proxy_grpc_call's `service` names: a GrpcService's
// envoy_grpc.cluster_name (field 1 of field 1), as Envoy reads it when the bytes parse
// as one; else the bytes themselves are the cluster's name. {cluster, parsed}.
function grpcServiceCluster(bytes) {
  const fields = readFields(bytes);
  if (!fields) return { cluster: bytes.toString('utf8'), parsed: false };
  const envoyGrpc = fields.find(([n, t]) => n === 1 && t === 2);
  const name = envoyGrpc && readFields(envoyGrpc[2])?.find(([n, t]) => n === 1 && t === 2);
  return { cluster: name ? name[2].toString('utf8') : '', parsed: true };
}

// ---- calls ------------------------------------------------------------------------------

// One HTTP/2 session per address, kept while calls are in flight (so a process with
// none left can exit).
class Channel {
  constructor(address) {
    this.address = address;
    this.session = null;
    this.inFlight = 0;
  }

  connect() {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = http2.connect(`http://${this.address}`);
    session.on('error', () => {});   // each stream reports its own failure
    session.on('close', () => { if (this.session === session) this.session = null; });
    this.session = session;
    return session;
  }

  hold() { if (this.inFlight++ === 0 && this.session) this.session.ref(); }

  release() {
    if (--this.inFlight === 0 && this.session && !this.session.destroyed) this.session.unref();
  }

  close() {
    if (this.session) this.session.destroy();
    this.session = null;
  }
}

const channels = new Map();

function channel(address) {
  if (!channels.has(address)) channels.set(address, new Channel(address));
  return channels.get(address);
}

// Closes every connection at once (the host is done: no call is waited for).
function closeAll() {
  for (const c of channels.values()) c.close();
  channels.clear();
}

// A unary call of `path` ("/package.Service/Method") to `address` ("host:port"), giving
// up after timeoutMs. Returns {outcome: Promise, cancel()}: the promise resolves (never
// rejects) to {message} or {status, message}; after cancel() it resolves to
// {status: 1, message: 'cancelled'}.
function unaryCall(address, path, message, timeoutMs) {
  const ch = channel(address);
  let finish;
  const outcome = new Promise((resolve) => { finish = resolve; });
  let done = false;
  let stream = null;
  let timer = null;
  const end = (result) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    ch.release();
    if (stream && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    finish(result);
  };
  ch.hold();
  timer = setTimeout(() => end({ status: Code.DeadlineExceeded, message: 'upstream request timeout' }), timeoutMs);
  let session;
  try {
    session = ch.connect();
    session.ref();
    stream = session.request({
      ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers',
      'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
    });
  } catch (err) {
    end({ status: Code.Unavailable, message: `upstream connect error: ${err.message}` });
    return { outcome, cancel() {} };
  }
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  stream.end(frame);
  let headers = null;
  const chunks = [];
  stream.on('response', (h) => { headers = h; });
  stream.on('data', (chunk) => chunks.push(chunk));
  stream.on('error', (err) => end({ status: Code.Unavailable, message: `upstream connect error or disconnect/reset before headers: ${err.code ?? err.message}` }));
  stream.on('trailers', (t) => { headers = { ...headers, ...t }; });
  stream.on('close', () => end(answer(headers, Buffer.concat(chunks))));
  return { outcome, cancel: () => end({ status: Code.Cancelled, message: 'cancelled' }) };
}

// What an ended HTTP/2 answer means for a unary gRPC call.
function answer(headers, body) {
  if (!headers) return { status: Code.Unavailable, message: 'upstream reset before headers' };
  const http = Number(headers[':status']);
  if (http !== 200) return { status: httpToGrpcStatus(http), message: `non-200 HTTP response: ${http}` };
  if (!String(headers['content-type'] ?? '').startsWith('application/grpc')) {
    return { status: Code.Internal, message: 'not a gRPC answer' };
  }
  const status = headers['grpc-status'];
  if (status === undefined) return { status: Code.Internal, message: 'no grpc-status' };
  if (Number(status) !== Code.Ok) return { status: Number(status), message: String(headers['grpc-message'] ?? '') };
  if (body.length < 5 || body[0] !== 0) return { status: Code.Internal, message: 'a compressed or missing message' };
  const len = body.readUInt32BE(1);
  if (body.length !== 5 + len) return { status: Code.Internal, message: 'not exactly one message' };
  return { message: body.subarray(5) };
}

module.exports = { Code, grpcServiceCluster, unaryCall, closeAll, httpToGrpcStatus };
