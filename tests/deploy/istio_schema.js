// istio_schema.js: checks Istio objects against Istio's published schema as the npm
// package @kubernetes-models/istio ships it (generated from Istio's CRDs).
//
// Why: the package's validate() applies the CRD's OpenAPI schema (types, enums,
// patterns such as sha256's) but, like a CRD, lets unknown fields through; the API
// server would then prune them silently, so a misspelled field would be lost without a
// word. This module therefore also reads the field list from the package's own type
// declaration (the .d.ts generated from the same CRD) and refuses every key that is
// not in it.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const MODELS = {
  WasmPlugin: 'extensions.istio.io/v1alpha1/WasmPlugin',
  EnvoyFilter: 'networking.istio.io/v1alpha3/EnvoyFilter',
};

// ---- the .d.ts as a shape: {fields: {key: shape}} | {list: shape} | {map: shape} | 'free' | 'scalar'

function tokens(text) {
  const body = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return body.match(/"(?:[^"\\]|\\.)*"|[A-Za-z_$][\w$]*|[{}<>()[\];:?|&,]/g);
}

class ShapeParser {
  constructor(toks) { this.t = toks; this.i = 0; }
  peek() { return this.t[this.i]; }
  next() { return this.t[this.i++]; }
  expect(tok) { if (this.next() !== tok) throw new Error(`.d.ts: expected ${tok} near token ${this.i}`); }

  // Skips a balanced run of tokens up to (not including) ';' or a closer at depth 0.
  skipRest() {
    let depth = 0;
    for (;;) {
      const tok = this.peek();
      if (depth === 0 && (tok === ';' || tok === '}' || tok === '>' || tok === ')')) return;
      if ('{<(['.includes(tok)) depth++;
      if ('}>)]'.includes(tok)) depth--;
      this.i++;
    }
  }

  type() {
    let shape;
    if (this.peek() === '{') {
      this.next();
      if (this.peek() === '}') {
        this.next();
        shape = 'free';
      } else if (this.peek() === '[') {
        while (this.next() !== ']'); // [key: string]
        this.expect(':');
        shape = { map: this.type() };
        if (this.peek() === ';') this.next();
        this.expect('}');
      } else {
        shape = { fields: this.members() };
        this.expect('}');
      }
    } else if (this.peek() === 'Array') {
      this.next();
      this.expect('<');
      shape = { list: this.type() };
      this.expect('>');
    } else if (this.peek() === 'IObjectMeta') {
      this.next();
      shape = 'free';
    } else {
      this.skipRest();
      return 'scalar';
    }
    if (this.peek() === '&' || this.peek() === '|') this.skipRest(); // CEL extras: the first part holds the fields
    return shape;
  }

  members() {
    const fields = {};
    while (this.peek() !== '}') {
      const key = JSON.parse(this.next());
      if (this.peek() === '?') this.next();
      this.expect(':');
      fields[key] = this.type();
      if (this.peek() === ';') this.next();
    }
    return fields;
  }
}

function shapeOf(kind) {
  const dts = path.join(path.dirname(require.resolve('@kubernetes-models/istio/package.json')), `${MODELS[kind]}.d.ts`);
  const toks = tokens(fs.readFileSync(dts, 'utf8'));
  const at = toks.indexOf(`I${kind}`);
  const p = new ShapeParser(toks);
  p.i = at + 1;
  return p.type();
}

function unknownKeys(where, shape, v, errors) {
  if (shape === 'free' || shape === 'scalar' || v === null || typeof v !== 'object') return;
  if (shape.list) {
    if (Array.isArray(v)) v.forEach((e, i) => unknownKeys(`${where}[${i}]`, shape.list, e, errors));
  } else if (shape.map) {
    for (const [k, e] of Object.entries(v)) unknownKeys(`${where}.${k}`, shape.map, e, errors);
  } else {
    for (const [k, e] of Object.entries(v)) {
      if (!(k in shape.fields)) errors.push(`${where}.${k}: not a field of the published schema`);
      else unknownKeys(`${where}.${k}`, shape.fields[k], e, errors);
    }
  }
}

// Checks one object of a kind in MODELS; resolves to the list of errors.
async function checkIstio(obj) {
  const kind = obj?.kind;
  if (!MODELS[kind]) return [`kind ${kind} is not one this checker knows`];
  const mod = await import(`@kubernetes-models/istio/${MODELS[kind]}`);
  const errors = [];
  try {
    new mod[kind](obj).validate();
  } catch (err) {
    errors.push(`${kind}: ${err.message}`);
  }
  unknownKeys(kind, shapeOf(kind), obj, errors);
  if (typeof obj.metadata?.name !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(obj.metadata.name) || obj.metadata.name.length > 63) {
    errors.push(`${kind}: metadata.name ${JSON.stringify(obj.metadata?.name)} is not a Kubernetes name`);
  }
  return errors;
}

module.exports = { checkIstio, shapeOf, unknownKeys };
