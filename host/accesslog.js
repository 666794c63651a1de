// accesslog.js: turns recorded Envoy/Istio access logs into a traffic file
// (`sentc-host import`).
//
// Why: the best rehearsal of a policy is yesterday's traffic. Envoy writes one line
// per request, in its default text format, Istio's (which adds fields), or as JSON
// (`json_format`, Istio's `accessLogEncoding: JSON`); each becomes one request line
// at its start time (relative to the earliest), with its method, path, authority,
// peer, x-forwarded-for and user-agent, answered with the status the upstream gave
// after the time it took. The result is a plain traffic file (docs/traffic.md) the
// user can read, edit and add `expect` lines to. A line that cannot be read stops the
// import with `file:line: error: ...`.
'use strict';

const { TrafficError, quote, address } = require('./traffic.js');
const { escapeTemplate } = require('./draws.js');

// ---- timestamps -------------------------------------------------------------------

// ISO 8601 as Envoy's %START_TIME% prints it (2023-11-14T22:13:20.123Z, any number
// of fraction digits, Z or an offset), or epoch seconds (%START_TIME(%s.%3f)%) ->
// BigInt ns since the epoch, or null.
function parseTime(value) {
  const text = String(value).trim();
  let m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (m) return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$/i.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  if (Number.isNaN(ms) || +mo > 12 || +d > 31 || +h > 23 || +mi > 59 || +s > 60) return null;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d\d):?(\d\d)$/.exec(zone);
    ms -= (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60000;
  }
  return BigInt(ms) * 1_000_000n + BigInt((frac ?? '').padEnd(9, '0'));
}

// ---- Envoy and Istio text formats ---------------------------------------------------

// Fields of a text line: [bracketed], "quoted" (up to a quote followed by a space or
// the end: Envoy does not escape quotes inside) or bare words.
function textFields(line, fail) {
  const fields = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') { i++; continue; }
    let end;
    if (line[i] === '[' || line[i] === '"') {
      const close = line[i] === '[' ? ']' : '"';
      end = i + 1;
      while (end < line.length && !(line[end] === close && (end + 1 === line.length || line[end + 1] === ' '))) end++;
      if (end >= line.length) fail(`unterminated ${close === ']' ? '[...]' : '"..."'} field`);
      fields.push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      end = line.indexOf(' ', i);
      if (end < 0) end = line.length;
      fields.push(line.slice(i, end));
      i = end;
    }
  }
  return fields;
}

// Where each value sits in Envoy's default format (13 fields) and Istio's (22):
//   [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
//   %RESPONSE_CODE% %RESPONSE_FLAGS% [Istio: %RESPONSE_CODE_DETAILS%
//   %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%"]
//   %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%
//   "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%"
//   "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" [Istio: %UPSTREAM_CLUSTER%
//   %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
//   %REQUESTED_SERVER_NAME% %ROUTE_NAME%]
const TEXT_FORMATS = {
  13: { name: 'Envoy default', code: 2, flags: 3, details: null, duration: 6, upstreamTime: 7, xff: 8, userAgent: 9, authority: 11, upstreamHost: 12, peer: null },
  22: { name: 'Istio default', code: 2, flags: 3, details: 4, duration: 9, upstreamTime: 10, xff: 11, userAgent: 12, authority: 14, upstreamHost: 15, peer: 19 },
};

function fromText(line, fail) {
  const f = textFields(line, fail);
  const format = TEXT_FORMATS[f.length];
  if (!format) fail(`expected Envoy's default access log format (13 fields) or Istio's (22), found ${f.length} fields`);
  const request = f[1].split(' ');
  if (request.length !== 3) fail(`bad request "${f[1]}" (expected "METHOD PATH PROTOCOL")`);
  const get = (i) => (i === null ? null : f[i]);
  return {
    format: format.name, start: f[0], method: request[0], path: request[1], status: f[format.code],
    flags: f[format.flags], details: get(format.details), duration: f[format.duration],
    upstreamTime: f[format.upstreamTime], xff: f[format.xff], userAgent: f[format.userAgent],
    authority: f[format.authority], upstreamHost: f[format.upstreamHost], peer: get(format.peer), grpcStatus: null,
  };
}

// ---- JSON lines ------------------------------------------------------------------------

