// timeline.js: a run's requests per resource and per time step (offered, passed,
// held and their queue wait, blocked by each rule, shadow would-be blocks, upstream
// errors, breaker state), as a table for the terminal and as CSV.
//
// Why: what a policy did over time (when a breaker opened and probed again, how a
// warm-up climbed, when a throttle queue filled) is what users rehearse before
// deploying; a total per run hides it and a per-request trace buries it. The rows
// are built from each request's verdict (verdicts.js) by send time, and the breaker
// states from the module's transition lines by the time they were logged. svg.js
// draws the same rows.
'use strict';

const { verdictName } = require('./verdicts.js');

const ALL = '*';   // the group of every request, whatever resource it entered
const MAX_STEPS = 100_000;

// Errors as a breaker counts them by default: HTTP 5xx, grpc-status 2, 4, 13, 14, 15.
const GRPC_ERRORS = new Set([2, 4, 13, 14, 15]);
function upstreamError(r) {
  if (r.upstreamNs === null || r.localReply || r.status === null) return false;
  return r.status >= 500 || (r.grpcStatus !== null && GRPC_ERRORS.has(r.grpcStatus));
}

function emptyRow(fromNs) {
  return {
    fromNs, offered: 0, passed: 0, held: 0, waitCount: 0, waitSumNs: 0, waitMaxNs: 0,
    blocked: 0, shadow: 0, forwarded: 0, errors: 0, other: 0, blockedBy: {}, shadowBy: {}, breakers: {},
  };
}

// One group (ALL or a resource) with one row per step.
function group(name, steps, stepNs) {
  return { name, rules: [], breakers: [], rows: Array.from({ length: steps }, (_, i) => emptyRow(i * stepNs)) };
}

function addRule(g, rule) { if (rule !== null && !g.rules.includes(rule)) g.rules.push(rule); }

function addHeld(row, r) {
  row.held++;
  if (r.waitNs !== null) {
    row.waitCount++;
    row.waitSumNs += r.waitNs;
    row.waitMaxNs = Math.max(row.waitMaxNs, r.waitNs);
  }
}

// A request in the all-requests group: what happened to it as a whole.
function countAll(row, r) {
  row.offered++;
  const v = r.verdict?.outcome;
  const upstream = r.upstreamNs !== null;
  if (r.localReply) {
    row.blocked++;
    const key = r.verdict ? verdictName(r.verdict) : '?/?';
    row.blockedBy[key] = (row.blockedBy[key] ?? 0) + 1;
  } else if (upstream && (v === 'shadow' || v === 'forwarded')) {
    row[v]++;
  } else if (upstream && r.held) addHeld(row, r);
  else if (upstream) row.passed++;
  else row.other++;
  if (upstreamError(r)) row.errors++;
}

// A request in one resource's group, from its entry there.
function countIn(row, r, e) {
  row.offered++;
  const rule = e.rule ?? '?';
  if (e.outcome === 'blocked' || e.outcome === 'forwarded') {
    row.blocked++;
    row.blockedBy[rule] = (row.blockedBy[rule] ?? 0) + 1;
    if (e.outcome === 'forwarded') row.forwarded++;
  } else if (e.outcome === 'shadow') {
    row.shadow++;
    row.shadowBy[rule] = (row.shadowBy[rule] ?? 0) + 1;
  } else if (e.outcome === 'held') addHeld(row, r);
  else row.passed++;
  if (e.outcome !== 'blocked' && upstreamError(r)) row.errors++;
}

// Breaker columns: each (resource, rule) that logged a transition, or whose rule
// label says breaker. State at the end of each step, and the changes inside it.
function breakerStates(g, transitions, stepNs) {
  const mine = transitions.filter((t) => t.resource === g.name);
  for (const t of mine) if (!g.breakers.includes(t.rule)) g.breakers.push(t.rule);
  for (const rule of g.rules) if (/^breaker(_\d+)?$/.test(rule) && !g.breakers.includes(rule)) g.breakers.push(rule);
  for (const rule of g.breakers) {
    const changes = mine.filter((t) => t.rule === rule);
    // A breaker that blocked although no transition was ever logged: the module does
    // not log them, so its state is unknown.
    const blocked = g.rows.some((row) => row.blockedBy[rule] || row.shadowBy[rule]);
    let state = changes.length === 0 && blocked ? '?' : 'closed';
    let i = 0;
    for (const row of g.rows) {
      const inStep = [];
      while (i < changes.length && changes[i].atNs < row.fromNs + stepNs) {
        inStep.push({ atNs: changes[i].atNs, state: changes[i].state });
        state = changes[i++].state;
      }
      row.breakers[rule] = { state, changes: inStep };
    }
  }
}

// Resources in the order the module defined their counters, then any other named.
function resourceNames(result) {
  const names = [];
  const add = (n) => { if (n !== null && n !== ALL && !names.includes(n)) names.push(n); };
  for (const name of Object.keys(result.metrics)) {
    const m = /^sentc\.([^.]+)\.(passed|blocked\.[^.]+)$/.exec(name);
    if (m) add(m[1]);
  }
  for (const r of result.requests) for (const e of r.resources ?? []) add(e.resource);
  for (const t of result.breakers) add(t.resource);
  return names;
}

