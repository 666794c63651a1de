// check.js: the Grafana dashboard (examples/grafana/sentc.json) and the sample
// queries and alert rules of the docs graph only series that a real main.wasm
// produces, under the names and labels Envoy exports them with.
//
//   node check.js --dashboard JSON --wasm main.wasm --envoy envoy.yaml
//        --traffic TRAFFIC [--docs FILE,FILE...]
//
// main.wasm and envoy.yaml come from one `sentc POLICY -o main.wasm --envoy envoy.yaml`
// run; TRAFFIC is run on main.wasm in the bundled host (host/simulate.js) and must
// make the module define every metric of runtime/engine/metrics.h. Every metric name
// the module defined is turned into its Prometheus series with the bootstrap's own
// stats_tags (tests/deploy/stats_tags.js applies them as Envoy does; histograms give
// _bucket with `le`, _sum and _count). Every PromQL expression (panel targets, the
// label_values() of template variables, ```promql blocks and `expr:` of ```yaml
// blocks in the docs) is parsed with Prometheus's own grammar
// (@prometheus-io/lezer-promql) after Grafana's variables are filled in, and then:
// each selector must name a series the module produced, each label it matches on or
// groups by must be one that series carries, and the dashboard must graph every
// metric of metrics.h. Mutations of the dashboard and of the bootstrap's stats_tags
// prove that the check fails when a name or a tag is wrong. Prints one line per
// check; exits 1 when any failed.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const { parser } = require('@prometheus-io/lezer-promql');
const { parseTraffic } = require('../../host/traffic.js');
const { simulate } = require('../../host/simulate.js');
const { extractTags } = require('../deploy/stats_tags.js');
const { metricList } = require('../deploy/metrics_list.js');

const TOP = path.join(__dirname, '..', '..');
// Labels Prometheus itself puts on every scraped series: queries may use them.
const TARGET_LABELS = ['instance', 'job'];
const TYPES = ['counter', 'gauge', 'histogram'];     // Proxy-Wasm's metric types

function args(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1];
  return o;
}

let failed = 0;
function group(name, fn) {
  try {
    fn();
    console.log(`ok    ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${name}: ${err.message}`);
  }
}

// ---- what the module produces ----

// Prometheus series (name -> Set of label names) of the metrics the module defined,
// as Envoy's /stats/prometheus names them with the bootstrap's stats_tags.
function seriesOf(defined, statsTags) {
  const series = new Map();
  const add = (name, labels) => {
    if (!series.has(name)) series.set(name, new Set());
    for (const l of labels) series.get(name).add(l);
  };
  for (const { name, type } of defined) {
    const { name: extracted, tags } = extractTags(`wasmcustom.${name}`, statsTags);
    assert.ok(extracted.startsWith('wasmcustom.'), `${name}: ${extracted}`);
    const base = extracted.slice('wasmcustom.'.length).replace(/[^a-zA-Z0-9_]/g, '_');
    const labels = tags.map(([t]) => t).concat(TARGET_LABELS);
    if (type === 'histogram') {
      add(`${base}_bucket`, labels.concat('le'));
      add(`${base}_sum`, labels);
      add(`${base}_count`, labels);
    } else add(base, labels);
  }
  return series;
}

// ---- PromQL ----

// Grafana's variables filled in as Grafana would for "All": intervals become a
// duration, other variables the regex `.*` (they stand in =~ matchers).
function interpolate(expr) {
  return expr.replace(/\$(__rate_interval|__interval|__range)\b/g, '5m')
    .replace(/\$\{(\w+)(:\w+)?\}|\$(\w+)/g, '.*');
}

// The selectors and groupings of one expression: [{ metric, labels, at }] and
// [{ labels, selectors }] for every `by (...)`. Throws on a syntax error.
function readPromql(text) {
  const tree = parser.parse(text);
  const selectors = [];
  const groupings = [];
  const errors = [];
  const children = (node, name) => node.getChildren(name);
  const slice = (n) => text.slice(n.from, n.to);
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) errors.push(`a syntax error at column ${ref.from + 1}: "${text.slice(Math.max(0, ref.from - 20), ref.from + 20)}"`);
      if (ref.name === 'VectorSelector') {
        const node = ref.node;
        const id = children(node, 'Identifier')[0];
        const labels = [];
        let metric = id ? slice(id) : null;
        for (const list of children(node, 'LabelMatchers')) {
          for (const m of list.getChildren('UnquotedLabelMatcher').concat(list.getChildren('QuotedLabelMatcher'))) {
            const label = slice(m.getChild('LabelName') ?? m.getChild('QuotedLabelName'));
            if (label === '__name__') metric = JSON.parse(slice(m.getChild('StringLiteral')));
            else labels.push(label);
          }
        }
        selectors.push({ metric, labels, from: ref.from, to: ref.to });
      }
      if (ref.name === 'AggregateExpr') {
        const modifier = ref.node.getChild('AggregateModifier');
        if (modifier && modifier.getChild('By')) {
          const labels = modifier.getChild('GroupingLabels').getChildren('LabelName').map(slice);
          groupings.push({ labels, from: ref.from, to: ref.to });
        }
      }
    },
  });
  if (errors.length) throw new Error(errors[0]);
  for (const g of groupings) g.selectors = selectors.filter((s) => s.from >= g.from && s.to <= g.to);
  return { selectors, groupings };
}

