// simulate.js: the discrete-event simulator that runs a parsed traffic file through a
// Host (proxywasm.js) on a virtual clock.
//
// Why: sentc's policies depend on time (windows, throttling queues, breakers) and on
// worker threads sharing state; replaying traffic on a virtual clock with N worker
// VMs exercises exactly that, deterministically and without sleeping. The result
// (per-request outcomes and verdicts, breaker transitions, totals, metrics, memory,
// shared-data calls, logs, expectation results) feeds the CLI, the timeline, the
// e2e tests and the benchmarks.
'use strict';

const { Host, EPOCH_NS, LogLevel } = require('./proxywasm.js');
const { TrafficError, formatDuration } = require('./traffic.js');
const { events } = require('./expand.js');
const { Heap } = require('./heap.js');
const { Collector, classify, shownOutcome } = require('./verdicts.js');

// Streams still paused this long after the last event are reported as stuck.
const DRAIN_LIMIT_NS = 3600e9;
// How long the ticks run on after the traffic, for the metrics (see flushMetrics).
const FLUSH_NS = 2.5e9;

// Timed events of the run (answers, aborts), earliest first; ties keep the order
// they were queued in.
class EventQueue {
  constructor() {
    this.heap = new Heap((x, y) => x.at < y.at || (x.at === y.at && x.seq < y.seq));
    this.seq = 0;
  }

  peek() { return this.heap.peek(); }
  push(at, run) { this.heap.push({ at, seq: this.seq++, run }); }
  pop() { return this.heap.pop(); }
}

// The record of the HTTP stream or TCP connection the module is acting for (the
// effective context), or null.
function recordOf(vm) {
  const s = vm.stream();
  return s ? s.request.tag : vm.connection()?.tag ?? null;
}

class Simulation {
  constructor(wasm, traffic, options) {
    this.traffic = traffic;
    this.workers = options.workers ?? traffic.workers ?? 1;
    checkWorkers(traffic, this.workers);
    this.now = 0;
    this.queue = new EventQueue();
    this.tickAt = new Map();   // vm -> next tick time (ns of simulated time)
    this.clockOffset = 0n;     // clock jumps
    this.frozen = false;
    this.records = [];
    this.configs = [];         // configuration changes: { atNs, line, text, applied }
    this.alive = 0;
    this.roundRobin = 0;
    this.errors = [];
    const plugin = options.plugin ?? {};  // settings from an Envoy bootstrap (envoyconf.js)
    this.seed = options.seed ?? traffic.seed ?? 1;
    this.collector = new Collector();
    // `expect ... by R/RULE` needs the module's decision lines (log level debug).
    const byRule = traffic.expects.some((e) => e.where?.by);
    this.host = new Host(wasm, {
      workers: this.workers,
      pluginConfig: plugin.pluginConfig ?? traffic.config,
      vmId: plugin.vmId,
      rootId: plugin.rootId,
      pluginName: plugin.pluginName,
      failOpen: plugin.failOpen,
      peer: traffic.peer ?? undefined,
      seed: this.seed,
      logLevel: options.logLevel ?? (byRule ? LogLevel.debug : undefined),
      onLog: options.onLog,
      timing: options.timing,
      hooks: {
        upstream: (s) => this.onUpstream(s),
        end: (s) => this.onEnd(s),
        tickPeriod: (vm, ms) => this.tickAt.set(vm, ms > 0 ? this.now + ms * 1e6 : null),
        log: (vm, entry) => this.collector.log(entry, recordOf(vm), this.now),
      },
    });
  }

  syncClock() {
    if (!this.frozen) this.host.setTime(EPOCH_NS + BigInt(this.now) + this.clockOffset);
  }

  // The traffic's events come lazily from expand.js; at equal times a tick fires
  // first, then the file's events (in file order), then what the run queued itself
  // (answers, aborts).
  run() {
    const file = events(this.traffic, this.seed);
    let ev = file.next().value;
    let lastEventAt = 0;
    for (;;) {
      const queued = this.queue.peek();
      const next = ev && (!queued || ev.at <= queued.at) ? ev : queued;
      const tick = this.nextTick();
      if (!next && this.alive === 0) break;
      if (!next && !this.canDrain(tick, lastEventAt)) break;
      if (tick && (!next || tick.at <= next.at)) {
        this.fireTick(tick);
        continue;
      }
      this.now = lastEventAt = next.at;
      this.syncClock();
      if (next === ev) {
        ev = file.next().value;
        this.handle(next);
      } else {
        this.queue.pop();
        next.run();
      }
    }
    this.flushMetrics(lastEventAt);
    return this.result();
  }

  // The module sends its metrics on its tick, at most a second late: once the
  // traffic is over, the ticks run on for FLUSH_NS of simulated time so that every
  // count is sent before the run is reported.
  flushMetrics(lastEventAt) {
    for (let tick = this.nextTick(); tick && tick.at <= lastEventAt + FLUSH_NS; tick = this.nextTick()) {
      this.fireTick(tick);
    }
  }

