// generate.test.js: synthetic traffic that looks like traffic (host/expand.js,
// host/draws.js, host/rng.js): ramping rates, Poisson and jittered arrivals, values
// drawn from ranges (uniform, Zipf) and weighted lists, answers drawn by percentage,
// an upstream that degrades for a while; all of it the same on every run, and one
// line's draws untouched by edits to another line.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseTraffic } = require('../traffic.js');
const { events } = require('../expand.js');
const { simulate } = require('../simulate.js');

const requests = (text, seed) => [...events(parseTraffic(text), seed)].filter((e) => e.kind === 'request');
const times = (evs) => evs.map((e) => e.at);
const inRange = (evs, from, to) => evs.filter((e) => e.at >= from && e.at < to).length;
const countBy = (values) => values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map());

test('a linear ramp: n(t) = R1 t + (R2 - R1) t^2 / 2D requests by t', () => {
  const up = requests('0s rate 10/s..30/s for 2s GET /a\n');
  assert.equal(up.length, 40);
  assert.deepEqual([inRange(up, 0, 1e9), inRange(up, 1e9, 2e9)], [15, 25]);
  assert.equal(up[10].at, 732050808, 'the 10th request solves 5t^2 + 10t = 10');
  const down = requests('0s rate 30/s..10/s for 2s GET /a\n');
  assert.deepEqual([inRange(down, 0, 1e9), inRange(down, 1e9, 2e9)], [25, 15]);
  const fromZero = requests('0s rate 0/s..100/s for 1s GET /a\n');
  assert.deepEqual([fromZero.length, inRange(fromZero, 0, 0.5e9)], [50, 13]);
  const issue = requests('0s rate 10/s..300/s for 30s GET /a\n');
  assert.equal(issue.length, 4650);
  assert.deepEqual([inRange(issue, 0, 1e9), inRange(issue, 29e9, 30e9)], [15, 295]);
  assert.ok(issue.every((e, i) => i === 0 || e.at >= issue[i - 1].at) && issue.at(-1).at < 30e9);
  assert.equal(requests('0s rate 120/m..120/m for 2s GET /a\n').length, 4, 'per minute, and a flat "ramp"');
});

test('Poisson arrivals: random gaps with the right rate, the same for the same seed', () => {
  const p = requests('0s rate 1000/s for 10s poisson GET /a\n');
  assert.ok(Math.abs(p.length - 10000) < 400, `about 10000 requests, got ${p.length}`);
  const gaps = p.slice(1).map((e, i) => e.at - p[i].at);
  assert.ok(gaps.every((g) => g >= 0));
  const long = gaps.filter((g) => g > 2e6).length / gaps.length;
  assert.ok(Math.abs(long - Math.exp(-2)) < 0.02, `P(gap > 2 mean gaps) = e^-2 = 0.135, got ${long}`);
  assert.deepEqual(times(requests('0s rate 1000/s for 10s poisson GET /a\n')), times(p), 'same file, same arrivals');
  assert.notDeepEqual(times(requests('seed 2\n0s rate 1000/s for 10s poisson GET /a\n')), times(p), 'another seed, other arrivals');
  const ramp = requests('0s rate 0/s..2000/s for 10s poisson GET /a\n');
  assert.ok(Math.abs(ramp.length - 10000) < 400 && Math.abs(inRange(ramp, 0, 5e9) - 2500) < 200, `${ramp.length} ${inRange(ramp, 0, 5e9)}`);
  const fixed = requests('1s repeat 1000 over 10s poisson GET /a\n');
  assert.equal(fixed.length, 1000, 'repeat keeps its count');
  assert.ok(fixed.every((e, i) => e.at >= 1e9 && e.at < 11e9 && (i === 0 || e.at >= fixed[i - 1].at)));
  assert.ok(Math.abs(inRange(fixed, 1e9, 6e9) - 500) < 80, 'spread evenly on average');
});

test('jittered arrivals move later by up to the fraction of their spacing', () => {
  const j = requests('0s repeat 100 over 1s jitter 50% GET /a\n');
  assert.equal(j.length, 100);
  assert.ok(j.every((e, i) => e.at >= i * 10e6 && e.at < i * 10e6 + 5e6), 'inside [k s, k s + s/2)');
  assert.ok(j.filter((e, i) => e.at !== i * 10e6).length > 90, 'off the even grid');
  const r = requests('0s rate 10/s..30/s for 2s jitter 1 GET /a\n');
  assert.equal(r.length, 40);
  assert.ok(r.every((e, i) => i === 0 || e.at >= r[i - 1].at));
});