// Accepted names per value, compared lower-cased without '_', '-', ':', '(', ')' and
// spaces, so start_time, START_TIME, startTime and "REQ(:METHOD)" all match.
const JSON_NAMES = {
  start: ['starttime', 'timestamp', 'time', 'requeststarttime'],
  method: ['method', 'reqmethod', 'requestmethod', 'httpmethod'],
  path: ['path', 'reqxenvoyoriginalpathpath', 'reqpath', 'requestpath', 'originalpath', 'uri', 'requesturi'],
  authority: ['authority', 'reqauthority', 'host', 'reqhost'],
  status: ['responsecode', 'status', 'statuscode', 'code'],
  duration: ['duration', 'durationms'],
  upstreamTime: ['upstreamservicetime', 'respxenvoyupstreamservicetime', 'xenvoyupstreamservicetime'],
  xff: ['xforwardedfor', 'reqxforwardedfor', 'forwardedfor'],
  userAgent: ['useragent', 'requseragent'],
  peer: ['downstreamremoteaddress', 'downstreamdirectremoteaddress', 'remoteaddress', 'clientaddress'],
  upstreamHost: ['upstreamhost'],
  flags: ['responseflags'],
  details: ['responsecodedetails'],
  grpcStatus: ['grpcstatus', 'grpcstatusnumber'],
};

const normalize = (key) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

