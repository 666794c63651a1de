// k8s_schema.js: checks core Kubernetes objects (Deployment, Service, ConfigMap) against
// Kubernetes' published schema as the npm package kubernetes-models ships it, the way
// istio_schema.js checks Istio's: the package's validate() applies the OpenAPI schema
// (types, required fields, enums), and the field lists of its type declarations (.d.ts,
// generated from the same schema, one interface per file, linked by imports, read
// into the shapes istio_schema.js checks keys against) refuse every key that is not a
// field, which kubectl's strict validation would refuse too.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { unknownKeys } = require('./istio_schema.js');

const MODELS = {
  Deployment: 'apps/v1/Deployment',
  Service: 'v1/Service',
  ConfigMap: 'v1/ConfigMap',
};

const root = path.dirname(require.resolve('kubernetes-models/package.json'));
const machinery = path.dirname(require.resolve('@kubernetes-models/apimachinery/package.json'));

// The .d.ts file an import names, from the file that imports it.
function resolveImport(from, spec) {
  const file = spec.replace(/\.js$/, '') + '.d.ts';
  if (spec.startsWith('.')) return path.join(path.dirname(from), file);
  if (spec.startsWith('@kubernetes-models/apimachinery/')) return path.join(machinery, file.slice('@kubernetes-models/apimachinery/'.length));
  return null;
}

const shapes = new Map();   // "file#Interface" -> shape, being filled (recursive types)

// The shape of interface `name` (a local or exported alias) in `file`:
// {fields: {key: shape}} | {list: shape} | {map: shape} | 'free' | 'scalar'.
function shapeIn(file, name) {
  const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const alias = new RegExp(`(\\w+) as ${name}\\b`).exec(text);
  const local = alias ? alias[1] : name;
  const id = `${file}#${local}`;
  if (shapes.has(id)) return shapes.get(id);
  const shape = { fields: {} };
  shapes.set(id, shape);
  const imports = {};
  for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)"/g)) {
    for (const n of m[1].split(',')) imports[n.trim()] = resolveImport(file, m[2]);
  }
  const body = new RegExp(`interface ${local}\\b[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(text);
  if (!body) return 'free';
  for (const m of body[1].matchAll(/"([^"]+)"\??: ([^;]+);/g)) shape.fields[m[1]] = typeShape(file, m[2].trim(), imports);
  return shape;
}

function typeShape(file, type, imports) {
  let hit;
  if ((hit = /^Array<(.+)>$/.exec(type))) return { list: typeShape(file, hit[1], imports) };
  if ((hit = /^\{\s*\[key: string\]: (.+?);?\s*\}$/.exec(type))) return { map: typeShape(file, hit[1], imports) };
  if (/^I\w+$/.test(type)) {
    const at = imports[type] ?? file;
    return at ? shapeIn(at, type) : 'free';
  }
  return type.startsWith('{') ? 'free' : 'scalar';
}

// Checks one object of a kind in MODELS; resolves to the list of errors.
async function checkKubernetes(obj) {
  const kind = obj?.kind;
  if (!MODELS[kind]) return [`kind ${kind} is not one this checker knows`];
  const mod = await import(`kubernetes-models/${MODELS[kind].split('/').slice(0, -1).join('/')}`);
  const errors = [];
  try {
    new mod[kind](obj).validate();
  } catch (err) {
    errors.push(`${kind}: ${err.message}`);
  }
  unknownKeys(kind, shapeIn(path.join(root, `${MODELS[kind]}.d.ts`), `I${kind}`), obj, errors);
  if (typeof obj.metadata?.name !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(obj.metadata.name) || obj.metadata.name.length > 63) {
    errors.push(`${kind}: metadata.name ${JSON.stringify(obj.metadata?.name)} is not a Kubernetes name`);
  }
  return errors;
}

module.exports = { checkKubernetes };
