// soak.js: a soak of a compiled main.wasm in the bundled host (host/proxywasm.js's
// Host class, driven here directly on a virtual clock, not through the traffic
// simulator): REQUESTS requests over WORKERS worker VMs against tests/soak/soak.sentinel
// (every rule kind, both scopes, a system block), with upstream errors and latencies,
// client aborts, and one VM replaced by a fresh one halfway (a crash: its streams never
// end).
//
// It checks, and prints the figures:
//   - no memory growth after warm-up: each VM's linear memory once the first fifth of
//     the requests has run (or, for the replaced VM, once its successor has served as
//     many) is its memory at the end;
//   - counts conserved: per resource, the module's sentc.R.passed is exactly the
//     requests it let through (upstream or held), and its blocked counters (system's
//     included) exactly the local replies.  The module counts in memory and sends
//     its counts on its tick (at most a second late), so the VM about to crash is
//     told first that its root context is done, as Envoy does when it stops a VM,
//     which sends them (what a crash loses is its last second's counts:
//     docs/metrics.md), and every VM ticks once more at the end;
//   - no permit left: once every stream has ended and the crashed VM's liveness has
//     expired, a final burst exactly as large as each concurrency limit all passes.
//
//   node soak.js MAIN.wasm [--requests N] [--workers W] [--seed S]
// Exit status 0, or 1 with the failed checks.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { Host, EPOCH_NS } = require(path.join(__dirname, '..', '..', 'host', 'proxywasm.js'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const wasmPath = args[0];
const REQUESTS = option('--requests', 2_000_000);
const WORKERS = option('--workers', 4);
let rng = option('--seed', 1) >>> 0 || 1;
const PER_MS = 20;                  // arrivals per virtual millisecond (20,000/s)

// xorshift32: the same load for the same seed.
function random() {
  rng ^= rng << 13; rng >>>= 0; rng ^= rng >>> 17; rng ^= rng << 5; rng >>>= 0;
  return rng / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];

// ---- the process, on a virtual clock of whole milliseconds ----

const wheel = new Map();            // ms -> callbacks due then
let now = 0;
const at = (ms, fn) => {
  const list = wheel.get(ms);
  if (list) list.push(fn); else wheel.set(ms, [fn]);
};
const ticks = new Map();            // vm -> [period ms, next ms]

const RESOURCES = ['orders', 'search', 'users', 'grpc'];
const tally = Object.fromEntries(RESOURCES.map((r) => [r, { offered: 0, admitted: 0, local: 0 }]));
let aborted = 0, killed = 0, failures = [];
const fail = (message) => failures.push(message);

const host = new Host(fs.readFileSync(wasmPath), {
  workers: WORKERS,
  hooks: {
    upstream: (s) => {
      const { status, grpc, latency } = s.request.reply;
      at(now + latency, () => s.respond({ status, grpcStatus: grpc }));
    },
    end: (s) => {
      const t = tally[s.request.resource];
      if (s.localReply) t.local++;
      else if (s.upstreamAt !== null || s.wasPaused) t.admitted++;
      if (s.outcome === 'aborted') aborted++;
      if (s.outcome === 'killed') killed++;
      s.request.done = true;
    },
    tickPeriod: (vm, ms) => {
      if (ms > 0) ticks.set(vm, [ms, now + ms]); else ticks.delete(vm);
    },
  },
});
for (const vm of host.vms) if (vm.failed) fail(`worker ${vm.index} failed to start`);
const atStart = host.vms.map((vm) => vm.memoryBytes);

const setClock = () => host.setTime(EPOCH_NS + BigInt(now) * 1_000_000n);

// One millisecond: due ticks, then due events, in order.
function runMs() {
  setClock();
  for (const [vm, t] of ticks) {
    if (t[1] <= now && !vm.dead && !vm.failed) {
      t[1] = now + t[0];
      vm.tick();
    }
  }
  const due = wheel.get(now);
  if (due) {
    wheel.delete(now);
    for (const fn of due) fn();
  }
}

const USERS = Array.from({ length: 48 }, (_, i) => `user-${i}`);