  // Only paused streams remain: keep ticking (bounded) so they can be released.
  canDrain(tick, lastEventAt) {
    if (!tick) {
      this.errors.push(`${this.alive} stream(s) still paused at the end, and no worker has a tick period to release them`);
      return false;
    }
    if (tick.at > lastEventAt + DRAIN_LIMIT_NS) {
      this.errors.push(`${this.alive} stream(s) still paused ${formatDuration(DRAIN_LIMIT_NS)} after the last event`);
      return false;
    }
    return true;
  }

  nextTick() {
    let best = null;
    for (const [vm, at] of this.tickAt) {
      if (at !== null && !vm.dead && !vm.failed && (!best || at < best.at)) best = { vm, at };
    }
    return best;
  }

  // The next tick is scheduled first, so the module may change its period in on_tick.
  fireTick({ vm, at }) {
    this.now = at;
    this.syncClock();
    this.tickAt.set(vm, at + vm.tickPeriodMs * 1e6);
    vm.tick();
  }

  handle(ev) {
    if (ev.kind === 'request') this.arrive(ev);
    else if (ev.kind === 'restart') this.restart(ev.worker);
    else if (ev.kind === 'clock') this.changeClock(ev);
    else if (ev.kind === 'config') this.configs.push({ atNs: this.now, line: ev.line, text: ev.text, applied: this.host.reconfigure(ev.text) });
  }

  arrive(ev) {
    const worker = ev.worker ?? this.roundRobin++ % this.workers;
    const record = {
      line: ev.line, sentNs: this.now, worker, method: ev.method, path: ev.path, grpc: ev.grpc,
      port: ev.connect?.port ?? null,
      outcome: null, held: false, status: null, grpcStatus: null,
      upstreamNs: null, endNs: null, waitNs: null, localReply: null, error: null,
      upstreamHeaders: null, responseHeaders: null, resources: null, verdict: null, decisions: null,
    };
    this.records.push(record);
    this.alive++;
    if (ev.connect) return this.connect(ev, worker, record);
    const stream = this.host.vms[worker].startHttpStream({
      method: ev.method, path: ev.path, authority: ev.authority ?? undefined, headers: ev.headers,
      grpc: ev.grpc, peer: ev.peer ?? undefined, tag: record, reply: ev.reply,
    });
    if (ev.abortNs !== null) this.queue.push(this.now + ev.abortNs, () => stream.reset('aborted'));
  }

  // A TCP connection: open while the filter lets it through, closed after its time
  // by the client or the upstream, or reset by the client (abort).
  connect(ev, worker, record) {
    const c = this.host.vms[worker].startConnection({ port: ev.connect.port, peer: ev.peer ?? undefined, tag: record });
    if (!c.alive) return;
    if (ev.abortNs !== null) this.queue.push(this.now + ev.abortNs, () => c.close('remote', 'aborted'));
    else this.queue.push(this.now + ev.connect.openNs, () => c.close(ev.connect.closedBy === 'upstream' ? 'upstream' : 'remote'));
  }

  restart(worker) {
    this.tickAt.delete(this.host.vms[worker]);
    this.host.recreateVm(worker);
  }

  changeClock(ev) {
    if (ev.op === 'jump') this.clockOffset += BigInt(ev.deltaNs);
    else if (ev.op === 'freeze') this.frozen = true;
    else if (ev.op === 'resume' && this.frozen) {
      this.frozen = false;
      this.clockOffset = this.host.time - EPOCH_NS - BigInt(this.now);
    }
    this.syncClock();
  }

  onUpstream(stream) {
    if (!stream.request) {     // a connection: tcp_proxy connected upstream
      stream.tag.upstreamNs = this.now;
      stream.tag.waitNs = 0;
      return;
    }
    const record = stream.request.tag;
    record.upstreamNs = this.now;
    record.waitNs = this.now - record.sentNs;
    record.upstreamHeaders = stream.maps[0].slice();
    const reply = stream.request.reply;
    this.queue.push(this.now + reply.latencyNs, () => (reply.trailersOnly ? respondTrailersOnly(stream, reply) : stream.respond(reply)));
  }

  onEnd(stream) {
    this.alive--;
    if (!stream.request) {     // a connection
      Object.assign(stream.tag, { endNs: this.now, outcome: stream.outcome });
      if (stream.outcome === 'blocked') stream.tag.localReply = { status: 'closed', details: 'closed by the filter', body: '', headers: [] };
      return;
    }
    const record = stream.request.tag;
    Object.assign(record, {
      endNs: this.now, outcome: stream.outcome, held: stream.wasPaused, status: stream.status,
      grpcStatus: grpcStatusOf(stream), responseHeaders: stream.maps[2],
      error: stream.outcome === 'trap' ? stream.vm.failed?.message ?? 'worker failed' : null,
    });
    const local = stream.localReply;
    if (local) {
      record.localReply = { status: local.status, details: local.details, body: local.body, headers: local.headers };
    }
  }

