// metric_calls.js: counts the metric host calls a module makes, by the callback
// they are made in, on a traffic file run in the bundled host.
//
//   node bench/metric_calls.js main.wasm TRAFFIC [--workers N]
//
// Why: docs/metrics.md states what metrics cost Envoy: no host call in a request's
// callbacks, the counts sent on the tick, at most once a second per worker VM. This
// measures it on the real module, without changing the host: every instance the
// host makes gets its imports wrapped (proxy_define_metric, proxy_increment_metric,
// proxy_record_metric, proxy_get_metric are counted) and its exports wrapped (to know
// which callback is running). Figures only, never pass/fail.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const METRIC_CALLS = ['proxy_define_metric', 'proxy_increment_metric', 'proxy_record_metric', 'proxy_get_metric'];
const calls = new Map();          // callback -> { calls, metric call -> count }
const running = [];               // the callbacks being run, innermost last

function count(callback, what) {
  if (!calls.has(callback)) calls.set(callback, { calls: 0 });
  const c = calls.get(callback);
  c[what] = (c[what] ?? 0) + 1;
}

const RealInstance = WebAssembly.Instance;
WebAssembly.Instance = function Instance(module, imports) {
  const env = { ...imports.env };
  for (const name of METRIC_CALLS) {
    if (env[name]) {
      const real = env[name];
      env[name] = (...a) => {
        count(running[running.length - 1] ?? '(start)', name);
        return real(...a);
      };
    }
  }
  const instance = new RealInstance(module, { ...imports, env });
  const exports = {};
  for (const [name, value] of Object.entries(instance.exports)) {
    exports[name] = typeof value !== 'function' ? value : (...a) => {
      if (running.length === 0) count(name, 'calls');
      running.push(name);
      try {
        return value(...a);
      } finally {
        running.pop();
      }
    };
  }
  return { exports };
};

const { parseTraffic } = require(path.join(__dirname, '..', 'host', 'traffic.js'));
const { simulate } = require(path.join(__dirname, '..', 'host', 'simulate.js'));

const [wasmFile, trafficFile, ...rest] = process.argv.slice(2);
if (!wasmFile || !trafficFile) {
  process.stderr.write('usage: node bench/metric_calls.js main.wasm TRAFFIC [--workers N]\n');
  process.exit(2);
}
const workers = rest[0] === '--workers' ? Number(rest[1]) : undefined;
const traffic = parseTraffic(fs.readFileSync(trafficFile, 'utf8'), trafficFile);
const result = simulate(fs.readFileSync(wasmFile), traffic, { workers });
const lastNs = Math.max(...result.requests.map((r) => r.endNs ?? r.sentNs));
console.log(`${result.totals.requests} requests on ${result.workers} workers over ${(lastNs / 1e9).toFixed(1)} s of simulated time`
  + ` (the run ticks 2.5 s more to send the last counts)`);
console.log(`${'callback'.padEnd(34)}${'calls'.padStart(8)}${METRIC_CALLS.map((n) => n.replace('proxy_', '').padStart(18)).join('')}`);
let total = 0;
for (const [name, c] of [...calls].sort((a, b) => b[1].calls - a[1].calls)) {
  console.log(`${name.padEnd(34)}${String(c.calls).padStart(8)}${METRIC_CALLS.map((n) => String(c[n] ?? 0).padStart(18)).join('')}`);
  total += METRIC_CALLS.reduce((s, n) => s + (c[n] ?? 0), 0);
}
console.log(`metric host calls in all: ${total}, per request: ${(total / result.totals.requests).toFixed(4)}`);