function fromJson(line, fail) {
  let obj;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    fail(`not valid JSON: ${err.message}`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail('a JSON line must be an object');
  const byName = new Map();
  for (const [k, v] of Object.entries(obj)) if (!byName.has(normalize(k))) byName.set(normalize(k), v);
  const entry = { format: 'JSON' };
  for (const [field, names] of Object.entries(JSON_NAMES)) {
    const hit = names.find((n) => byName.has(n) && byName.get(n) !== null);
    const v = hit ? byName.get(hit) : null;
    entry[field] = v === null ? null : typeof v === 'object' ? fail(`field "${hit}" is not a string or number`) : String(v);
  }
  for (const [field, names] of [['start', 'start_time'], ['method', 'method'], ['path', 'path'], ['status', 'response_code']]) {
    if (entry[field] === null) fail(`no ${field === 'start' ? 'start time' : field} (expected a field such as "${names}")`);
  }
  return entry;
}

// ---- one request ------------------------------------------------------------------------

const absent = (v) => v === null || v === undefined || v === '' || v === '-';

// Response flags of a reply the proxy made itself, without the upstream answering.
const LOCAL_FLAGS = new Set(['RL', 'RLSE', 'UO', 'NR', 'NC', 'UH', 'UAEX', 'FI', 'IH', 'DPE', 'UPE', 'OM', 'NFCF', 'LH']);

const GRPC_CODES = ['ok', 'canceled', 'unknown', 'invalidargument', 'deadlineexceeded', 'notfound', 'alreadyexists',
  'permissiondenied', 'resourceexhausted', 'failedprecondition', 'aborted', 'outofrange', 'unimplemented',
  'internal', 'unavailable', 'dataloss', 'unauthenticated'];

function grpcCode(text, fail) {
  if (/^\d+$/.test(text) && Number(text) <= 16) return Number(text);
  const i = GRPC_CODES.indexOf(normalize(text).replace('cancelled', 'canceled'));
  return i >= 0 ? i : fail(`bad grpc status "${text}"`);
}

function millis(text, what, fail) {
  if (absent(text)) return null;
  if (!/^\d+(\.\d+)?$/.test(text)) fail(`bad ${what} "${text}" (expected milliseconds)`);
  return Number(text);
}

// A parsed line -> { atNs (absolute, BigInt), words: [...], comment } or null for a
// TCP connection's line (no HTTP request).
function toRequest(e, fail) {
  if (e.method === '-' && e.path === '-') return null;
  const at = parseTime(e.start);
  if (at === null) fail(`bad start time "${e.start}" (expected e.g. 2023-11-14T22:13:20.123Z)`);
  if (!/^[A-Z][A-Z-]*$/.test(e.method)) fail(`bad method "${e.method}"`);
  let { path, authority } = e;
  const url = /^https?:\/\/([^/]+)(\/.*)?$/i.exec(path);
  if (url) [, authority, path] = [null, authority ?? url[1], url[2] ?? '/'];
  if (!path.startsWith('/')) fail(`bad path "${path}" (a request path starts with "/")`);
  if (!/^\d{1,3}$/.test(e.status) || (Number(e.status) !== 0 && (Number(e.status) < 100 || Number(e.status) > 599))) {
    fail(`bad response code "${e.status}"`);
  }
  const status = Number(e.status);
  const duration = millis(e.duration, 'duration', fail);
  const upstreamTime = millis(e.upstreamTime, 'upstream service time', fail);
  const words = [e.method, quote(escapeTemplate(path))];
  const notes = [];
  if (!absent(authority)) words.push(`host=${quote(escapeTemplate(authority))}`);
  if (!absent(e.peer)) {
    let ok = true;
    address(e.peer, () => { ok = false; });
    if (ok) words.push('peer', e.peer);
    else notes.push(`peer "${e.peer}" left out: not an IP address`);
  }
  if (!absent(e.xff)) words.push(`x-forwarded-for=${quote(escapeTemplate(e.xff))}`);
  if (!absent(e.userAgent)) words.push(`user-agent=${quote(escapeTemplate(e.userAgent))}`);
  const grpc = absent(e.grpcStatus) ? null : grpcCode(e.grpcStatus, fail);
  if (grpc !== null) words.push('grpc');
  const latency = upstreamTime ?? duration;
  const flags = absent(e.flags) ? [] : e.flags.split(',');
  const local = upstreamTime === null && (flags.some((f) => LOCAL_FLAGS.has(f)) || e.upstreamHost === '-');
  if (status === 0) {
    // The client left before any answer: the upstream's comes after it left.
    if (duration !== null) words.push('abort', `${duration}ms`, '->', '200', `${duration + 1}ms`);
    notes.push('status 0: the client went away before any response');
  } else if (local) {
    const why = [flags.join(','), absent(e.details) ? '' : e.details].filter(Boolean).join(' ');
    notes.push(`the proxy answered ${status}${why ? ` (${why})` : ''} itself: the upstream's answer is not in the log`);
  } else {
    const answer = grpc !== null ? `grpc ${grpc}` : String(status);
    words.push('->', answer, ...(latency !== null ? [`${latency}ms`] : []));
  }
  return { at, words, comment: notes.join('; ') };
}

// ---- the file ---------------------------------------------------------------------------

function formatSeconds(ns, decimals) { return `${(Number(ns) / 1e9).toFixed(decimals)}s`; }

// The whole log -> { traffic: text of a traffic file, requests: count }. Throws
// TrafficError (`file:line: error: ...`) for the first line it cannot read.
function importAccessLog(text, file = '<access log>') {
  const requests = [];
  const formats = new Map();
  const tcpLines = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const fail = (msg) => { throw new TrafficError(file, line, msg); };
    const trimmed = raw.trim();
    if (!trimmed) return;
    const entry = trimmed.startsWith('{') ? fromJson(trimmed, fail)
      : trimmed.startsWith('[') ? fromText(trimmed, fail)
        : fail('not an access log line (expected "[START_TIME] ..." as Envoy writes it, or a JSON object)');
    const req = toRequest(entry, fail);
    if (!req) { tcpLines.push(line); return; }
    formats.set(entry.format, (formats.get(entry.format) ?? 0) + 1);
    requests.push({ ...req, line });
  });
  if (requests.length === 0) throw new TrafficError(file, 1, 'no HTTP requests in the log');
  const first = requests.reduce((m, r) => (r.at < m ? r.at : m), requests[0].at);
  const last = requests.reduce((m, r) => (r.at > m ? r.at : m), requests[0].at);
  requests.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.line - b.line));
  const decimals = requests.every((r) => (r.at - first) % 1_000_000n === 0n) ? 3 : 6;
  const width = formatSeconds(last - first, decimals).length;
  const out = [
    `# Imported by sentc-host import from ${file}: ${requests.length} requests over ${formatSeconds(last - first, 3)}`,
    `# (${[...formats].map(([f, n]) => `${n} ${f}`).join(', ')} lines; times relative to the earliest start, ${new Date(Number(first / 1_000_000n)).toISOString()}).`,
    '# Kept: start time, method, path, authority, peer, x-forwarded-for, user-agent; the',
    '# upstream\'s status after its service time (x-envoy-upstream-service-time, else the',
    '# whole duration). Replies the old proxy made itself keep the default answer below.',
  ];
  if (tcpLines.length) out.push(`# Skipped ${tcpLines.length} TCP connection line(s) (no HTTP request): ${tcpLines.slice(0, 10).join(', ')}${tcpLines.length > 10 ? ', ...' : ''}.`);
  out.push('upstream 200 10ms', '');
  for (const r of requests) {
    const time = formatSeconds(r.at - first, decimals).padStart(width);
    out.push(`${time}  ${r.words.join(' ')}${r.comment ? `  # line ${r.line}: ${r.comment}` : ''}`);
  }
  return { traffic: `${out.join('\n')}\n`, requests: requests.length };
}

module.exports = { importAccessLog, parseTime };
