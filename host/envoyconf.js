// envoyconf.js: reads the Envoy bootstrap that `sentc --envoy` writes and returns the
// Wasm plugin settings the bundled host should run a module with.
//
// Why: the offline host must run main.wasm exactly as the deployed Envoy would, so its
// plugin configuration, vm_id, root_id and fail_open come from the generated bootstrap
// itself (`sentc-host run --envoy envoy.yaml`), not from a second copy that could drift.
// sentc writes a small YAML subset on purpose (see compiler/yaml.h): block maps and
// lists indented by two spaces, "- " items, double-quoted strings with JSON escapes,
// numbers, true/false/null, {} and [], # comments and --- between documents. This
// reader takes exactly that subset, with no npm dependency at run time, and says
// plainly where a file leaves it; tests/deploy checks it against the `yaml` package.
'use strict';

class YamlSubsetError extends Error {}

// One logical line: its indentation and text, with comment lines and blanks dropped.
function lines(text, file) {
  const out = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (/^\s*(#.*)?$/.test(line)) return;
    const indent = line.length - line.trimStart().length;
    if (line.slice(0, indent).includes('\t')) throw new YamlSubsetError(`${file}:${i + 1}: tab in indentation`);
    out.push({ indent, text: line.slice(indent), no: i + 1 });
  });
  return out;
}

// A scalar as sentc writes it: "json string", number, true, false, null, {}, [].
function scalar(text, where) {
  if (text.startsWith('"')) {
    try {
      const s = JSON.parse(text);
      if (typeof s === 'string') return s;
    } catch { /* reported below */ }
  }
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return Number(text);
  const words = { true: true, false: false, null: null };
  if (text in words) return words[text];
  if (text === '{}') return {};
  if (text === '[]') return [];
  throw new YamlSubsetError(`${where}: not a value sentc writes: ${text}`);
}

// "key: rest" -> [key, rest] (rest may be ''); keys are plain or a JSON string.
function splitKey(text, where) {
  let m = /^("(?:[^"\\]|\\.)*")\s*:(?: (.*))?$/.exec(text);
  if (m) return [JSON.parse(m[1]), m[2] ?? ''];
  m = /^([A-Za-z_][A-Za-z0-9_.\/-]*)\s*:(?: (.*))?$/.exec(text);
  if (m) return [m[1], m[2] ?? ''];
  throw new YamlSubsetError(`${where}: expected "key: value"`);
}

class Reader {
  constructor(items, file) { this.items = items; this.i = 0; this.file = file; }

  where(item) { return `${this.file}:${item.no}`; }

  // The block starting at the current line, whose lines are indented `indent`.
  block(indent) {
    const first = this.items[this.i];
    if (first.text.startsWith('- ') || first.text === '-') return this.list(indent);
    return this.map(indent, {});
  }

  map(indent, into) {
    while (this.i < this.items.length && this.items[this.i].indent === indent && !this.items[this.i].text.startsWith('-')) {
      const item = this.items[this.i++];
      const [key, rest] = splitKey(item.text, this.where(item));
      if (Object.prototype.hasOwnProperty.call(into, key)) throw new YamlSubsetError(`${this.where(item)}: key ${key} repeated`);
      into[key] = rest !== '' ? scalar(rest, this.where(item)) : this.nested(indent, item);
    }
    return into;
  }

  nested(indent, item) {
    const next = this.items[this.i];
    // A list may sit at the key's own indentation or deeper; a map must be deeper.
    if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('-')))) return this.block(next.indent);
    throw new YamlSubsetError(`${this.where(item)}: ${item.text} has no value`);
  }

  list(indent) {
    const out = [];
    while (this.i < this.items.length && this.items[this.i].indent === indent && this.items[this.i].text.startsWith('-')) {
      const item = this.items[this.i];
      const rest = item.text.replace(/^-\s?/, '');
      if (rest === '') {
        this.i++;
        out.push(this.nested(indent, item));
      } else if (/^("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.\/-]*)\s*:( |$)/.test(rest)) {
        // "- key: value": a map whose first entry shares the dash's line.
        this.items[this.i] = { indent: indent + 2, text: rest, no: item.no };
        out.push(this.map(indent + 2, {}));
      } else {
        this.i++;
        out.push(scalar(rest, this.where(item)));
      }
    }
    return out;
  }
}

// Parses the YAML subset sentc writes; returns the list of documents.
function parseYamlSubset(text, file = 'yaml') {
  const docs = [];
  for (const part of text.split(/^---[ \t]*$/m)) {
    const items = lines(part, file);
    if (items.length === 0) continue;
    const r = new Reader(items, file);
    const doc = r.block(items[0].indent);
    if (r.i < items.length) throw new YamlSubsetError(`${r.where(items[r.i])}: unexpected indentation`);
    docs.push(doc);
  }
  return docs;
}

const HTTP_WASM = 'envoy.filters.http.wasm';
const NETWORK_WASM = 'envoy.filters.network.wasm';

// Every Wasm filter of a bootstrap: { kind: 'http'|'network', listener, config }.
function wasmFilters(bootstrap) {
  const found = [];
  for (const listener of bootstrap?.static_resources?.listeners ?? []) {
    for (const chain of listener.filter_chains ?? []) {
      for (const filter of chain.filters ?? []) {
        if (filter.name === NETWORK_WASM) found.push({ kind: 'network', listener: listener.name, config: filter.typed_config?.config });
        for (const h of filter.typed_config?.http_filters ?? []) {
          if (h.name === HTTP_WASM) found.push({ kind: 'http', listener: listener.name, config: h.typed_config?.config });
        }
      }
    }
  }
  return found;
}

// The host settings of the bootstrap's HTTP Wasm filter: { pluginConfig, vmId, rootId,
// pluginName, failOpen, filename }. Throws when there is none or it is not sentc's form.
function pluginSettings(text, file = 'envoy.yaml') {
  const [bootstrap] = parseYamlSubset(text, file);
  const http = wasmFilters(bootstrap).find((f) => f.kind === 'http');
  if (!http || !http.config) throw new YamlSubsetError(`${file}: no ${HTTP_WASM} filter with a config`);
  const c = http.config;
  const value = c.configuration?.value;
  if (c.configuration && typeof value !== 'string') throw new YamlSubsetError(`${file}: the plugin configuration is not a StringValue`);
  return {
    pluginConfig: value ?? '',
    vmId: c.vm_config?.vm_id ?? '',
    rootId: c.root_id ?? '',
    pluginName: c.name ?? '',
    failOpen: c.fail_open === true,
    filename: c.vm_config?.code?.local?.filename ?? null,
    clusters: clusterAddresses(bootstrap),
  };
}

// Each static cluster's first endpoint as 'host:port', by cluster name: where the
// host sends a module's gRPC calls to that cluster (the rate-limit service's).
function clusterAddresses(bootstrap) {
  const out = {};
  for (const c of bootstrap?.static_resources?.clusters ?? []) {
    const a = c?.load_assignment?.endpoints?.[0]?.lb_endpoints?.[0]?.endpoint?.address?.socket_address;
    if (typeof c?.name === 'string' && a?.address !== undefined && a?.port_value !== undefined) {
      out[c.name] = `${a.address}:${a.port_value}`;
    }
  }
  return out;
}

module.exports = { parseYamlSubset, pluginSettings, wasmFilters, YamlSubsetError };