test('values drawn from a range, uniformly or Zipf, and from a weighted list', () => {
  const uniform = requests('draw u u1..u100\n0s repeat 10000 over 10s GET /a x-user=${u}\n');
  const counts = countBy(uniform.map((e) => e.headers[0][1]));
  assert.equal(counts.size, 100);
  assert.ok([...counts.keys()].every((k) => /^u([1-9]\d?|100)$/.test(k)));
  assert.ok(Math.min(...counts.values()) > 60 && Math.max(...counts.values()) < 140, 'about 100 each');
  const padded = requests('draw u u001..u100\n0s repeat 50 over 1s GET /a x=${u}\n');
  assert.ok(padded.every((e) => /^u\d{3}$/.test(e.headers[0][1])));
  const zipf = countBy(requests('draw k k1..k1000 zipf 1\n0s repeat 20000 over 10s GET /a x=${k}\n').map((e) => e.headers[0][1]));
  const share = zipf.get('k1') / 20000;
  assert.ok(Math.abs(share - 1 / 7.4855) < 0.015, `k1 takes 1/H(1000) = 13.4%, got ${share}`);
  const ratio = zipf.get('k1') / zipf.get('k2');
  assert.ok(ratio > 1.7 && ratio < 2.3, `k1 twice as frequent as k2, got ${ratio}`);
  const plans = countBy(requests('draw plan free 70% pro 30%\n0s repeat 10000 over 10s GET /a x=${plan}\n').map((e) => e.headers[0][1]));
  assert.ok(Math.abs(plans.get('free') / 10000 - 0.7) < 0.03 && plans.size === 2);
  const relative = countBy(requests('draw t a 3 b 1\n0s repeat 10000 over 10s GET /a x=${t}\n').map((e) => e.headers[0][1]));
  assert.ok(Math.abs(relative.get('a') / 10000 - 0.75) < 0.03);
  const big = requests('draw user u1..u50000\n0s rate 1000/s for 50s GET /a x-user-id=${user}\n');
  assert.ok(countBy(big.map((e) => e.headers[0][1])).size > 30000, 'a 50,000-key test in one line');
});

test('draws in paths, queries, cookies, host and peer; one value per name per request', () => {
  const [e] = requests(`draw u u1..u9
draw n 1..254
draw h a.example b.example 1 c.example 1
0s GET /items/\${u}?q=\${u}&lit=$5 cookie="sid=\${u}" host=\${h} peer 10.0.0.\${n} x-cost=$$\${n}
`.replace('a.example b.example 1', 'a.example 1 b.example 1'));
  const u = /^\/items\/(u\d)\?q=\1&lit=\$5$/.exec(e.path);
  assert.ok(u, e.path);
  assert.deepEqual(e.headers[0], ['cookie', `sid=${u[1]}`]);
  assert.match(e.authority, /^[abc]\.example$/);
  const n = /^10\.0\.0\.(\d+):40000$/.exec(e.peer)[1];
  assert.deepEqual(e.headers[1], ['x-cost', `$${n}`], '$$ is a literal $');
});

