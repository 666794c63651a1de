// metrics_list.js: the module's metrics as runtime/engine/metrics.h lists them
// (SENTC_METRIC_LIST), each with its type and who has it, read from the header.
//
// Why: the deployment checks (check.js: Envoy's tag extraction of every name) and the
// dashboard's (tests/dashboard/check.js: every metric graphed) must cover every metric
// the runtime has, including one added tomorrow; reading the one list the runtime
// expands keeps them from checking a copy of it. metrics.c gives each holder the
// metrics from its *_METRICS_FIRST to the next holder's first, so a metric belongs to
// the holder whose first is the greatest at or before it.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const HOLDERS = { RESOURCE: 'resource', RULE: 'rule', FILTER: 'filter' };

// [{ word, type: 'counter'|'gauge'|'histogram', holder: 'resource'|'rule'|'filter' }]
// in the list's order. The name a holder gives it: resource `sentc.RES.WORD`, rule
// `sentc.RES.WORD.RULE` (system checks: `sentc.system.WORD.CHECK`), filter
// `sentc.filter.WORD`.
function metricList(topSrcdir) {
  const file = path.join(topSrcdir, 'runtime', 'engine', 'metrics.h');
  const text = fs.readFileSync(file, 'utf8');
  const body = /#define SENTC_METRIC_LIST\(X\)((?:.*\\\n)*.*\n)/.exec(text);
  if (!body) throw new Error(`${file}: no SENTC_METRIC_LIST`);
  const list = [...body[1].matchAll(/X\((\w+),\s*(\w+),\s*(\w+)\)/g)]
    .map(([, id, word, type]) => ({ id, word, type: type.toLowerCase() }));
  if (list.length === 0) throw new Error(`${file}: SENTC_METRIC_LIST lists nothing`);
  const firsts = Object.entries(HOLDERS).map(([macro, holder]) => {
    const m = new RegExp(`#define SENTC_${macro}_METRICS_FIRST SENTC_METRIC_(\\w+)`).exec(text);
    const at = m ? list.findIndex((x) => x.id === m[1]) : -1;
    if (at < 0) throw new Error(`${file}: no SENTC_${macro}_METRICS_FIRST in the list`);
    return { holder, at };
  }).sort((a, b) => a.at - b.at);
  if (firsts[0].at !== 0) throw new Error(`${file}: the first metric has no holder`);
  return list.map(({ word, type }, i) => ({ word, type, holder: firsts.filter((f) => f.at <= i).pop().holder }));
}

// A sample name of each metric, as a policy with resource `resource` and rule `rule`
// would have it defined; rule metrics also as the system block's.
function sampleNames(list, resource = 'checkout', rule = 'flow') {
  const names = [];
  for (const { word, holder } of list) {
    if (holder === 'resource') names.push(`sentc.${resource}.${word}`);
    else if (holder === 'filter') names.push(`sentc.filter.${word}`);
    else names.push(`sentc.${resource}.${word}.${rule}`, `sentc.system.${word}.qps`);
  }
  return names;
}

module.exports = { metricList, sampleNames };
