#!/usr/bin/env node
// sentc-host.js: the command line of the bundled Proxy-Wasm host.
//
// Why: lets users (and `make check`) replay recorded or synthetic traffic through a
// compiled main.wasm offline, with N worker VMs on a virtual clock, and read what
// their policy did: totals, a per-resource table from the sentc.* metrics, and the
// results of the traffic file's `expect` lines. See docs/traffic.md.
'use strict';

const fs = require('node:fs');
const { parseTraffic } = require('./traffic.js');
const { simulate } = require('./simulate.js');
const { pluginSettings } = require('./envoyconf.js');

const USAGE = `usage: sentc-host run MODULE.wasm TRAFFIC [--workers N] [--envoy ENVOY.yaml] [--trace] [--json] [--verbose] [--timing]

Runs the traffic file TRAFFIC through the Proxy-Wasm module MODULE.wasm on a virtual
clock and prints a summary (see docs/traffic.md).

  --workers N   number of worker VMs (overrides the file's "workers" line)
  --envoy FILE  run the module as the bootstrap "sentc --envoy" wrote configures it:
                its plugin configuration, vm_id, root_id, plugin name and fail_open
  --trace       one line per request: time, worker, method, path, outcome, status, wait
  --json        print the whole result as JSON instead of the summary
  --verbose     print every module log line to stderr (default: warn and above)
  --timing      also print the real time spent in each callback of the module
                (median per call; what the host itself costs is not in it)

Exit status: 0 ok, 1 an expectation failed or the module trapped, 2 usage or file error.`;

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { workers: undefined, envoy: null, trace: false, json: false, verbose: false, timing: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--workers') {
      const n = argv[++i];
      if (!/^[1-9]\d*$/.test(n ?? '')) throw new UsageError(`--workers needs a positive number, got ${n ?? 'nothing'}`);
      opts.workers = Number(n);
    } else if (a === '--envoy') {
      opts.envoy = argv[++i];
      if (!opts.envoy) throw new UsageError('--envoy needs the bootstrap file sentc --envoy wrote');
    } else if (['--trace', '--json', '--verbose', '--timing'].includes(a)) opts[a.slice(2)] = true;
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else opts.files.push(a);
  }
  if (opts.files[0] !== 'run' || opts.files.length !== 3) throw new UsageError('expected: run MODULE.wasm TRAFFIC');
  return opts;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];

function printLog(verbose) {
  return ({ worker, context, level, message }) => {
    if (verbose || level >= 3) process.stderr.write(`[worker ${worker} ctx ${context ?? '-'}] ${LEVELS[level] ?? level}: ${message}\n`);
  };
}

const ms = (ns) => `${+(ns / 1e6).toFixed(3)}ms`;

function traceLines(result) {
  return result.requests.map((r) => {
    const status = r.status ?? '-';
    const grpc = r.grpcStatus !== null ? ` grpc-status ${r.grpcStatus}` : '';
    const wait = r.waitNs !== null ? `wait ${ms(r.waitNs)}` : 'never upstream';
    return `${ms(r.sentNs).padStart(12)}  w${r.worker}  ${r.method} ${r.path}  ${r.outcome} ${status}${grpc}  ${wait}`;
  });
}

function totalsLines(t) {
  const lines = [`requests ${t.requests}: passed to upstream ${t.passed} (held first ${t.held}), answered locally ${t.blocked}`
    + `, aborted ${t.aborted}, reset ${t.reset}, trap ${t.trap}, killed ${t.killed}, pending ${t.pending}`];
  for (const [status, n] of Object.entries(t.byStatus)) lines.push(`  local ${status}: ${n}`);
  return lines;
}

// One row per resource from sentc.<resource>.passed / sentc.<resource>.blocked.<rule>.
function resourceLines(metrics) {
  const rows = new Map();
  const row = (name) => rows.get(name) ?? rows.set(name, { passed: 0, blocked: 0, rules: [] }).get(name);
  for (const [name, m] of Object.entries(metrics)) {
    let hit;
    if ((hit = /^sentc\.(.+)\.passed$/.exec(name))) row(hit[1]).passed += m.value;
    else if ((hit = /^sentc\.(.+?)\.blocked\.(.+)$/.exec(name))) {
      const r = row(hit[1]);
      r.blocked += m.value;
      r.rules.push(`${hit[2]} ${m.value}`);
    }
  }
  if (rows.size === 0) return [];
  const width = Math.max(8, ...[...rows.keys()].map((k) => k.length));
  const lines = [`${'resource'.padEnd(width)}  ${'passed'.padStart(8)}  ${'blocked'.padStart(8)}  by rule`];
  for (const [name, r] of rows) {
    lines.push(`${name.padEnd(width)}  ${String(r.passed).padStart(8)}  ${String(r.blocked).padStart(8)}  ${r.rules.join(', ')}`);
  }
  return lines;
}

function summary(result, file, trace) {
  const out = [];
  if (trace) out.push(...traceLines(result), '');
  out.push(...totalsLines(result.totals));
  const table = resourceLines(result.metrics);
  if (table.length) out.push('', ...table);
  if (result.expectations.length) {
    out.push('', 'expectations:');
    for (const e of result.expectations) {
      out.push(e.ok ? `  ok    ${file}:${e.line}: ${e.text}` : `  FAIL  ${file}:${e.line}: ${e.text}: ${e.message}`);
    }
  }
  if (result.timing) {
    out.push('', 'time in the module (median per call):');
    for (const [name, t] of Object.entries(result.timing)) out.push(`  ${name}  ${Math.round(t.medianNs)} ns  (${t.calls} calls)`);
  }
  for (const err of result.errors) out.push(`error: ${err}`);
  return out.join('\n');
}

function main(argv) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let opts;
  let result;
  try {
    opts = parseArgs(argv);
    const [, modulePath, trafficPath] = opts.files;
    const traffic = parseTraffic(fs.readFileSync(trafficPath, 'utf8'), trafficPath);
    const wasm = fs.readFileSync(modulePath);
    const plugin = opts.envoy ? pluginSettings(fs.readFileSync(opts.envoy, 'utf8'), opts.envoy) : undefined;
    if (plugin && traffic.config !== '') {
      throw new UsageError(`${trafficPath} has a config line and --envoy gives the plugin configuration too: keep one`);
    }
    result = simulate(wasm, traffic, { workers: opts.workers, logLevel: opts.verbose ? 0 : undefined, onLog: printLog(opts.verbose), timing: opts.timing, plugin });
    if (plugin) result.plugin = plugin;
  } catch (err) {
    // Usage, unreadable or malformed files, and modules Envoy would reject.
    process.stderr.write(`sentc-host: ${err.message}\n`);
    if (err instanceof UsageError) process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (opts.json) console.log(JSON.stringify(result, null, 2));
  else console.log(summary(result, opts.files[2], opts.trace));
  return result.ok ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { main };
