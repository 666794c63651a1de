#!/usr/bin/env node
// sentc-host.js: the command line of the bundled Proxy-Wasm host.
//
// Why: lets users (and `make check`) replay recorded or synthetic traffic through a
// compiled main.wasm offline, with N worker VMs on a virtual clock, and read what
// their policy did: totals, a per-resource table from the sentc.* metrics, the
// results of the traffic file's `expect` lines, and on request a per-request trace
// and a timeline (table, CSV, SVG); and turns recorded access logs into traffic
// files. See docs/traffic.md.
'use strict';

const fs = require('node:fs');
const { parseTraffic, parseDuration } = require('./traffic.js');
const { simulate } = require('./simulate.js');
const { pluginSettings } = require('./envoyconf.js');
const { Host, LogLevel } = require('./proxywasm.js');
const { shownOutcome, verdictName } = require('./verdicts.js');
const { buildTimeline, timelineTable, timelineCsv } = require('./timeline.js');
const { timelineSvg } = require('./svg.js');
const { importAccessLog } = require('./accesslog.js');

const USAGE = `usage: sentc-host run MODULE.wasm TRAFFIC [--workers N] [--envoy ENVOY.yaml] [--trace] [--timeline [STEP]]
                      [--csv FILE] [--svg FILE] [--json] [--verbose] [--timing]
       sentc-host import ACCESS_LOG [-o TRAFFIC]
       sentc-host check-config MODULE.wasm CONFIG.json

run: runs the traffic file TRAFFIC through the Proxy-Wasm module MODULE.wasm on a
virtual clock and prints a summary (see docs/traffic.md).

  --workers N        number of worker VMs (overrides the file's "workers" line)
  --envoy FILE       run the module as the bootstrap "sentc --envoy" wrote configures it:
                     its plugin configuration, vm_id, root_id, plugin name and fail_open
  --trace            one line per request (time, worker, method, path, outcome, status,
                     wait, and the resource/rule that decided) and per breaker change
  --timeline [STEP]  per resource and per STEP (default 1s): offered, passed, held,
                     queue wait, blocked by each rule, shadow, errors, breaker state
  --csv FILE         write the timeline as CSV to FILE
  --svg FILE         draw the timeline as an SVG picture in FILE
  --json             print the whole result as JSON instead of the summary
  --verbose          print every module log line to stderr (default: warn and above)
  --timing           also print the real time spent in each callback of the module
                     (median per call; what the host itself costs is not in it)

import: turns an Envoy or Istio access log (default text format, or JSON lines)
into a traffic file, written to TRAFFIC or standard output.

check-config: gives CONFIG.json to MODULE.wasm as its plugin configuration, as
Envoy would (Envoy's "configuration", Istio's "pluginConfig"), and prints the
module's verdict: its own log line saying what it applied or why it rejected it
(docs/operations.md).

Exit status: 0 ok, 1 an expectation failed, the module trapped or rejected the
configuration, 2 usage or file error.`;

class UsageError extends Error {}

const FLAGS = ['--trace', '--json', '--verbose', '--timing'];

function parseRunArgs(argv) {
  const opts = { workers: undefined, trace: false, json: false, verbose: false, timing: false, timeline: false, stepNs: 1e9, csv: null, svg: null, envoy: null, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--workers') {
      const n = argv[++i];
      if (!/^[1-9]\d*$/.test(n ?? '')) throw new UsageError(`--workers needs a positive number, got ${n ?? 'nothing'}`);
      opts.workers = Number(n);
    } else if (a === '--envoy') {
      opts.envoy = argv[++i];
      if (!opts.envoy) throw new UsageError('--envoy needs the bootstrap file sentc --envoy wrote');
    } else if (a === '--timeline') {
      opts.timeline = true;
      const step = argv[i + 1] !== undefined ? parseDuration(argv[i + 1]) : null;
      if (step !== null) {
        if (step < 1e6) throw new UsageError(`--timeline step must be at least 1ms, got ${argv[i + 1]}`);
        opts.stepNs = step;
        i++;
      }
    } else if (a === '--csv' || a === '--svg') {
      const file = argv[++i];
      if (!file) throw new UsageError(`${a} needs a file name`);
      opts[a.slice(2)] = file;
    } else if (FLAGS.includes(a)) opts[a.slice(2)] = true;
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else opts.files.push(a);
  }
  if (opts.files.length !== 2) throw new UsageError('expected: run MODULE.wasm TRAFFIC');
  return opts;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];