// The timeline of a simulate() result, in steps of `stepNs`.
function buildTimeline(result, stepNs) {
  let endNs = 0;
  for (const r of result.requests) endNs = Math.max(endNs, r.sentNs + 1);
  for (const t of result.breakers) endNs = Math.max(endNs, t.atNs + 1);
  const steps = Math.ceil(endNs / stepNs);
  if (steps > MAX_STEPS) {
    throw new Error(`a timeline of ${steps} steps of ${secs(stepNs)} is too long (at most ${MAX_STEPS}): choose a larger step`);
  }
  const stepOf = (ns) => Math.min(steps - 1, Math.floor(ns / stepNs));
  const all = group(ALL, steps, stepNs);
  const groups = new Map(resourceNames(result).map((n) => [n, group(n, steps, stepNs)]));
  for (const name of Object.keys(result.metrics)) {
    const m = /^sentc\.([^.]+)\.blocked\.([^.]+)$/.exec(name);
    if (m) addRule(groups.get(m[1]), m[2]);
  }
  for (const r of result.requests) {
    const i = stepOf(r.sentNs);
    countAll(all.rows[i], r);
    for (const e of r.resources) {
      const g = groups.get(e.resource);
      addRule(g, e.rule);
      countIn(g.rows[i], r, e);
    }
  }
  for (const g of groups.values()) breakerStates(g, result.breakers, stepNs);
  return { stepNs, steps, groups: [all, ...groups.values()] };
}

// ---- text -----------------------------------------------------------------------------

const secs = (ns) => `${+(ns / 1e9).toFixed(3)}s`;
const msText = (ns) => String(+(ns / 1e6).toFixed(1));

function waitAvg(row) { return row.waitCount ? msText(row.waitSumNs / row.waitCount) : '-'; }
function waitMax(row) { return row.waitCount ? msText(row.waitMaxNs) : '-'; }

function breakerCell({ state, changes }) {
  return changes.length ? changes.map((c) => `${c.state}@${secs(c.atNs)}`).join(',') : state;
}

// The columns of a group: [header, row -> text, 'left' for text]. Shadow and
// forwarded columns only when the run had any.
function columns(g) {
  const any = (f) => g.rows.some(f);
  const cols = [
    ['time', (row) => secs(row.fromNs)],
    ['offered', (row) => row.offered],
    ['passed', (row) => row.passed],
    ['held', (row) => row.held],
    ['wait-avg', waitAvg],
    ['wait-max', waitMax],
  ];
  if (g.name === ALL) {
    cols.push(['blocked', (row) => row.blocked]);
    if (any((row) => row.shadow)) cols.push(['shadow', (row) => row.shadow]);
    if (any((row) => row.forwarded)) cols.push(['forwarded', (row) => row.forwarded]);
    cols.push(['errors', (row) => row.errors], ['other', (row) => row.other]);
    return cols;
  }
  for (const rule of g.rules) cols.push([`blocked:${rule}`, (row) => row.blockedBy[rule] ?? 0]);
  for (const rule of g.rules) {
    if (any((row) => row.shadowBy[rule])) cols.push([`shadow:${rule}`, (row) => row.shadowBy[rule] ?? 0]);
  }
  cols.push(['errors', (row) => row.errors]);
  for (const rule of g.breakers) cols.push([rule, (row) => breakerCell(row.breakers[rule]), 'left']);
  return cols;
}

function groupTitle(g) { return g.name === ALL ? 'all requests' : `resource ${g.name}`; }

// The timeline as text: one table per group, columns aligned.
function timelineTable(timeline) {
  const out = [`timeline: step ${secs(timeline.stepNs)}, requests by the time they were sent`];
  if (timeline.steps === 0) return out.concat('  (no requests)');
  for (const g of timeline.groups) {
    const cols = columns(g);
    const cells = g.rows.map((row) => cols.map(([, f]) => String(f(row))));
    const widths = cols.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (texts) => `  ${texts.map((t, i) => (cols[i][2] === 'left' ? t.padEnd(widths[i]) : t.padStart(widths[i]))).join('  ')}`.trimEnd();
    out.push('', groupTitle(g), line(cols.map(([h]) => h)), ...cells.map(line));
  }
  return out;
}

// ---- CSV --------------------------------------------------------------------------------

const csvCell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

// One row per group and step; a column per rule label any resource has (empty where
// a resource has no such rule) and per breaker its state and changes.
function timelineCsv(timeline) {
  const groups = timeline.groups;
  const union = (f) => [...new Set(groups.flatMap(f))];
  const rules = union((g) => (g.name === ALL ? [] : g.rules));
  const breakers = union((g) => g.breakers);
  const header = ['resource', 'from_s', 'to_s', 'offered', 'passed', 'held', 'wait_avg_ms', 'wait_max_ms',
    'blocked', 'shadow', 'forwarded', 'errors', 'other',
    ...rules.map((r) => `blocked:${r}`), ...rules.map((r) => `shadow:${r}`),
    ...breakers.flatMap((b) => [`state:${b}`, `changes:${b}`])];
  const lines = [header.join(',')];
  for (const g of groups) {
    for (const row of g.rows) {
      const has = (r) => g.name !== ALL && g.rules.includes(r);
      const cells = [g.name, +(row.fromNs / 1e9).toFixed(6), +((row.fromNs + timeline.stepNs) / 1e9).toFixed(6),
        row.offered, row.passed, row.held, row.waitCount ? +(row.waitSumNs / row.waitCount / 1e6).toFixed(3) : '',
        row.waitCount ? +(row.waitMaxNs / 1e6).toFixed(3) : '', row.blocked, row.shadow, row.forwarded, row.errors,
        g.name === ALL ? row.other : '',
        ...rules.map((r) => (has(r) ? row.blockedBy[r] ?? 0 : '')),
        ...rules.map((r) => (has(r) ? row.shadowBy[r] ?? 0 : '')),
        ...breakers.flatMap((b) => (row.breakers[b]
          ? [row.breakers[b].state, row.breakers[b].changes.map((c) => `${c.state}@${+(c.atNs / 1e9).toFixed(6)}`).join(' ')]
          : ['', '']))];
      lines.push(cells.map(csvCell).join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

module.exports = { buildTimeline, timelineTable, timelineCsv, secs, ALL };