// Problems of one expression (`where` says where it is) against the series.
function problems(where, expr, series) {
  const text = interpolate(expr);
  let read;
  try {
    read = readPromql(text);
  } catch (err) {
    return [`${where}: ${err.message} in ${text}`];
  }
  const out = [];
  if (read.selectors.length === 0) out.push(`${where}: no series in ${text}`);
  for (const { metric, labels } of read.selectors) {
    if (!series.has(metric)) {
      out.push(`${where}: ${metric} is not a series the module produces (it produces ${[...series.keys()].sort().join(', ')})`);
      continue;
    }
    for (const l of labels) {
      if (!series.get(metric).has(l)) out.push(`${where}: ${metric} has no label ${l} (its labels: ${[...series.get(metric)].join(', ')})`);
    }
  }
  for (const g of read.groupings) {
    const known = new Set(g.selectors.flatMap((s) => [...(series.get(s.metric) ?? [])]));
    for (const l of g.labels) {
      if (!known.has(l)) out.push(`${where}: groups by ${l}, which none of ${g.selectors.map((s) => s.metric).join(', ')} carries`);
    }
  }
  return out;
}

// ---- where the expressions are ----

function panelsOf(list) {
  return (list ?? []).flatMap((p) => [p].concat(panelsOf(p.panels)));
}

// [{ where, expr }] of a dashboard: panel targets and query variables
// (label_values(SELECTOR, LABEL): the selector is checked, and LABEL as a matcher).
function dashboardExpressions(dash) {
  const out = [];
  for (const p of panelsOf(dash.panels)) {
    for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
  }
  for (const v of dash.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const m = /^label_values\((.*),\s*(\w+)\)$/.exec(q ?? '');
    if (!m) throw new Error(`variable ${v.name}: expected label_values(SELECTOR, LABEL), got ${q}`);
    const selector = m[1].includes('{') ? m[1].replace(/\}\s*$/, `, ${m[2]}!=""}`) : `${m[1]}{${m[2]}!=""}`;
    out.push({ where: `variable ${v.name}`, expr: selector });
  }
  return out;
}