function printLog(verbose) {
  return ({ worker, context, level, message }) => {
    if (verbose || level >= 3) process.stderr.write(`[worker ${worker} ctx ${context ?? '-'}] ${LEVELS[level] ?? level}: ${message}\n`);
  };
}

const ms = (ns) => `${+(ns / 1e6).toFixed(3)}ms`;

// What decided a request, after its wait: `by R/RULE`, or for a shadow block `would
// be blocked by R/RULE`.
function verdictText(r) {
  const v = r.verdict;
  if (!v || v.resource === null) return '';
  if (v.outcome === 'shadow') return `  would be blocked by ${verdictName(v)}`;
  if (v.outcome === 'forwarded') return `  by ${verdictName(v)} (fallback forward)`;
  return `  by ${verdictName(v)}`;
}

// Request lines in send order and breaker lines at their time (first at equal times).
function traceLines(result) {
  const lines = result.breakers.map((t) => ({
    at: t.atNs, order: -1,
    text: `${ms(t.atNs).padStart(12)}  w${t.worker}  breaker ${t.resource}/${t.rule} ${t.state}${t.reason ? `: ${t.reason}` : ''}`,
  }));
  result.requests.forEach((r, i) => {
    const status = r.status ?? '-';
    const grpc = r.grpcStatus !== null ? ` grpc-status ${r.grpcStatus}` : '';
    const wait = r.waitNs !== null ? `wait ${ms(r.waitNs)}` : 'never upstream';
    lines.push({ at: r.sentNs, order: i, text: `${ms(r.sentNs).padStart(12)}  w${r.worker}  ${r.method} ${r.path}  ${shownOutcome(r)} ${status}${grpc}  ${wait}${verdictText(r)}` });
  });
  return lines.sort((a, b) => a.at - b.at || a.order - b.order).map((l) => l.text);
}

function totalsLines(t) {
  const extra = [`held first ${t.held}`];
  if (t.shadow) extra.push(`shadow ${t.shadow}`);
  if (t.forwarded) extra.push(`forwarded ${t.forwarded}`);
  const lines = [`requests ${t.requests}: passed to upstream ${t.passed} (${extra.join(', ')}), answered locally ${t.blocked}`
    + `, aborted ${t.aborted}, reset ${t.reset}, trap ${t.trap}, killed ${t.killed}, pending ${t.pending}`];
  for (const [status, n] of Object.entries(t.byStatus)) lines.push(`  local ${status}: ${n}`);
  if (t.shadow) lines.push(`  shadow ${t.shadow}: would have been blocked, went upstream with x-sentinel-shadow (mode shadow)`);
  if (t.forwarded) lines.push(`  forwarded ${t.forwarded}: blocked, sent upstream by a fallback with "forward"`);
  return lines;
}

// One row per resource from the module's metrics: sentc.<resource>.passed (sent
// upstream, shadow blocks included), .blocked.<rule> and .shadow_blocked.<rule> (the
// would-be blocks of rules in shadow mode); each rule says its blocks, and its
// shadow blocks when it has some.
function resourceLines(result) {
  const rows = new Map();
  const row = (name) => rows.get(name) ?? rows.set(name, { passed: 0, blocked: 0, shadow: 0, rules: new Map() }).get(name);
  const rule = (r, name) => r.rules.get(name) ?? r.rules.set(name, { blocked: 0, shadow: 0 }).get(name);
  for (const [name, m] of Object.entries(result.metrics)) {
    let hit;
    if ((hit = /^sentc\.([^.]+)\.passed$/.exec(name))) row(hit[1]).passed += m.value;
    else if ((hit = /^sentc\.([^.]+)\.(blocked|shadow_blocked)\.([^.]+)$/.exec(name))) {
      const r = row(hit[1]);
      const field = hit[2] === 'blocked' ? 'blocked' : 'shadow';
      r[field] += m.value;
      rule(r, hit[3])[field] += m.value;
    }
  }
  if (rows.size === 0) return [];
  const anyShadow = [...rows.values()].some((r) => r.shadow);
  const width = Math.max(8, ...[...rows.keys()].map((k) => k.length));
  const num = (n) => String(n).padStart(8);
  const lines = [`${'resource'.padEnd(width)}  ${num('passed')}  ${num('blocked')}  ${anyShadow ? `${num('shadow')}  ` : ''}by rule`];
  for (const [name, r] of rows) {
    const rules = [...r.rules].map(([rule, n]) => `${rule} ${n.blocked}${n.shadow ? ` (${n.shadow} shadow)` : ''}`);
    lines.push(`${name.padEnd(width)}  ${num(r.passed)}  ${num(r.blocked)}  ${anyShadow ? `${num(r.shadow)}  ` : ''}${rules.join(', ')}`);
  }
  return lines;
}