// A request of the mixed load: which resource, its headers, the upstream's answer.
function mixedRequest() {
  const r = random();
  const user = pick(USERS);
  if (r < 0.35) return { resource: 'orders', method: 'POST', path: `/orders/${user}`,
    reply: { status: random() < 0.1 ? 500 : 200, latency: 1 + Math.floor(random() * 8) } };
  if (r < 0.65) return { resource: 'search', method: 'GET', path: `/search?q=${user}`,
    headers: [['x-user', user]], reply: { status: 200, latency: 1 + Math.floor(random() * 20) } };
  if (r < 0.85) return { resource: 'users', method: 'GET', path: `/users/${user}`,
    headers: [['x-user', user]], reply: { status: random() < 0.02 ? 503 : 200, latency: 1 + Math.floor(random() * 4) } };
  return { resource: 'grpc', method: 'POST', path: '/pkg.Svc/Call', grpc: true,
    reply: { status: 200, grpc: random() < 0.05 ? 14 : 0, latency: 1 + Math.floor(random() * 30) } };
}

function send(req, worker) {
  tally[req.resource].offered++;
  const stream = host.vms[worker].startHttpStream(req);
  if (random() < 0.05 && !req.done) {          // the client gives up
    at(now + Math.floor(random() * 15), () => stream.reset('aborted'));
  }
  return stream;
}

// ---- the run ----

const memory = (vm) => vm.memoryBytes;
const started = process.hrtime.bigint();
const warmAfter = Math.floor(REQUESTS / 5);
const replaceAt = Math.floor(REQUESTS / 2);
let sent = 0, replaced = null, warm = null, replacedWarm = null;
const replacedWorker = WORKERS > 1 ? 1 : 0;

while (sent < REQUESTS) {
  for (let i = 0; i < PER_MS && sent < REQUESTS; i++) {
    send(mixedRequest(), sent % WORKERS);
    sent++;
    if (sent === warmAfter) warm = host.vms.map(memory);
    if (sent === replaceAt) {
      const old = host.vms[replacedWorker];     // its counts so far are sent
      old.invoke('proxy_on_done', old.root, old.rootId);
      ticks.delete(host.vms[replacedWorker]);
      replaced = host.recreateVm(replacedWorker);
      atStart[replacedWorker] = replaced.memoryBytes;
    }
    if (sent === replaceAt + warmAfter) replacedWarm = memory(replaced);
  }
  runMs();
  now++;
}
const end = host.vms.map(memory);

// Quiet: every stream ends; the crashed VM's stamp grows stale (5 s), so the
// permits its killed streams held stop counting.  Then healthy traffic closes the
// breakers, and everything ends again.
const quiet = (ms) => { for (const stop = now + ms; now < stop; now++) runMs(); };
quiet(2_000);
for (let i = 0; i < 200; i++) {
  for (const resource of RESOURCES) {
    const base = { orders: { method: 'POST', path: '/orders/heal' }, search: { method: 'GET', path: '/search?q=heal', headers: [['x-user', 'heal']] },
      users: { method: 'GET', path: '/users/heal', headers: [['x-user', `heal-${i}`]] }, grpc: { method: 'POST', path: '/pkg.Svc/Heal', grpc: true } }[resource];
    tally[resource].offered++;
    host.vms[i % WORKERS].startHttpStream({ ...base, resource, reply: { status: 200, grpc: 0, latency: 1 } });
  }
  quiet(10);
}
quiet(7_000);