// [{ where, expr }] of a Markdown file: ```promql blocks, and the `expr` of every
// rule in ```yaml blocks that hold Prometheus rule groups.
function docExpressions(file) {
  const text = fs.readFileSync(file, 'utf8');
  const out = [];
  const name = path.relative(TOP, file);
  for (const m of text.matchAll(/^```(promql|yaml)\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, m.index).split('\n').length;
    if (m[1] === 'promql') {
      out.push({ where: `${name}:${line}`, expr: m[2] });
      continue;
    }
    const docs = YAML.parseAllDocuments(m[2]).map((d) => d.toJS());
    for (const g of docs.flatMap((d) => d?.groups ?? [])) {
      for (const r of g.rules ?? []) out.push({ where: `${name}:${line} rule ${r.alert ?? r.record}`, expr: r.expr });
    }
  }
  return out;
}

// ---- the checks ----

function main() {
  const opt = args(process.argv.slice(2));
  const wasm = fs.readFileSync(opt.wasm);
  const dash = JSON.parse(fs.readFileSync(opt.dashboard, 'utf8'));
  const [bootstrap] = YAML.parseAllDocuments(fs.readFileSync(opt.envoy, 'utf8')).map((d) => d.toJS());
  const statsTags = bootstrap.stats_config.stats_tags;
  const list = metricList(TOP);
  const wanted = new Map(list.map((m) => [m.word, m]));
  let defined = [];
  let series;

  group(`${path.basename(opt.traffic)}: runs on main.wasm as its expectations say`, () => {
    const traffic = parseTraffic(fs.readFileSync(opt.traffic, 'utf8'), opt.traffic);
    const result = simulate(wasm, traffic, {});
    const failures = result.expectations.filter((e) => !e.ok).map((e) => `line ${e.line}: ${e.text}: ${e.message}`);
    assert.deepStrictEqual(result.errors.concat(failures), [], 'the run');
    defined = Object.entries(result.metrics).map(([name, m]) => ({ name, type: TYPES[m.type] }));
  });

  group('the module defined every metric of metrics.h, with its type', () => {
    const missing = [];
    for (const { word, type } of list) {
      const mine = defined.filter((d) => d.name.split('.')[2] === word);
      if (mine.length === 0) missing.push(word);
      for (const d of mine) assert.equal(d.type, type, `${d.name}: type`);
    }
    assert.deepStrictEqual(missing, [], 'metrics the traffic never made the module define');
    const unknown = defined.filter((d) => !wanted.has(d.name.split('.')[2])).map((d) => d.name);
    assert.deepStrictEqual(unknown, [], 'metrics metrics.h does not list');
    series = seriesOf(defined, statsTags);
    console.log(`        ${defined.length} metric names, ${series.size} Prometheus series names`);
  });
  if (!series) {
    process.exitCode = 1;
    return;
  }

  const expressions = dashboardExpressions(dash);
  group(`${path.basename(opt.dashboard)}: every query parses and uses only series and labels the module produces`, () => {
    const found = expressions.flatMap((e) => problems(e.where, e.expr, series));
    assert.deepStrictEqual(found, [], 'problems');
    console.log(`        ${expressions.length} expressions`);
  });

  group(`${path.basename(opt.dashboard)}: graphs every metric of metrics.h and filters on resource and rule`, () => {
    const used = new Set(expressions.flatMap((e) => readPromql(interpolate(e.expr)).selectors.map((s) => s.metric)));
    const graphed = (m) => (m.type === 'histogram' ? ['_bucket', '_sum', '_count'] : ['']).some((s) => used.has(`sentc_${m.word}${s}`));
    assert.deepStrictEqual(list.filter((m) => !graphed(m)).map((m) => m.word), [], 'metrics without a panel');
    const filtered = new Set(expressions.flatMap((e) => readPromql(interpolate(e.expr)).selectors.flatMap((s) => s.labels)));
    for (const label of ['sentc_resource', 'sentc_rule']) assert.ok(filtered.has(label), `no query filters on ${label}`);
  });

  group(`${path.basename(opt.dashboard)}: a Prometheus data source variable, and what Grafana's import needs`, () => {
    const vars = dash.templating.list;
    const ds = vars.find((v) => v.type === 'datasource');
    assert.ok(ds && ds.query === 'prometheus', 'a datasource variable of type prometheus');
    for (const name of ['resource', 'rule']) assert.ok(vars.some((v) => v.name === name && v.type === 'query'), `variable ${name}`);
    const ids = new Set();
    for (const p of panelsOf(dash.panels)) {
      assert.ok(!ids.has(p.id), `panel id ${p.id} used twice`);
      ids.add(p.id);
      for (const k of ['h', 'w', 'x', 'y']) assert.equal(typeof p.gridPos?.[k], 'number', `panel "${p.title}": gridPos.${k}`);
      for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, `\${${ds.name}}`, `panel "${p.title}" ${t.refId}: data source`);
    }
    for (const k of ['title', 'uid', 'schemaVersion', 'panels']) assert.ok(dash[k] !== undefined, k);
  });

  for (const file of (opt.docs ? opt.docs.split(',') : [])) {
    group(`${path.relative(TOP, file)}: every sample query and alert rule uses series and labels the module produces`, () => {
      const exprs = docExpressions(file);
      assert.ok(exprs.length > 0, 'no ```promql block or rule group found');
      assert.deepStrictEqual(exprs.flatMap((e) => problems(e.where, e.expr, series)), [], 'problems');
      console.log(`        ${exprs.length} expressions`);
    });
  }

  // Proof that the checks above can fail.
  group('a misspelled series, a label a series lacks, a grouping nobody carries, bad PromQL, a lost tag: each is found', () => {
    const cases = {
      'sentc_passed misspelled': ['sentc_pased{sentc_resource=~"$resource"}', series],
      'a rule on a resource metric': ['sentc_passed{sentc_rule="flow"}', series],
      'a histogram without _bucket': ['histogram_quantile(0.9, sum by (le) (rate(sentc_queue_wait_ms[5m])))', series],
      'grouped by a label none has': ['sum by (sentc_route) (rate(sentc_blocked[5m]))', series],
      'not PromQL': ['sum by (sentc_resource) (rate(sentc_blocked[5m])', series],
      'stats_tags without the rule tag': ['sentc_blocked{sentc_rule=~"$rule"}', seriesOf(defined, statsTags.filter((t) => t.tag_name !== 'sentc_rule'))],
    };
    for (const [what, [expr, s]] of Object.entries(cases)) {
      const found = problems('mutation', expr, s);
      assert.ok(found.length > 0, `not found: ${what}`);
      console.log(`        found (${what}): ${found[0].slice(0, 150)}`);
    }
  });

  process.exitCode = failed ? 1 : 0;
}

main();
