// svg.js: draws a timeline (timeline.js) as one SVG picture: a panel per resource
// (and one for all requests) with the requests of each step stacked by outcome
// (passed, held, shadow, blocked by each rule), each breaker's state as a band
// under it, a time axis in seconds and a legend.
//
// Why: a picture shows at a glance what a table of hundreds of rows hides (a breaker
// opening and probing, a warm-up climbing, a queue filling). It is plain SVG text
// written here, with no dependencies and no browser, so any viewer or
// `rsvg-convert` turns it into an image.
'use strict';

const { ALL, secs } = require('./timeline.js');

const WIDTH = 1000;
const LEFT = 84;              // room for the y labels and band names
const RIGHT = 24;
const PLOT_W = WIDTH - LEFT - RIGHT;
const BARS_H = 130;
const BAND_H = 12;
const FONT = 'font-family="DejaVu Sans, Verdana, Arial, sans-serif"';

// Passes green and blue, blocks warm colors, breaker states a band of their own.
const COLORS = { passed: '#43a047', held: '#1e88e5', shadow: 'url(#shadow)', forwarded: '#cddc39', other: '#9e9e9e' };
const SHADOW_SWATCH = { fill: '#e1bee7', stripe: '#8e24aa' };
const RULE_COLORS = ['#f4511e', '#6d4c41', '#d81b60', '#ffca28', '#8d6e63', '#ad1457', '#ff8a65', '#4e342e', '#f06292'];
const STATE_COLORS = { closed: '#c8e6c9', open: '#b71c1c', 'half-open': '#ff9800', '?': '#e0e0e0' };
const ERRORS_LINE = '#212121';
const MIN_STATE_W = 3;        // a 20 ms probe is still visible (its tooltip has the times)

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fmt = (n) => +n.toFixed(2);

// 1, 2, 5 x 10^k at or above x.
function niceCeil(x) {
  if (x <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= x);
}

// About eight ticks over `totalNs`, at a round number of seconds (or ms).
function tickStepNs(totalNs) {
  const candidates = [1e6, 2e6, 5e6, 10e6, 20e6, 50e6, 100e6, 200e6, 500e6, 1e9, 2e9, 5e9, 10e9, 15e9, 30e9, 60e9, 120e9, 300e9, 600e9, 1800e9, 3600e9];
  return candidates.find((c) => totalNs / c <= 10) ?? 3600e9;
}

function timeLabel(ns, tickNs) {
  if (tickNs < 1e9) return `${+(ns / 1e9).toFixed(3)}s`;
  return `${+(ns / 1e9).toFixed(0)}s`;
}

// The rule label of a blocked-by key: `flow` in a resource, `R/flow` in all requests.
const ruleOf = (key) => key.split('/').pop();

// Colors for rule names: in the resources' rule order (the policy's), then any other
// rule a block names.
function ruleColors(timeline) {
  const colors = new Map();
  const add = (rule) => { if (!colors.has(rule)) colors.set(rule, RULE_COLORS[colors.size % RULE_COLORS.length]); };
  for (const g of timeline.groups) g.rules.forEach(add);
  for (const g of timeline.groups) for (const row of g.rows) Object.keys(row.blockedBy).forEach((key) => add(ruleOf(key)));
  return colors;
}

// The stacked segments of one row, bottom up: [color, count, label].
function segments(g, row, colors) {
  const segs = [[COLORS.passed, row.passed, 'passed'], [COLORS.held, row.held, 'held']];
  const shadow = g.name === ALL ? row.shadow : Object.values(row.shadowBy).reduce((a, b) => a + b, 0);
  segs.push([COLORS.shadow, shadow, 'shadow']);
  if (g.name === ALL) segs.push([COLORS.forwarded, row.forwarded, 'forwarded']);
  const byRule = new Map();
  for (const [key, n] of Object.entries(row.blockedBy)) byRule.set(ruleOf(key), (byRule.get(ruleOf(key)) ?? 0) + n);
  for (const [rule, n] of byRule) segs.push([colors.get(rule), n, `blocked by ${rule}`]);
  if (g.name === ALL) segs.push([COLORS.other, row.other, 'other']);
  return segs.filter(([, n]) => n > 0);
}