  result() {
    for (const r of this.records) r.outcome ??= 'pending';
    classify(this.records);
    const host = this.host;
    const result = {
      workers: this.workers,
      requests: this.records,
      breakers: this.collector.transitions,
      configs: this.configs,
      decisionLines: this.collector.lines,
      totals: totals(this.records),
      metrics: host.metricsObject(),
      vms: host.vms.map((vm) => ({ worker: vm.index, memoryBytes: vm.memoryBytes, failed: vm.failed?.message ?? null })),
      sharedData: host.sharedDataCalls(),
      logs: host.logs,
      timing: host.timingObject(),
      errors: host.errors.map((e) => e.message).concat(this.errors),
    };
    result.expectations = this.traffic.expects.map((e) => checkExpectation(e, result, host));
    result.ok = result.errors.length === 0 && result.expectations.every((e) => e.ok);
    return result;
  }
}

// A gRPC error answered "trailers-only": grpc-status in the response headers, no trailers.
function respondTrailersOnly(stream, { grpcStatus }) {
  if (stream.phase !== 'upstream') return;
  stream.deliver([[':status', '200'], ['content-type', 'application/grpc'], ['grpc-status', String(grpcStatus)]],
    Buffer.alloc(0), null);
}

function grpcStatusOf(stream) {
  for (const map of [stream.maps[3], stream.maps[2]]) {
    const hit = map?.find(([k]) => k === 'grpc-status');
    if (hit) return Number(hit[1]);
  }
  return null;
}

// Pins and restarts must name an existing worker (the CLI may lower --workers).
function checkWorkers(traffic, workers) {
  for (const src of traffic.sources) {
    const worker = src.kind === 'restart' ? src.worker : src.request?.worker;
    if (worker !== null && worker !== undefined && worker >= workers) {
      throw new TrafficError(traffic.file, src.line, `worker ${worker} does not exist (workers are 0..${workers - 1})`);
    }
  }
}

function totals(records) {
  const t = { requests: records.length, passed: 0, held: 0, shadow: 0, forwarded: 0, blocked: 0, byStatus: {}, aborted: 0, reset: 0, trap: 0, killed: 0, pending: 0 };
  for (const r of records) {
    if (r.upstreamNs !== null) t.passed++;
    if (r.held && r.upstreamNs !== null) t.held++;
    const shown = shownOutcome(r);
    if (shown === 'shadow' || shown === 'forwarded') t[shown]++;
    if (r.localReply) {
      t.blocked++;
      t.byStatus[r.localReply.status] = (t.byStatus[r.localReply.status] ?? 0) + 1;
    }
    if (r.outcome in t && r.outcome !== 'passed' && r.outcome !== 'held' && r.outcome !== 'blocked') t[r.outcome]++;
  }
  return t;
}

// ---- expectations ----------------------------------------------------------------------

// What each expectation counts. `passed` = reached the upstream (held ones included).
const PREDICATES = {
  requests: () => true,
  passed: (r) => r.upstreamNs !== null,
  held: (r) => r.held && r.upstreamNs !== null,
  blocked: (r) => r.localReply !== null,
  shadow: (r) => shownOutcome(r) === 'shadow',
  aborted: (r) => r.outcome === 'aborted',
  reset: (r) => r.outcome === 'reset',
  trap: (r) => r.outcome === 'trap',
  killed: (r) => r.outcome === 'killed',
};

function selected(r, where) {
  return (where.from === undefined || (r.sentNs >= where.from && r.sentNs < where.to))
    && (where.path === undefined || r.path.startsWith(where.path))
    && (where.method === undefined || r.method === where.method)
    && (where.worker === undefined || r.worker === where.worker)
    && (where.port === undefined || r.port === where.port)
    && (where.by === undefined || (r.verdict !== null && r.verdict.resource === where.by.resource
      && (where.by.rule === null || r.verdict.rule === where.by.rule)));
}

function hasHeader(map, { name, value }) {
  return !!map && map.some(([k, v]) => k === name && (value === null || v === value));
}

function predicateOf(e) {
  if (e.header !== undefined) return (r) => hasHeader(e.header.side === 'response' ? r.responseHeaders : r.upstreamHeaders, e.header);
  if (e.status !== undefined) return (r) => r.localReply !== null && r.localReply.status === e.status;
  if (e.grpcStatus !== undefined) return (r) => r.grpcStatus === e.grpcStatus;
  return PREDICATES[e.outcome];
}

function checkExpectation(e, result, host) {
  let actual;
  if (e.metric !== undefined) {
    actual = host.metric(e.metric);
    if (actual === undefined) return { line: e.line, text: e.text, ok: false, actual: null, message: `metric ${e.metric} was never defined` };
  } else {
    const counts = predicateOf(e);
    actual = result.requests.filter((r) => selected(r, e.where) && counts(r)).length;
  }
  const ok = actual >= e.count.min && actual <= e.count.max;
  return { line: e.line, text: e.text, ok, actual, message: ok ? 'ok' : `expected ${e.count.text}, got ${actual}` };
}

// Runs `traffic` (from parseTraffic) on `wasm` (bytes or WebAssembly.Module).
// options: workers (overrides the file), seed, logLevel, onLog, timing, plugin
// ({pluginConfig, vmId, rootId, pluginName, failOpen}, from envoyconf.js).
function simulate(wasm, traffic, options = {}) {
  return new Simulation(wasm, traffic, options).run();
}

module.exports = { simulate };
