// filter.js: `make bench` for the whole filter against a hand-written one
// (issue 16): what a request costs in each module, side by side with the
// reference filter (bench/reference.c) in the same run, as ratios.
//
//   node filter.js [--requests N] [--warmup W] [--json] REFERENCE.wasm LABEL=MODULE.wasm...
//
// Every module gets the same requests, POST /api/checkout with a few
// ordinary headers, in the bundled Proxy-Wasm host (host/proxywasm.js, on
// Node's V8 as in Envoy), one worker, driven the way Envoy drives a stream:
// context, request headers, an upstream answer 200 at once (response
// headers), log, done, delete.  Two paths:
//
//   pass   one request every 20 ms (50/s): under every limit of the
//          policies benchmarked, so each request goes upstream;
//   block  the clock stands still: once the warm-up has filled the 100/s
//          window, every request is answered locally (429).
//
// For each path, after W requests of warm-up (V8 compiles the module in
// tiers), N requests are measured:
//
//   ns/request   the median over the requests of the time spent in the
//                module's callbacks for that request (the host functions
//                they call included: in Envoy those are the filter's cost
//                too; the host's own work between callbacks not), less the
//                time the same measurement gives an empty callback
//                (proxy_abi_version_0_2_1) once per callback timed;
//   host calls   per request, by name, counted by the host (countCalls), and
//                how many of them the response, log, done and delete made;
//   memory       the VM's linear memory after the pass path's W + N requests;
//   size         main.wasm's bytes.
//
// Figures only, never pass/fail; tests/reference.test runs it briefly so
// that it keeps working.  --json prints the figures as JSON instead.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { Host } = require(path.join(__dirname, '..', 'host', 'proxywasm.js'));

const USAGE = 'usage: node filter.js [--requests N] [--warmup W] [--json] REFERENCE.wasm LABEL=MODULE.wasm...';
const REQUEST = {
  method: 'POST', path: '/api/checkout', authority: 'shop.example.com',
  headers: [['user-agent', 'bench/1.0'], ['accept', '*/*'], ['content-length', '0'],
    ['x-request-id', '4b3c1f3e-0a4d-4c55-9e42-7b1f2d9a6c01']],
};
const PASS_GAP_NS = 20_000_000n;
const LATER = new Set(['proxy_on_response_headers', 'proxy_on_response_body', 'proxy_on_response_trailers',
  'proxy_on_log', 'proxy_on_done', 'proxy_on_delete']);
const ROUNDS = 10;

function parseArgs(argv) {
  const opts = { requests: 20000, warmup: 5000, json: false, modules: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--requests' || a === '--warmup') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < (a === '--requests' ? 1 : 0)) throw new Error(`${a} needs a count`);
      opts[a.slice(2)] = n;
    } else if (a === '--json') opts.json = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else {
      const eq = a.indexOf('=');
      const label = opts.modules.length === 0 && eq < 0 ? 'reference' : a.slice(0, eq);
      if (!label) throw new Error(`expected LABEL=MODULE.wasm, got ${a}`);
      opts.modules.push({ label, file: eq < 0 ? a : a.slice(eq + 1) });
    }
  }
  if (opts.modules.length < 1) throw new Error(USAGE);
  // The block path needs the window full before measuring.
  if (opts.warmup < 200) opts.warmup = 200;
  return opts;
}

function median(values) {
  const sorted = Float64Array.from(values).sort();
  return sorted.length ? sorted[sorted.length >> 1] : 0;
}

// One request, as Envoy runs it; returns the stream.
function oneRequest(vm) {
  const stream = vm.startHttpStream(REQUEST);
  if (stream.phase === 'upstream') stream.respond({ status: 200 });
  return stream;
}

// One module on one path: a fresh host, driven a chunk of requests at a time.
class Run {
  constructor(wasm, pathName) {
    this.host = new Host(wasm, { workers: 1, countCalls: true, timing: true });
    this.vm = this.host.vms[0];
    this.pass = pathName === 'pass';
    this.outcomes = {};
  }

  go(n) {
    const { host, vm } = this;
    for (let i = 0; i < n; i++) {
      if (this.pass) host.advance(PASS_GAP_NS);
      const s = oneRequest(vm);
      this.outcomes[s.outcome] = (this.outcomes[s.outcome] ?? 0) + 1;
      if (host.errors.length) throw new Error(host.errors[0].message);
    }
  }

  // The warm-up is done: what follows is measured.
  start() {
    this.outcomes = {};
    this.host.timing = new Map();
    this.host.resetHostCalls();
  }

