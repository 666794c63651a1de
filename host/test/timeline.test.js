// timeline.test.js: the timeline (timeline.js) of a run, per resource and per step:
// counts by outcome and rule, queue waits, shadow blocks, breaker states from the
// module's transition lines (unknown without them), as a table, as CSV and as SVG
// (svg.js), and the CLI options that ask for them. Runs verdicts.wat, a module that
// logs exactly what each request asks for (see verdicts.test.js).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { buildTimeline, timelineTable, timelineCsv } = require('../timeline.js');
const { timelineSvg } = require('../svg.js');
const { verdictsFixture } = require('./verdicts.fixture.js');

const { tmp, wasmPath, trafficPath, TRAFFIC, SILENT, cli, run } = verdictsFixture('timeline');

test('the timeline counts each resource per step, with the breaker state', () => {
  const t = buildTimeline(run(TRAFFIC), 500e6);
  assert.equal(t.steps, 6);
  const [all, api, system] = t.groups;
  assert.deepEqual([all.name, api.name, system.name], ['*', 'api', 'system']);
  assert.deepEqual(api.rules, ['flow', 'breaker']);
  assert.deepEqual(api.breakers, ['breaker']);
  const row = (g, i) => {
    const { fromNs, offered, passed, held, blocked, shadow, forwarded, errors, blockedBy, shadowBy, waitMaxNs } = g.rows[i];
    return { fromNs, offered, passed, held, blocked, shadow, forwarded, errors, blockedBy, shadowBy, waitMaxNs };
  };
  assert.deepEqual(row(api, 1), { fromNs: 500e6, offered: 9, passed: 5, held: 1, blocked: 2, shadow: 1, forwarded: 1, errors: 0,
    blockedBy: { flow: 2 }, shadowBy: { flow: 1 }, waitMaxNs: 100e6 });
  assert.deepEqual(row(all, 1).blockedBy, { 'api/flow': 1 });
  assert.deepEqual([row(all, 4).errors, row(api, 4).errors], [1, 1]);
  assert.deepEqual(api.rows.map((x) => x.breakers.breaker.state), ['closed', 'closed', 'open', 'open', 'closed', 'closed']);
  assert.deepEqual(api.rows[4].breakers.breaker.changes, [{ atNs: 2400e6, state: 'half-open' }, { atNs: 2450e6, state: 'closed' }]);
  assert.deepEqual(system.rows.map((x) => x.blockedBy.qps ?? 0), [0, 0, 0, 0, 0, 1]);
  for (const g of t.groups) {
    for (const x of g.rows) assert.equal(x.offered, x.passed + x.held + x.blocked + x.shadow + (g.name === '*' ? x.forwarded + x.other : 0));
  }
  // A breaker that blocks though the module never logs a transition: state unknown.
  const silent = buildTimeline(run(SILENT), 1e9).groups[1];
  assert.deepEqual(silent.rows.map((x) => x.breakers.breaker.state), ['?', '?', '?']);
});

test('table and CSV', () => {
  const t = buildTimeline(run(TRAFFIC), 1e9);
  const table = timelineTable(t).join('\n');
  assert.match(table, /^timeline: step 1s, requests by the time they were sent$/m);
  assert.match(table, /^ {2}time {2}offered {2}passed {2}held {2}wait-avg {2}wait-max {2}blocked:flow {2}blocked:breaker {2}shadow:flow {2}errors {2}breaker$/m);
  assert.match(table, /^ {4}1s {8}2 {7}0 {5}0 {9}- {9}- {13}0 {16}2 {12}0 {7}0 {2}open@1\.2s$/m);
  assert.match(table, /^ {4}2s .* {2}half-open@2\.4s,closed@2\.45s$/m);
  const csv = timelineCsv(t).trim().split('\n');
  assert.equal(csv[0], 'resource,from_s,to_s,offered,passed,held,wait_avg_ms,wait_max_ms,blocked,shadow,forwarded,errors,other,'
    + 'blocked:flow,blocked:breaker,blocked:qps,shadow:flow,shadow:breaker,shadow:qps,state:breaker,changes:breaker');
  assert.equal(csv.length, 1 + 3 * 3);
  assert.equal(csv[4], 'api,0,1,14,10,1,100,100,2,1,1,0,,2,0,,1,0,,closed,');
  assert.equal(csv[6], 'api,2,3,2,2,0,,,0,0,0,1,,0,0,,0,0,,closed,half-open@2.4 closed@2.45');
  assert.equal(csv[9], 'system,2,3,1,0,0,,,1,0,0,0,,,,1,,,0,,');
});