// The final burst: each concurrency limit exactly, held open until checked.
const burst = [];
const hold = { status: 200, grpc: 0, latency: 60_000 };
const burstOf = (resource, count, req, workerOf) => {
  for (let i = 0; i < count; i++) {
    tally[resource].offered++;
    burst.push(host.vms[workerOf(i)].startHttpStream({ ...req(i), resource, reply: hold }));
  }
};
burstOf('orders', 20, () => ({ method: 'POST', path: '/orders/burst' }), (i) => i % WORKERS);
burstOf('grpc', 10, () => ({ method: 'POST', path: '/pkg.Svc/Burst', grpc: true }), (i) => i % WORKERS);
burstOf('search', 4, () => ({ method: 'GET', path: '/search?q=b', headers: [['x-user', 'burst']] }), (i) => i % WORKERS);
for (let w = 0; w < WORKERS; w++) {
  burstOf('users', 8, (i) => ({ method: 'GET', path: '/users/burst', headers: [['x-user', `burst-${w}-${i}`]] }), () => w);
}
quiet(1_000);                                   // held (paced) ones go upstream
const refused = burst.filter((s) => s.localReply).map((s) => `${s.request.resource}: ${s.localReply.headers.find(([k]) => k === 'x-sentinel-blocked')?.[1] ?? s.localReply.status}`);
if (refused.length) fail(`final burst: ${refused.length} of ${burst.length} refused, a permit was left: ${[...new Set(refused)].join(', ')}`);
const notUp = burst.filter((s) => !s.localReply && s.upstreamAt === null).length;
if (notUp) fail(`final burst: ${notUp} still held after 1 s`);
for (const s of burst) s.reset('aborted');
quiet(100);
now += 1000;                                    // the last counts are sent
setClock();
for (const vm of host.vms) vm.tick();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

// ---- the checks ----

for (let w = 0; w < WORKERS; w++) {
  const before = w === replacedWorker ? replacedWarm : warm[w];
  if (before !== end[w]) fail(`worker ${w}: memory grew after warm-up, ${before} -> ${end[w]} bytes`);
}
const metric = (name) => host.metric(name) ?? 0;
let blockedTotal = metric('sentc.system.blocked.concurrency');
let localTotal = 0;
for (const r of RESOURCES) {
  const t = tally[r];
  const passed = metric(`sentc.${r}.passed`);
  let blocked = 0;
  for (const [name, m] of host.metrics) if (name.startsWith(`sentc.${r}.blocked.`)) blocked += m.value;
  blockedTotal += blocked;
  localTotal += t.local;
  if (passed !== t.admitted) fail(`${r}: sentc.${r}.passed is ${passed}, ${t.admitted} were let through`);
  t.passed = passed;
  t.blocked = blocked;
}
if (blockedTotal !== localTotal) fail(`blocked counters add up to ${blockedTotal}, ${localTotal} local replies were sent`);
const offered = RESOURCES.reduce((n, r) => n + tally[r].offered, 0);
const decided = RESOURCES.reduce((n, r) => n + tally[r].admitted + tally[r].local, 0);
// (Streams killed with their VM were decided before it died: counted above.)
if (offered !== decided) fail(`${offered} offered, ${decided} passed or blocked`);
for (const vm of host.vms) if (vm.failed) fail(`worker ${vm.index}: ${vm.failed.message}`);
if (host.errors.length) fail(`module errors: ${host.errors.map((e) => e.message).join('; ')}`);

const kib = (n) => `${Math.round(n / 1024)} KiB`;
console.log(`soak: ${REQUESTS} requests (+${offered - REQUESTS} healing and burst) over ${WORKERS} workers in ${seconds.toFixed(1)} s (${Math.round(offered / seconds)} requests/s), ${(now / 1000).toFixed(1)} s of virtual time`);
console.log(`  aborted by the client ${aborted}, killed with worker ${replacedWorker} (replaced after ${replaceAt} requests) ${killed}`);
for (const r of RESOURCES) {
  const t = tally[r];
  console.log(`  ${r.padEnd(7)} offered ${String(t.offered).padStart(8)}  passed ${String(t.passed).padStart(8)}  blocked ${String(t.blocked).padStart(8)}`);
}
console.log(`  system blocked ${metric('sentc.system.blocked.concurrency')}; state unavailable ${metric('sentc.filter.state_unavailable')}`);
for (let w = 0; w < WORKERS; w++) {
  const before = w === replacedWorker ? replacedWarm : warm[w];
  console.log(`  worker ${w}: memory at start ${kib(atStart[w])}, after warm-up ${kib(before)}, at the end ${kib(end[w])}${w === replacedWorker ? ' (the replacement)' : ''}`);
}
const sharedBytes = [...host.shared.values()].reduce((n, e) => n + e.value.length, 0);
console.log(`  shared data: ${host.shared.size} keys, ${sharedBytes} bytes; final burst of ${burst.length} all passed: ${refused.length === 0}`);
if (failures.length) {
  for (const f of failures) console.log(`FAIL ${f}`);
  process.exit(1);
}
console.log('ok');
