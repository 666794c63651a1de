// envoy_proto.js: a strict checker of Envoy configuration (as the JSON/YAML objects
// Envoy reads) against Envoy's own API .proto files, the ones the npm package
// @grpc/grpc-js-xds ships, loaded with protobufjs.
//
// Why: Envoy itself cannot be installed here, so the generated bootstrap and the Wasm
// filter patches of the EnvoyFilter are checked field by field against the message
// types Envoy parses them into. Like Envoy's own loader (JSON mapping, unknown fields
// rejected) every key must be a field of its message, by proto name or JSON name, with
// a value of the field's type; an Any is resolved by its "@type" and checked in turn;
// well-known types take their JSON forms (Duration "1s", wrappers as plain values,
// Struct/Value as any JSON). Beyond the JSON mapping it also applies what Envoy's
// protoc-gen-validate rules say of the fields used (required messages and oneofs,
// string lengths, number bounds, repeated minimums) and refuses deprecated fields.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const protobuf = require('protobufjs');

// The Envoy API files sentc's configuration touches (each pulls in its imports).
const FILES = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/http/wasm/v3/wasm.proto',
  'envoy/extensions/filters/network/wasm/v3/wasm.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'google/protobuf/wrappers.proto',
];

function loadEnvoy() {
  const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const roots = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d))
    .concat(path.dirname(require.resolve('protobufjs/package.json')));
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    for (const r of roots) {
      const p = path.join(r, target);
      if (fs.existsSync(p)) return p;
    }
    return target; // protobufjs's bundled google/protobuf types
  };
  root.loadSync(FILES, { keepCase: true });
  root.resolveAll();
  return root;
}

const INT_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const WRAPPERS = {
  'google.protobuf.BoolValue': 'bool', 'google.protobuf.StringValue': 'string', 'google.protobuf.BytesValue': 'bytes',
  'google.protobuf.Int32Value': 'int32', 'google.protobuf.UInt32Value': 'uint32', 'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64', 'google.protobuf.DoubleValue': 'double', 'google.protobuf.FloatValue': 'float',
};

const SPECIAL_JSON = new Set(['google.protobuf.Duration', 'google.protobuf.Timestamp', 'google.protobuf.Struct',
  'google.protobuf.ListValue', 'google.protobuf.FieldMask', 'google.protobuf.Value']);

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const fullName = (t) => t.fullName.replace(/^\./, '');

class Checker {
  constructor(root) {
    this.root = root;
    this.errors = [];
  }

  fail(where, message) { this.errors.push(`${where || '<top>'}: ${message}`); }