  // The figures of the requests since start().
  figures(requests) {
    const { host, vm } = this;
    const timing = host.timing;
    host.timing = new Map();
    for (let i = 0; i < requests; i++) vm.invoke('proxy_abi_version_0_2_1');
    const empty = median(host.timing.get('proxy_abi_version_0_2_1') ?? [0]);
    // Per request: the callbacks called once per request, summed request by
    // request; any other (a tick) spread evenly.
    const perRequest = new Float64Array(requests);
    let timed = 0;
    for (const [, samples] of timing) {
      if (samples.length === requests) {
        timed++;
        for (let i = 0; i < samples.length; i++) perRequest[i] += samples[i];
      } else {
        const share = samples.reduce((a, b) => a + b, 0) / requests;
        timed += samples.length / requests;
        for (let i = 0; i < perRequest.length; i++) perRequest[i] += share;
      }
    }
    const calls = {};
    for (const [name, n] of Object.entries(host.hostCallCounts())) calls[name] = n / requests;
    // Host calls after the request's decision: the response, the log, the end.
    let later = 0;
    for (const [callback, counts] of Object.entries(host.hostCallCounts(true))) {
      if (!LATER.has(callback)) continue;
      for (const n of Object.values(counts)) later += n;
    }
    return {
      ns: Math.max(0, median(perRequest) - empty * timed),
      callbacks: timed,
      calls,
      laterCalls: later / requests,
      outcomes: this.outcomes,
      memoryBytes: vm.memoryBytes,
    };
  }
}

// Every module on both paths, their requests interleaved in rounds so that
// whatever else the machine does weighs on all of them alike.
function measure(opts) {
  const modules = opts.modules.map(({ label, file }) => {
    const wasm = fs.readFileSync(file);
    return { label, file, bytes: wasm.length, runs: { pass: new Run(wasm, 'pass'), block: new Run(wasm, 'block') } };
  });
  const all = modules.flatMap((m) => [m.runs.pass, m.runs.block]);
  for (const r of all) r.go(opts.warmup);
  for (const r of all) r.start();
  const rounds = Math.min(ROUNDS, opts.requests);
  for (let round = 0; round < rounds; round++) {
    const n = Math.floor(opts.requests * (round + 1) / rounds) - Math.floor(opts.requests * round / rounds);
    for (const r of all) r.go(n);
  }
  return modules.map((m) => ({
    label: m.label, file: m.file, bytes: m.bytes,
    pass: m.runs.pass.figures(opts.requests), block: m.runs.block.figures(opts.requests),
  }));
}

// ---- the table ----

const num = (x) => (Number.isInteger(x) ? x.toLocaleString('en-US')
  : x.toLocaleString('en-US', { maximumFractionDigits: x < 10 ? 2 : 0 }));

function cell(x, ref, isRef) {
  if (isRef || ref === undefined) return num(x);
  if (ref === 0) return x === 0 ? '0' : `${num(x)} (new)`;
  return `${num(x)} (${(x / ref).toFixed(2)}x)`;
}

function table(results, opts) {
  const ref = results[0];
  const rows = [];
  const row = (label, f) => rows.push([label, ...results.map((r, i) => cell(f(r), f(ref), i === 0))]);
  row('main.wasm bytes', (r) => r.bytes);
  row('pass: ns/request', (r) => Math.round(r.pass.ns));
  row('block: ns/request', (r) => Math.round(r.block.ns));
  row(`memory per VM after ${num(opts.warmup + opts.requests)}, KiB`, (r) => r.pass.memoryBytes / 1024);
  for (const p of ['pass', 'block']) {
    row(`${p}: host calls per request`, (r) => Object.values(r[p].calls).reduce((a, b) => a + b, 0));
    row('  of which on the response and end', (r) => r[p].laterCalls);
    const names = [...new Set(results.flatMap((r) => Object.keys(r[p].calls)))].sort();
    for (const name of names) row(`  ${name.replace(/^proxy_/, '')}`, (r) => r[p].calls[name] ?? 0);
  }
  const outcome = (r, p) => Object.entries(r[p].outcomes).map(([k, n]) => `${k} ${n}`).join(', ');
  const widths = [Math.max(...rows.map((r) => r[0].length)),
    ...results.map((r, i) => Math.max(r.label.length, ...rows.map((x) => x[i + 1].length)))];
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[0]) : c.padStart(widths[i]))).join('  ');
  const out = [
    `filter: ${num(opts.requests)} requests per path after ${num(opts.warmup)} of warm-up, ` +
      `1 worker, node ${process.versions.node} (V8 ${process.versions.v8}); ratios to ${ref.label}`,
    line(['', ...results.map((r) => r.label)]),
    ...rows.map(line),
  ];
  for (const r of results) out.push(`  ${r.label}: ${r.file}; pass: ${outcome(r, 'pass')}; block: ${outcome(r, 'block')}`);
  return out.join('\n');
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`filter.js: ${err.message}\n`);
    return 2;
  }
  const results = measure(opts);
  console.log(opts.json ? JSON.stringify({ opts, results }, null, 2) : table(results, opts));
  return 0;
}

process.exitCode = main();