function panelHeight(g) { return 26 + BARS_H + g.breakers.length * (BAND_H + 6) + 30; }

function panel(out, g, top, timeline, colors) {
  const { stepNs, steps } = timeline;
  const totalNs = steps * stepNs;
  const x = (ns) => LEFT + (ns / totalNs) * PLOT_W;
  const barW = PLOT_W / steps;
  const gap = barW >= 4 ? 1 : 0;
  const max = niceCeil(Math.max(1, ...g.rows.map((r) => r.offered)));
  const base = top + 26 + BARS_H;
  const y = (n) => base - (n / max) * BARS_H;
  const title = g.name === ALL ? 'all requests' : g.name === 'system' ? 'system' : `resource ${g.name}`;
  const rules = g.name === ALL ? '' : g.rules.length ? `(rules: ${g.rules.join(', ')})` : '';
  out.push(`<text x="${LEFT}" y="${top + 16}" font-size="14" font-weight="bold" ${FONT}>${esc(title)}<tspan dx="8" font-weight="normal" font-size="12" fill="#555">${esc(rules)}</tspan></text>`);
  // grid and y labels
  for (const n of [0, max / 2, max]) {
    out.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${fmt(y(n))}" y2="${fmt(y(n))}" stroke="${n ? '#e0e0e0' : '#616161'}" stroke-width="1"/>`);
    out.push(`<text x="${LEFT - 6}" y="${fmt(y(n) + 4)}" font-size="11" text-anchor="end" ${FONT}>${fmt(n)}</text>`);
  }
  out.push(`<text x="14" y="${fmt(base - BARS_H / 2)}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${fmt(base - BARS_H / 2)})" ${FONT}>requests per ${esc(timeLabel(stepNs, stepNs < 1e9 ? 1 : 1e9))}</text>`);
  // bars
  g.rows.forEach((row, i) => {
    let level = 0;
    for (const [color, n, label] of segments(g, row, colors)) {
      const y1 = y(level + n);
      out.push(`<rect x="${fmt(LEFT + i * barW + gap / 2)}" y="${fmt(y1)}" width="${fmt(Math.max(barW - gap, 0.5))}" height="${fmt(y(level) - y1)}" fill="${color}"><title>${esc(`${timeLabel(row.fromNs, 1)}: ${label} ${n}`)}</title></rect>`);
      level += n;
    }
  });
  // upstream errors, as a line over the bars
  if (g.rows.some((r) => r.errors)) {
    const points = g.rows.map((row, i) => `${fmt(LEFT + (i + 0.5) * barW)},${fmt(y(row.errors))}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${ERRORS_LINE}" stroke-width="1.5" stroke-dasharray="4 2"/>`);
  }
  // breaker bands
  let bandTop = base + 6;
  for (const rule of g.breakers) {
    // a name wider than the margin (a character is about 0.57 of the font size) is
    // drawn smaller to fit in it
    const size = fmt(Math.min(11, (LEFT - 10) / (0.57 * rule.length)));
    out.push(`<text x="${LEFT - 6}" y="${bandTop + BAND_H - 2}" font-size="${size}" text-anchor="end" ${FONT}>${esc(rule)}</text>`);
    // closed first, so that a short open or half-open stretch drawn wider stays on top
    const segs = bandSegments(g, rule, stepNs, totalNs);
    for (const seg of [...segs.filter((s) => s.state === 'closed'), ...segs.filter((s) => s.state !== 'closed')]) {
      const w = Math.max(x(seg.to) - x(seg.from), seg.state === 'closed' ? 0.5 : MIN_STATE_W);
      out.push(`<rect x="${fmt(x(seg.from))}" y="${bandTop}" width="${fmt(w)}" height="${BAND_H}" fill="${STATE_COLORS[seg.state]}"><title>${esc(`${rule} ${seg.state} ${secs(seg.from)}..${secs(seg.to)}`)}</title></rect>`);
    }
    bandTop += BAND_H + 6;
  }
  // time axis
  const tick = tickStepNs(totalNs);
  for (let t = 0; t <= totalNs + 1; t += tick) {
    out.push(`<line x1="${fmt(x(t))}" x2="${fmt(x(t))}" y1="${bandTop - 4}" y2="${bandTop}" stroke="#616161"/>`);
    out.push(`<text x="${fmt(x(t))}" y="${bandTop + 12}" font-size="11" text-anchor="middle" ${FONT}>${esc(timeLabel(t, tick))}</text>`);
  }
}

