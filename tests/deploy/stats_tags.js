// stats_tags.js: Envoy's tag extraction and Prometheus naming, done in JS the way
// Envoy does them, to prove the stats_tags sentc writes on real metric names.
//
// Why: a regex that looks right can still leave the resource in the metric name, or
// cut the wrong dots. Envoy (source/common/stats/tag_extractor_impl.cc) runs every
// extractor on the whole original name: the regex must match with at least one
// capture group; the first group's characters are removed from the name (the removed
// ranges of all extractors are united), the second group, or the first when there is
// only one, is the tag's value. Its Prometheus output (source/server/admin/
// prometheus_stats.cc) then drops a registered custom namespace such as "wasmcustom."
// without adding "envoy_", puts "envoy_" before every other name, and turns each
// character outside [a-zA-Z0-9_] into "_".
'use strict';

// name: the full stat name; specifiers: [{tag_name, regex}] in order.
// Returns { name: the tag-extracted name, tags: [[tag, value]...] }.
function extractTags(name, specifiers) {
  const removed = new Array(name.length).fill(false);
  const tags = [];
  for (const { tag_name: tag, regex } of specifiers) {
    const m = new RegExp(regex, 'd').exec(name);
    if (!m || m.length < 2 || m[1] === undefined) continue;
    const [start, end] = m.indices[1];
    for (let i = start; i < end; i++) removed[i] = true;
    tags.push([tag, m.length > 2 && m[2] !== undefined ? m[2] : m[1]]);
  }
  return { name: [...name].filter((_, i) => !removed[i]).join(''), tags };
}

const CUSTOM_NAMESPACES = ['wasmcustom'];

// The Prometheus series Envoy exports for a stat: 'name{tag="value",...}'.
function prometheusSeries(name, specifiers) {
  const { name: extracted, tags } = extractTags(name, specifiers);
  const ns = CUSTOM_NAMESPACES.find((n) => extracted.startsWith(`${n}.`));
  const base = ns ? extracted.slice(ns.length + 1) : `envoy_${extracted}`;
  const metric = base.replace(/[^a-zA-Z0-9_]/g, '_');
  const labels = tags.map(([t, v]) => `${t.replace(/[^a-zA-Z0-9_]/g, '_')}="${v}"`).join(',');
  return labels ? `${metric}{${labels}}` : metric;
}

module.exports = { extractTags, prometheusSeries };