test('answers drawn by percentage, latency ranges, and an upstream that degrades and recovers', () => {
  const mix = requests('0s repeat 10000 over 10s GET /a -> 70% 200 10ms 30% 503 200ms\n').map((e) => e.reply);
  const bad = mix.filter((r) => r.status === 503);
  assert.ok(Math.abs(bad.length / 10000 - 0.3) < 0.03);
  assert.ok(bad.every((r) => r.latencyNs === 200e6) && mix.filter((r) => r.status === 200).every((r) => r.latencyNs === 10e6));
  const ranged = requests('0s repeat 1000 over 1s GET /a -> 200 10ms..20ms\n').map((e) => e.reply.latencyNs);
  assert.ok(ranged.every((l) => l >= 10e6 && l <= 20e6));
  assert.ok(Math.abs(ranged.reduce((a, b) => a + b) / 1000 - 15e6) < 1e6);
  const grpc = requests('0s repeat 100 over 1s POST /s.S/M grpc -> 50% grpc 0 5ms 50% grpc 14 trailers-only\n').map((e) => e.reply);
  assert.ok(grpc.some((r) => r.grpcStatus === 14 && r.trailersOnly && r.latencyNs === 10e6) && grpc.some((r) => r.grpcStatus === 0 && !r.trailersOnly));
  const degraded = requests(`upstream 200 10ms
upstream 50% 503 300ms 50% 200 300ms in 10s..40s
upstream 404 in 30s..40s
0s rate 10/s for 50s GET /a
15s GET /own -> 429
`);
  const before = degraded.filter((e) => e.at < 10e9);
  const during = degraded.filter((e) => e.at >= 10e9 && e.at < 30e9 && e.path === '/a');
  const later = degraded.filter((e) => e.at >= 30e9 && e.at < 40e9);
  const after = degraded.filter((e) => e.at >= 40e9);
  assert.ok([...before, ...after].every((e) => e.reply.status === 200 && e.reply.latencyNs === 10e6));
  assert.ok(during.every((e) => e.reply.latencyNs === 300e6));
  const share = during.filter((e) => e.reply.status === 503).length / during.length;
  assert.ok(share > 0.35 && share < 0.65, `about half 503, got ${share}`);
  assert.ok(later.every((e) => e.reply.status === 404 && e.reply.latencyNs === 10e6), 'the later line wins; no latency: the upstream line\'s');
  assert.deepEqual(degraded.find((e) => e.path === '/own').reply, { status: 429, grpcStatus: null, latencyNs: 300e6 },
    'its own status, the degraded latency');
  const defaults = requests('upstream 90% 200 5ms 10% 503 50ms\n0s repeat 1000 over 1s GET /a\n');
  assert.ok(Math.abs(defaults.filter((e) => e.reply.status === 503).length / 1000 - 0.1) < 0.03);
});

test('each line draws from its own streams: editing other lines leaves it alone', () => {
  const line = '0s rate 100/s for 5s poisson GET /a x=${u} -> 50% 200 50% 503';
  const base = `seed 5\ndraw u u1..u1000 zipf 1.2\n${line}\n`;
  const strip = (evs) => evs.filter((e) => e.path === '/a').map(({ line: _, ...e }) => e);
  const a = strip(requests(base));
  const edited = `# a comment\nexpect 1 passed\n0s GET /a -> 503\n${base}0s rate 50/s..10/s for 5s jitter 30% GET /b x=\${u} -> 10% 500 90% 200\n`;
  assert.deepEqual(strip(requests(edited)).filter((e) => e.headers.length), a, 'lines added above and below');
  const twice = requests(`${base}${line}\n`);
  assert.deepEqual(times(twice.filter((e) => e.line === 3)), times(a));
  assert.notDeepEqual(times(twice.filter((e) => e.line === 4)), times(a), 'an identical line draws anew');
  assert.notDeepEqual(times(requests(base.replace('x=${u}', 'x=${u} y=1'))), times(a), 'editing the line itself does');
});

test('a whole run is the same every time', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sentc-gen-'));
  const out = path.join(tmp, 'lifecycle.wasm');
  execFileSync(process.env.WAT2WASM || 'wat2wasm', [path.join(__dirname, 'lifecycle.wat'), '-o', out]);
  const wasm = new WebAssembly.Module(fs.readFileSync(out));
  fs.rmSync(tmp, { recursive: true, force: true });
  const text = `workers 2
draw action l 20% p 10% - 70%
upstream 70% 200 1ms..30ms 30% 503 100ms
0s rate 50/s..200/s for 4s poisson GET /api/x x-action=\${action}
`;
  const run = () => JSON.stringify(simulate(wasm, parseTraffic(text)).requests);
  const first = run();
  assert.equal(run(), first);
  const r = JSON.parse(first);
  assert.deepEqual(r.map((q) => q.sentNs), times(requests(text)), 'the requests the file\'s seed makes');
  assert.notDeepEqual(simulate(wasm, parseTraffic(`seed 2\n${text}`)).requests.map((q) => q.sentNs), times(requests(text)));
  assert.ok(r.some((q) => q.outcome === 'blocked') && r.some((q) => q.outcome === 'held') && r.some((q) => q.status === 503));
});
