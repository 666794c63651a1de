// accesslog.test.js: `sentc-host import` (host/accesslog.js) on sample access logs
// in Envoy's default format, Istio's default format and JSON (access_*.txt): what
// each line becomes, that `run` accepts the result and replays what was recorded,
// and the `file:line: error: ...` for lines that cannot be read.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { importAccessLog, parseTime } = require('../accesslog.js');
const { parseTraffic } = require('../traffic.js');
const { simulate } = require('../simulate.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sentc-import-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const sample = (name) => path.join(__dirname, `access_${name}.txt`);
const imported = (name) => importAccessLog(fs.readFileSync(sample(name), 'utf8'), `access_${name}.txt`);
const requestLines = (text) => text.split('\n').filter((l) => /^ *\d/.test(l));

function lifecycle() {
  const out = path.join(tmp, 'lifecycle.wasm');
  execFileSync(process.env.WAT2WASM || 'wat2wasm', [path.join(__dirname, 'lifecycle.wat'), '-o', out]);
  return new WebAssembly.Module(fs.readFileSync(out));
}

test('start times: ISO 8601 with any fraction and offset, or epoch seconds', () => {
  assert.equal(parseTime('2024-03-05T10:00:00.000Z'), 1709632800000000000n);
  assert.equal(parseTime('2024-03-05T10:00:00.123456789Z'), 1709632800123456789n);
  assert.equal(parseTime('2024-03-05T11:00:00+01:00'), 1709632800000000000n);
  assert.equal(parseTime('1709632800.25'), 1709632800250000000n);
  assert.equal(parseTime(1709632800), 1709632800000000000n);
  for (const bad of ['yesterday', '2024-13-05T10:00:00Z', '2024-03-05', '']) assert.equal(parseTime(bad), null, bad);
});

test("Envoy's default format: sorted by start, relative times, local replies and aborts noted", () => {
  const { traffic, requests } = imported('envoy');
  assert.equal(requests, 6);
  assert.deepEqual(requestLines(traffic), [
    '0.000s  GET /api/search?q=shoes host=shop.example.com user-agent=curl/8.5.0 -> 200 12ms',
    '0.100s  GET /api/search?q=bags host=shop.example.com user-agent=$${jndi:ldap://x} -> 200 5ms',
    '0.250s  POST /api/checkout host=shop.example.com x-forwarded-for="203.0.113.9, 10.0.0.2" user-agent="Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/123.0" -> 503 230ms',
    '1.500s  GET /api/search?q=hats host=shop.example.com user-agent=curl/8.5.0  # line 4: the proxy answered 429 (RL) itself: the upstream\'s answer is not in the log',
    '2.000s  GET /slow host=shop.example.com user-agent=curl/8.5.0 -> 504 15001ms',
    '2.750s  GET /api/items/7 host=shop.example.com user-agent=curl/8.5.0 abort 3042ms -> 200 3043ms  # line 6: status 0: the client went away before any response',
  ]);
  assert.match(traffic, /^# Imported by sentc-host import from access_envoy\.txt: 6 requests over 2\.750s$/m);
  assert.match(traffic, /^upstream 200 10ms$/m);
});

test("Istio's default format keeps the peer; TCP connection lines are skipped and said so", () => {
  const { traffic, requests } = imported('istio');
  assert.equal(requests, 2);
  assert.deepEqual(requestLines(traffic), [
    '0.000000s  GET /reviews/1 host=reviews:9080 peer 10.244.0.9:51234 user-agent=curl/8.5.0 -> 200 4ms',
    '0.500123s  POST /ratings host=ratings:9080 peer 10.244.0.9:51240 user-agent=grpc-go/1.60.1  # line 3: the proxy answered 503 (UO upstream_reset_before_response_started{overflow}) itself: the upstream\'s answer is not in the log',
  ]);
  assert.match(traffic, /^# Skipped 1 TCP connection line\(s\) \(no HTTP request\): 2\.$/m);
});

test('JSON lines: Istio names, Envoy operator names, numbers or strings, gRPC status names', () => {
  const { traffic } = imported('json');
  assert.deepEqual(requestLines(traffic), [
    '0.000s  GET /api/search?q=shoes host=shop.example.com peer 10.0.0.31:50112 x-forwarded-for=198.51.100.4 user-agent=curl/8.5.0 -> 200 12ms',
    '0.125s  POST /shop.Cart/Checkout host=cart:8080 grpc -> grpc 14 30ms',
    '0.300s  DELETE /api/cart/9 -> 204 3ms',
  ]);
  const full = importAccessLog('{"start_time":"2024-03-05T10:00:00Z","method":"GET","path":"http://a.example/x?y=1","response_code":200}\n').traffic;
  assert.match(full, /^0\.000s {2}GET \/x\?y=1 host=a\.example -> 200$/m, 'a full URL gives path and authority');
});

test('run accepts what import writes and replays it as recorded', () => {
  const wasm = lifecycle();
  for (const name of ['envoy', 'istio', 'json']) {
    const text = imported(name).traffic;
    const file = path.join(tmp, `${name}.traffic`);
    fs.writeFileSync(file, text);
    const r = simulate(wasm, parseTraffic(text, file));
    assert.deepEqual(r.errors, [], name);
    assert.equal(r.requests.length, requestLines(text).length, name);
  }
  const r = simulate(wasm, parseTraffic(imported('envoy').traffic));
  const q = (p) => r.requests.find((x) => x.path === p);
  assert.deepEqual([q('/api/checkout').sentNs, q('/api/checkout').status, q('/api/checkout').endNs], [250e6, 503, 480e6]);
  assert.deepEqual(Object.fromEntries(q('/api/checkout').upstreamHeaders.filter(([k]) => !k.startsWith(':'))), {
    'x-forwarded-for': '203.0.113.9, 10.0.0.2', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/123.0',
  });
  assert.equal(q('/api/checkout').upstreamHeaders.find(([k]) => k === ':authority')[1], 'shop.example.com');
  assert.equal(q('/api/search?q=bags').upstreamHeaders.find(([k]) => k === 'user-agent')[1], '${jndi:ldap://x}');
  assert.deepEqual([q('/api/items/7').outcome, q('/api/items/7').endNs], ['aborted', 2750e6 + 3042e6]);
  assert.equal(q('/api/search?q=hats').status, 200, 'the default answer, not the old proxy\'s 429');
});

test('a line that cannot be read is an error naming its line', () => {
  const ok = '[2024-03-05T10:00:00.000Z] "GET / HTTP/1.1" 200 - 0 0 1 1 "-" "-" "-" "h" "10.0.0.1:80"';
  const line = (fields) => ok.replace(/^.*$/, fields);
  const cases = [
    ['garbage here', 'not an access log line (expected "[START_TIME] ..." as Envoy writes it, or a JSON object)'],
    ['[2024-03-05T10:00:00Z] "GET / HTTP/1.1" 200', "expected Envoy's default access log format (13 fields) or Istio's (22), found 3 fields"],
    [ok.replace('2024-03-05T10:00:00.000Z', 'yesterday'), 'bad start time "yesterday" (expected e.g. 2023-11-14T22:13:20.123Z)'],
    [ok.replace('"GET / HTTP/1.1"', '"GET /"'), 'bad request "GET /" (expected "METHOD PATH PROTOCOL")'],
    [ok.replace('GET', 'get'), 'bad method "get"'],
    [ok.replace('GET /', 'GET api'), 'bad path "api" (a request path starts with "/")'],
    [ok.replace(' 200 ', ' abc '), 'bad response code "abc"'],
    [ok.replace(' 200 ', ' 99 '), 'bad response code "99"'],
    [ok.replace(' 0 0 1 1 ', ' 0 0 x 1 '), 'bad duration "x" (expected milliseconds)'],
    [ok.replace(' 0 0 1 1 ', ' 0 0 1 y '), 'bad upstream service time "y" (expected milliseconds)'],
    [line('[2024-03-05T10:00:00.000Z] "GET / HTTP/1.1'), 'unterminated "..." field'],
    ['[2024-03-05T10:00:00.000Z', 'unterminated [...] field'],
    ['{"start_time": "2024-03-05T10:00:00Z", "method": "GET", "path": "/", "response_code": 200', /^not valid JSON: /],
    ['[1, 2]', "expected Envoy's default access log format (13 fields) or Istio's (22), found 1 fields"],
    ['{"start_time": "2024-03-05T10:00:00Z", "path": "/", "response_code": 200}', 'no method (expected a field such as "method")'],
    ['{"method": "GET", "path": "/", "response_code": 200}', 'no start time (expected a field such as "start_time")'],
    ['{"start_time": "2024-03-05T10:00:00Z", "method": "GET", "path": "/", "code": {"a": 1}}', 'field "code" is not a string or number'],
    ['{"start_time": "2024-03-05T10:00:00Z", "method": "GET", "path": "/", "code": 200, "grpc_status": "Sometimes"}', 'bad grpc status "Sometimes"'],
  ];
  for (const [text, message] of cases) {
    const expected = typeof message === 'string' ? `access.log:2: error: ${message}` : new RegExp(`^access\\.log:2: error: ${message.source.slice(1)}`);
    assert.throws(() => importAccessLog(`${ok}\n${text}\n${ok}\n`, 'access.log'), { name: 'TrafficError', message: expected }, text);
  }
  assert.throws(() => importAccessLog('\n\n', 'empty.log'), { message: 'empty.log:1: error: no HTTP requests in the log' });
});

test('CLI: import to a file or standard output; errors exit 2', () => {
  const cli = (...args) => spawnSync(process.execPath, [path.join(__dirname, '..', 'sentc-host.js'), ...args], { encoding: 'utf8' });
  const out = path.join(tmp, 'out.traffic');
  const r = cli('import', sample('envoy'), '-o', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, `sentc-host: 6 requests written to ${out}\n`);
  assert.equal(fs.readFileSync(out, 'utf8'), cli('import', sample('envoy')).stdout);
  const bad = path.join(tmp, 'bad.log');
  fs.writeFileSync(bad, `${fs.readFileSync(sample('envoy'), 'utf8')}oops\n`);
  const b = cli('import', bad);
  assert.equal(b.status, 2);
  assert.equal(b.stderr, `sentc-host: ${bad}:7: error: not an access log line (expected "[START_TIME] ..." as Envoy writes it, or a JSON object)\n`);
  assert.equal(cli('import').status, 2);
  assert.equal(cli('import', path.join(tmp, 'missing.log')).status, 2);
  assert.match(cli('frobnicate').stderr, /unknown command "frobnicate" \(expected run, import or check-config\)/);
});