// A breaker's states as [from, to) segments over the whole run.
function bandSegments(g, rule, stepNs, totalNs) {
  const segs = [];
  let state = g.rows[0].breakers[rule].state === '?' ? '?' : 'closed';
  let from = 0;
  for (const row of g.rows) {
    for (const c of row.breakers[rule].changes) {
      if (c.state !== state) {
        segs.push({ from, to: c.atNs, state });
        from = c.atNs;
        state = c.state;
      }
    }
  }
  segs.push({ from, to: totalNs, state });
  return segs.filter((s) => s.to > s.from || segs.length === 1);
}

// The legend: what each color means, wrapped to the width; returns its height.
function legend(out, top, timeline, colors) {
  const any = (f) => timeline.groups.some((g) => g.rows.some(f));
  const items = [['passed', COLORS.passed]];
  if (any((r) => r.held)) items.push(['held', COLORS.held]);
  if (any((r) => r.shadow)) items.push(['shadow (would be blocked)', COLORS.shadow]);
  for (const [rule, color] of colors) items.push([`blocked by ${rule}`, color]);
  if (any((r) => r.forwarded)) items.push(['forwarded (fallback)', COLORS.forwarded]);
  if (timeline.groups[0].rows.some((r) => r.other)) items.push(['other (aborted, reset, ...)', COLORS.other]);
  if (any((r) => r.errors)) items.push(['upstream errors (5xx, gRPC errors)', null]);
  if (timeline.groups.some((g) => g.breakers.length)) {
    items.push(['breaker closed', STATE_COLORS.closed], ['breaker open', STATE_COLORS.open], ['breaker half-open', STATE_COLORS['half-open']]);
  }
  if (timeline.groups.some((g) => g.breakers.some((b) => g.rows[0].breakers[b].state === '?'))) {
    items.push(['breaker state unknown (not logged)', STATE_COLORS['?']]);
  }
  let x = LEFT;
  let y = top;
  for (const [label, color] of items) {
    const w = 22 + label.length * 6.6;
    if (x + w > WIDTH - RIGHT) { x = LEFT; y += 18; }
    if (color) out.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${color}" stroke="#757575" stroke-width="0.5"/>`);
    else out.push(`<line x1="${x}" x2="${x + 12}" y1="${y + 6}" y2="${y + 6}" stroke="${ERRORS_LINE}" stroke-width="1.5" stroke-dasharray="4 2"/>`);
    out.push(`<text x="${x + 16}" y="${y + 10}" font-size="11" ${FONT}>${esc(label)}</text>`);
    x += w + 10;
  }
  return y + 18 - top;
}

// The whole picture. options.title: what the run was (file names).
function timelineSvg(timeline, options = {}) {
  const colors = ruleColors(timeline);
  const body = [];
  const title = `sentc-host timeline${options.title ? `: ${options.title}` : ''} (step ${timeLabel(timeline.stepNs, timeline.stepNs < 1e9 ? 1 : 1e9)})`;
  body.push(`<text x="${LEFT}" y="24" font-size="16" font-weight="bold" ${FONT}>${esc(title)}</text>`);
  let top = 36 + legend(body, 36, timeline, colors) + 8;
  if (timeline.steps === 0) {
    body.push(`<text x="${LEFT}" y="${top + 20}" font-size="13" ${FONT}>no requests</text>`);
    top += 40;
  } else {
    for (const g of timeline.groups) {
      panel(body, g, top, timeline, colors);
      top += panelHeight(g);
    }
  }
  const height = Math.ceil(top + 10);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<title>${esc(title)}</title>`,
    `<defs><pattern id="shadow" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">`
      + `<rect width="6" height="6" fill="${SHADOW_SWATCH.fill}"/><rect width="3" height="6" fill="${SHADOW_SWATCH.stripe}"/></pattern></defs>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

module.exports = { timelineSvg };
