// draws.js: the values a traffic file draws per request (`draw NAME ...` lines) and
// the `${NAME}` templates that use them in paths, header values and peer addresses.
//
// Why: a hot-key test needs requests spread over thousands of key values, some far
// more frequent than others (Zipf), or over a few values in chosen proportions,
// without one traffic line per value. A draw is declared once and named; every
// request built from a line that says `${NAME}` gets its own value, from the line's
// own random stream (rng.js), so runs repeat exactly.
'use strict';

const { pickIndex, zipfTable } = require('./rng.js');

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const MAX_RANGE = 1e12;        // values in a uniform range
const MAX_ZIPF_RANGE = 1e6;    // values in a Zipf range (a table of that many doubles)
const WEIGHT = /^(\d+(?:\.\d+)?)(%?)$/;

// `PREFIXlo..PREFIXhi`, e.g. u1..u50000 or 10.0.0.1..10.0.0.254 -> the parts, or null.
function parseRange(text) {
  const m = /^(.*?)(\d+)\.\.(.*?)(\d+)$/.exec(text);
  if (!m || m[1] !== m[3]) return null;
  return { prefix: m[1], loText: m[2], lo: Number(m[2]), hi: Number(m[4]) };
}

// `draw NAME RANGE [uniform | zipf S]` or `draw NAME VALUE WEIGHT [VALUE WEIGHT...]`:
// the tokens after NAME; fails through cur.fail.
function parseDraw(cur, line) {
  const name = cur.word('draw name');
  if (!NAME.test(name)) cur.fail(`bad draw name "${name}" (letters, digits, _ and -, not starting with a digit)`);
  const rest = [];
  while (!cur.done) rest.push(cur.next());
  if (rest.length === 0) cur.fail('missing values (write e.g. u1..u50000, u1..u50000 zipf 1.1, or a 70% b 30%)');
  const range = parseRange(rest[0]);
  const rangeForm = rest.length === 1 || (rest.length === 2 && rest[1] === 'uniform') || (rest.length === 3 && rest[1] === 'zipf');
  if (rangeForm && !range && rest[0].includes('..')) {
    cur.fail(`bad range "${rest[0]}" (its ends share everything but a last number: e.g. u1..u50000 or 10.0.0.1..10.0.0.254)`);
  }
  return { name, line, ...(rangeForm && range ? rangeDraw(cur, rest, range) : listDraw(cur, rest)) };
}

function rangeDraw(cur, rest, r) {
  if (r.hi < r.lo) cur.fail(`range "${rest[0]}" ends before it starts`);
  const count = r.hi - r.lo + 1;
  if (!Number.isSafeInteger(r.hi) || count > MAX_RANGE) cur.fail(`range "${rest[0]}" has more than ${MAX_RANGE} values`);
  // Zero-padded ends (u0001..u9999) keep their width.
  const width = r.loText.length > 1 && r.loText.startsWith('0') ? r.loText.length : 0;
  let zipf = null;
  if (rest[1] === 'zipf') {
    zipf = Number(rest[2]);
    if (!/^\d+(\.\d+)?$/.test(rest[2]) || !(zipf > 0) || zipf > 10) cur.fail(`zipf exponent must be a number above 0 and at most 10, got "${rest[2]}"`);
    if (count > MAX_ZIPF_RANGE) cur.fail(`a zipf range has at most ${MAX_ZIPF_RANGE} values, "${rest[0]}" has ${count}`);
  }
  return { kind: 'range', prefix: r.prefix, lo: r.lo, hi: r.hi, width, zipf, table: null };
}

function listDraw(cur, rest) {
  if (rest.length % 2 !== 0) cur.fail(`every value needs a weight (write VALUE WEIGHT pairs, e.g. free 70% pro 30%), "${rest.at(-1)}" has none`);
  const values = [];
  const weights = [];
  let percents = 0;
  for (let i = 0; i < rest.length; i += 2) {
    const m = WEIGHT.exec(rest[i + 1]);
    if (!m || !(Number(m[1]) > 0)) cur.fail(`bad weight "${rest[i + 1]}" for "${rest[i]}" (write e.g. 70% or 3)`);
    if (m[2]) percents++;
    values.push(rest[i]);
    weights.push(Number(m[1]));
  }
  if (percents !== 0 && percents !== values.length) cur.fail('weights must be all percentages or all plain numbers');
  const total = weights.reduce((a, b) => a + b, 0);
  if (percents && Math.abs(total - 100) > 1e-9) cur.fail(`percentages add up to ${+total.toFixed(6)}%, not 100%`);
  let sum = 0;
  return { kind: 'list', values, cumulative: weights.map((w) => (sum += w)) };
}

// One value of `draw`, from `rng`.
function drawValue(draw, rng) {
  if (draw.kind === 'list') return draw.values[pickIndex(draw.cumulative, rng)];
  let n;
  if (draw.zipf === null) n = draw.lo + rng.below(draw.hi - draw.lo + 1);
  else {
    draw.table ??= zipfTable(draw.hi - draw.lo + 1, draw.zipf);
    n = draw.lo + pickIndex(draw.table, rng);
  }
  return draw.prefix + String(n).padStart(draw.width, '0');
}

// ---- templates -------------------------------------------------------------------------

// "a${user}b" -> ['a', {name: 'user'}, 'b']; `$$` is a literal `$`, any other `$` too.
// Text without `${` or `$$` comes back as the plain string it is.
function parseTemplate(text, fail) {
  if (!text.includes('$')) return text;
  const parts = [];
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$' || (text[i + 1] !== '$' && text[i + 1] !== '{')) { literal += text[i]; continue; }
    if (text[i + 1] === '$') { literal += '$'; i++; continue; }
    const end = text.indexOf('}', i);
    const name = end < 0 ? '' : text.slice(i + 2, end);
    if (!NAME.test(name)) fail(`bad "\${" in "${text}" (write \${NAME} to draw a value, or $$ for a literal $)`);
    if (literal) parts.push(literal);
    literal = '';
    parts.push({ name });
    i = end;
  }
  if (literal) parts.push(literal);
  return parts.every((p) => typeof p === 'string') ? parts.join('') : parts;
}

// The names a template draws from.
function templateNames(tpl) {
  return typeof tpl === 'string' ? [] : tpl.filter((p) => typeof p !== 'string').map((p) => p.name);
}

// The text of a template, `value(name)` giving each drawn value.
function expandTemplate(tpl, value) {
  if (typeof tpl === 'string') return tpl;
  return tpl.map((p) => (typeof p === 'string' ? p : value(p.name))).join('');
}

// Writes text so that parseTemplate gives it back unchanged: a `$` before `{` or `$`
// is doubled.
function escapeTemplate(text) { return text.replace(/\$(?=[{$])/g, '$$$$'); }

module.exports = { parseDraw, drawValue, parseTemplate, templateNames, expandTemplate, escapeTemplate };