function summary(result, file, opts, timeline) {
  const out = [];
  if (opts.trace) out.push(...traceLines(result), '');
  out.push(...totalsLines(result.totals));
  const table = resourceLines(result);
  if (table.length) out.push('', ...table);
  if (opts.timeline) out.push('', ...timelineTable(timeline));
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

// The module logs its decisions at debug: ask for them when they will be shown.
function logLevel(opts) {
  // The trace and the timeline need every request's resources: trace level.
  return opts.verbose || opts.trace || opts.timeline || opts.csv || opts.svg ? LogLevel.trace : undefined;
}

function run(argv) {
  const opts = parseRunArgs(argv);
  const [modulePath, trafficPath] = opts.files;
  const traffic = parseTraffic(fs.readFileSync(trafficPath, 'utf8'), trafficPath);
  const wasm = fs.readFileSync(modulePath);
  const plugin = opts.envoy ? pluginSettings(fs.readFileSync(opts.envoy, 'utf8'), opts.envoy) : undefined;
  if (plugin && traffic.config !== '') {
    throw new UsageError(`${trafficPath} has a config line and --envoy gives the plugin configuration too: keep one`);
  }
  const result = simulate(wasm, traffic, { workers: opts.workers, logLevel: logLevel(opts), onLog: printLog(opts.verbose), timing: opts.timing, plugin });
  if (plugin) result.plugin = plugin;
  let timeline = null;
  if (opts.timeline || opts.csv || opts.svg) {
    timeline = buildTimeline(result, opts.stepNs);
    if (opts.csv) fs.writeFileSync(opts.csv, timelineCsv(timeline));
    if (opts.svg) fs.writeFileSync(opts.svg, timelineSvg(timeline, { title: `${trafficPath} on ${modulePath}` }));
  }
  if (opts.json) console.log(JSON.stringify(timeline ? { ...result, timeline } : result, null, 2));
  else console.log(summary(result, trafficPath, opts, timeline));
  return result.ok ? 0 : 1;
}

function importCommand(argv) {
  let output = null;
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-o') {
      output = argv[++i];
      if (!output) throw new UsageError('-o needs a file name');
    } else if (argv[i].startsWith('-') && argv[i] !== '-') throw new UsageError(`unknown option ${argv[i]}`);
    else files.push(argv[i]);
  }
  if (files.length !== 1) throw new UsageError('expected: import ACCESS_LOG [-o TRAFFIC]');
  const text = fs.readFileSync(files[0] === '-' ? 0 : files[0], 'utf8');
  const { traffic, requests } = importAccessLog(text, files[0] === '-' ? '<stdin>' : files[0]);
  if (output) {
    fs.writeFileSync(output, traffic);
    process.stderr.write(`sentc-host: ${requests} requests written to ${output}\n`);
  } else process.stdout.write(traffic);
  return 0;
}

// The module's own verdict on a configuration: one VM configured with it, as Envoy
// starts one; its log lines (info and above) printed.
function checkConfig(argv) {
  if (argv.length !== 2 || argv.some((a) => a.startsWith('-'))) throw new UsageError('expected: check-config MODULE.wasm CONFIG.json');
  const [modulePath, configPath] = argv;
  const wasm = fs.readFileSync(modulePath);
  const config = fs.readFileSync(configPath);
  const lines = [];
  let applied = true;
  try {
    new Host(wasm, { pluginConfig: config, onLog: (e) => lines.push(e.message) });
  } catch (err) {
    if (!/configuration failed/.test(err.message)) throw err;
    applied = false;
  }
  for (const line of lines) if (/^sentc: configuration/.test(line)) console.log(line);
  return applied ? 0 : 1;
}

function main(argv) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (argv[0] === 'run') return run(argv.slice(1));
    if (argv[0] === 'import') return importCommand(argv.slice(1));
    if (argv[0] === 'check-config') return checkConfig(argv.slice(1));
    throw new UsageError(argv.length ? `unknown command "${argv[0]}" (expected run, import or check-config)` : 'expected a command: run, import or check-config');
  } catch (err) {
    // Usage, unreadable or malformed files, and modules Envoy would reject.
    process.stderr.write(`sentc-host: ${err.message}\n`);
    if (err instanceof UsageError) process.stderr.write(`${USAGE}\n`);
    return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { main };