test('the SVG has a panel per resource, bars per outcome, the breaker band and a legend', () => {
  const svg = timelineSvg(buildTimeline(run(TRAFFIC), 500e6), { title: 'a & b' });
  assert.match(svg, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="1000" height="\d+"/);
  assert.match(svg, /sentc-host timeline: a &amp; b \(step 0\.5s\)/);
  for (const text of ['all requests', 'resource api', '>system<', 'blocked by flow', 'blocked by breaker', 'shadow (would be blocked)',
    'breaker open', 'breaker half-open', 'upstream errors']) assert.ok(svg.includes(text), text);
  assert.match(svg, /<rect [^>]*fill="#b71c1c"><title>breaker open 1\.2s\.\.2\.4s<\/title>/);
  assert.match(svg, /<rect [^>]*fill="url\(#shadow\)"><title>0\.5s: shadow 1<\/title>/);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 2, 'an errors line in the two panels with errors');
  assert.equal(svg.trim().split('\n').at(-1), '</svg>');
});

test('a breaker name wider than the margin is drawn smaller, not cut off', () => {
  const label = (svg, name) => new RegExp(`<text x="78" [^>]*font-size="([\\d.]+)" text-anchor="end" [^>]*>${name}</text>`).exec(svg);
  const short = label(timelineSvg(buildTimeline(run(TRAFFIC), 500e6)), 'breaker');
  assert.equal(short?.[1], '11');
  const name = 'payment_errors_of_checkout';
  const long = label(timelineSvg(buildTimeline(run(TRAFFIC.replaceAll('api.blocked.breaker', `api.blocked.${name}`)
    .replaceAll('api/breaker', `api/${name}`)), 500e6)), name);
  assert.ok(long, 'the band is named');
  assert.ok(Number(long[1]) < 11 && Number(long[1]) * 0.57 * name.length <= 74, `font-size ${long[1]} fits 74 pixels`);
});

test('CLI: --timeline [STEP], --csv, --svg', () => {
  const csv = path.join(tmp, 'v.csv');
  const svg = path.join(tmp, 'v.svg');
  const r = cli('run', wasmPath, trafficPath, '--timeline', '500ms', '--csv', csv, '--svg', svg);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^timeline: step 0\.5s/m);
  assert.match(r.stdout, /^resource api\n {2}time {2}offered/m);
  assert.equal(fs.readFileSync(csv, 'utf8').split('\n')[0].split(',')[0], 'resource');
  assert.match(fs.readFileSync(svg, 'utf8'), /<svg /);
  // CSV and SVG without the table; a plain run prints no timeline.
  const quiet = cli('run', wasmPath, trafficPath, '--svg', svg);
  assert.equal(quiet.status, 0);
  assert.doesNotMatch(quiet.stdout, /timeline/);
  const json = JSON.parse(cli('run', wasmPath, trafficPath, '--json', '--timeline').stdout);
  assert.equal(json.timeline.groups[1].name, 'api');
  assert.match(cli('run', wasmPath, trafficPath, '--timeline', '0').stderr, /--timeline step must be at least 1ms, got 0/);
  assert.equal(cli('run', wasmPath, trafficPath, '--csv').status, 2);
});

