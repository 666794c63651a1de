// gen-policy.js: a realistic REST policy of N resources for the matching
// benchmark, and requests that hit it.
//
//   node gen-policy.js N OUT_PREFIX
//
// Writes OUT_PREFIX.sentinel (N resources: collections, items by id with
// {id} templates, sub-resources with a trailing **, a few prefixes, some
// with a method set) and OUT_PREFIX.requests (one "METHOD PATH" a line,
// each aimed at one of the routes with concrete ids, so every policy size
// gets requests of the same shape).  Deterministic: same N, same files.
'use strict';
const fs = require('fs');
const [n, out] = [Number(process.argv[2]), process.argv[3]];
const nouns = ['users', 'orders', 'carts', 'items', 'invoices', 'payments', 'shipments',
  'reviews', 'accounts', 'products', 'coupons', 'tickets', 'sessions', 'reports', 'teams',
  'projects'];
const shapes = [
  (s, x) => ({ kind: '', path: `/api/v${s}/${x}`, req: `/api/v${s}/${x}` }),
  (s, x) => ({ kind: 'template ', path: `/api/v${s}/${x}/{id}`, req: `/api/v${s}/${x}/4711` }),
  (s, x) => ({ kind: 'template ', path: `/api/v${s}/${x}/{id}/history/**`,
               req: `/api/v${s}/${x}/42/history/2024/05?page=3` }),
  (s, x) => ({ kind: 'prefix ', path: `/static/${x}${s}/`, req: `/static/${x}${s}/app.min.js` }),
];
let seed = 12345;
const random = (k) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % k; };
let policy = `# ${n} generated resources (bench/gen-policy.js)\n`;
const requests = [];
for (let i = 0; i < n; i++) {
  const noun = nouns[i % nouns.length], service = Math.floor(i / (nouns.length * shapes.length));
  const r = shapes[Math.floor(i / nouns.length) % shapes.length](service, noun);
  const method = i % 3 === 0 ? 'method GET HEAD; ' : '';
  policy += `resource r${i} {\n  match { ${method}path ${r.kind}"${r.path}"; }\n  flow 1000000/s;\n}\n`;
  requests.push(r.req);
}
const lines = [];
for (let k = 0; k < 1000; k++)
  lines.push(`GET ${requests[random(requests.length)]}`);
fs.writeFileSync(`${out}.sentinel`, policy);
fs.writeFileSync(`${out}.requests`, lines.join('\n') + '\n');