  scalar(where, type, v) {
    const bad = (what) => this.fail(where, `expected ${what} (${type}), got ${JSON.stringify(v)}`);
    if (type === 'string') { if (typeof v !== 'string') bad('a string'); return; }
    if (type === 'bool') { if (typeof v !== 'boolean') bad('true or false'); return; }
    if (type === 'bytes') { if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) bad('base64'); return; }
    if (type === 'double' || type === 'float') { if (typeof v !== 'number' && !/^-?\d/.test(String(v))) bad('a number'); return; }
    if (INT_TYPES.has(type) || LONG_TYPES.has(type)) {
      const ok = (typeof v === 'number' && Number.isInteger(v)) || (LONG_TYPES.has(type) && typeof v === 'string' && /^-?\d+$/.test(v));
      if (!ok || (type.startsWith('u') && Number(v) < 0) || (INT_TYPES.has(type) && Math.abs(Number(v)) > 2 ** 32)) bad('a whole number');
      return;
    }
    this.fail(where, `no check for scalar type ${type}`);
  }

  // A value of a field (one element for repeated fields).
  value(where, field, v) {
    const t = field.resolvedType;
    if (t instanceof protobuf.Enum) {
      if (!(typeof v === 'string' ? v in t.values : Number.isInteger(v))) {
        this.fail(where, `${JSON.stringify(v)} is not a value of enum ${fullName(t)}`);
      }
    } else if (t instanceof protobuf.Type) {
      this.message(where, t, v);
    } else {
      this.scalar(where, field.type, v);
    }
  }

  // Well-known types with a JSON form of their own; false when `type` is not one.
  wellKnown(where, name, v) {
    if (WRAPPERS[name]) {
      this.scalar(where, WRAPPERS[name], v);
    } else if (name === 'google.protobuf.Duration') {
      if (typeof v !== 'string' || !/^-?\d+(\.\d{1,9})?s$/.test(v)) this.fail(where, `a Duration is written like "1.5s", got ${JSON.stringify(v)}`);
    } else if (name === 'google.protobuf.Timestamp') {
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) this.fail(where, 'a Timestamp is an RFC 3339 string');
    } else if (name === 'google.protobuf.Struct') {
      if (!isObject(v)) this.fail(where, 'a Struct is a JSON object');
    } else if (name === 'google.protobuf.ListValue') {
      if (!Array.isArray(v)) this.fail(where, 'a ListValue is a JSON array');
    } else if (name === 'google.protobuf.FieldMask') {
      if (typeof v !== 'string') this.fail(where, 'a FieldMask is a string');
    } else if (name !== 'google.protobuf.Value') {
      return false;
    }
    return true;
  }

  any(where, v) {
    if (!isObject(v) || typeof v['@type'] !== 'string') {
      this.fail(where, 'an Any needs "@type"');
      return;
    }
    const url = v['@type'];
    const name = url.slice(url.lastIndexOf('/') + 1);
    let type;
    try { type = this.root.lookupType(name); } catch { type = null; }
    if (!url.startsWith('type.googleapis.com/') || !type) {
      this.fail(where, `"@type" ${url} names no message Envoy knows`);
      return;
    }
    const { '@type': _, ...rest } = v;
    if (SPECIAL_JSON.has(name) || WRAPPERS[name]) {
      // Well-known types inside an Any: {"@type": ..., "value": <their JSON form>}.
      const keys = Object.keys(rest);
      if (keys.length !== 1 || keys[0] !== 'value') this.fail(where, `an Any of ${name} holds exactly "value"`);
      else this.wellKnown(`${where}.value`, name, rest.value);
      return;
    }
    this.message(where, type, rest);
  }

  message(where, type, v) {
    const name = fullName(type);
    if (name === 'google.protobuf.Any') return this.any(where, v);
    if (this.wellKnown(where, name, v)) return;
    if (!isObject(v)) {
      this.fail(where, `expected a ${name} object, got ${JSON.stringify(v)}`);
      return;
    }
    const byName = new Map();
    for (const f of type.fieldsArray) {
      byName.set(f.name, f);
      byName.set(protobuf.util.camelCase(f.name), f);
    }
    const seen = new Set();
    for (const [key, val] of Object.entries(v)) {
      const at = where ? `${where}.${key}` : key;
      const f = byName.get(key);
      if (!f) {
        this.fail(at, `${name} has no field "${key}"`);
        continue;
      }
      if (seen.has(f)) this.fail(at, `field ${f.name} given twice`);
      seen.add(f);
      if (f.options?.deprecated) this.fail(at, `${name}.${f.name} is deprecated`);
      if (val === null) continue;
      if (f.map) {
        if (!isObject(val)) this.fail(at, 'expected a map (object)');
        else for (const [k, e] of Object.entries(val)) this.value(`${at}.${k}`, f, e);
      } else if (f.repeated) {
        if (!Array.isArray(val)) this.fail(at, 'expected a list');
        else val.forEach((e, i) => this.value(`${at}[${i}]`, f, e));
      } else {
        this.value(at, f, val);
      }
      this.rules(at, f, val);
    }
    for (const f of type.fieldsArray) {
      if (!seen.has(f) && !f.partOf && f.options?.['(validate.rules).message.required']) this.fail(where, `${name}.${f.name} is required`);
      if (!seen.has(f) && f.options?.['(validate.rules).string.min_len'] > 0 && !f.partOf) this.fail(where, `${name}.${f.name} must not be empty`);
    }
    for (const o of type.oneofsArray) {
      const set = o.fieldsArray.filter((f) => seen.has(f));
      if (set.length > 1) this.fail(where, `only one of ${o.fieldsArray.map((f) => f.name).join(', ')} may be set`);
      if (set.length === 0 && o.options?.['(validate.required)']) this.fail(where, `one of ${o.fieldsArray.map((f) => f.name).join(', ')} is required`);
    }
  }

  // protoc-gen-validate rules of the field, the common kinds.
  rules(where, f, val) {
    for (const [key, want] of Object.entries(f.options ?? {})) {
      const m = /^\(validate\.rules\)\.(\w+)\.(\w+)$/.exec(key);
      if (!m) continue;
      const [, kind, rule] = m;
      const n = typeof val === 'string' && kind !== 'string' ? Number(val) : val;
      const broken = {
        min_len: () => typeof val === 'string' && [...val].length < want,
        min_bytes: () => typeof val === 'string' && Buffer.byteLength(val) < want,
        max_bytes: () => typeof val === 'string' && Buffer.byteLength(val) > want,
        lte: () => typeof n === 'number' && n > want,
        lt: () => typeof n === 'number' && n >= want,
        gte: () => typeof n === 'number' && n < want,
        gt: () => typeof n === 'number' && n <= want,
        min_items: () => Array.isArray(val) && val.length < want,
      }[rule];
      if (broken && broken()) this.fail(where, `breaks ${key} = ${want}`);
    }
  }
}

// Checks value against message `typeName`; returns the list of errors ([] if none).
function checkMessage(root, typeName, value) {
  const c = new Checker(root);
  c.message('', root.lookupType(typeName), value);
  return c.errors;
}

module.exports = { loadEnvoy, checkMessage };
