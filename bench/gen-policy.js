// gen-policy.js: a realistic REST policy of N resources for the matching
// benchmark, and the one request mix every policy size is measured with.
//
//   node gen-policy.js N OUT_PREFIX
//   node gen-policy.js hit OUT_PREFIX
//
// Writes OUT_PREFIX.sentinel: the first N routes of one fixed sequence
// (collections, items by id with {id} templates, sub-resources with a
// trailing **, static prefixes, a third with a method set), so the
// 1-resource policy is the route "/api/v0/users" and each larger policy
// holds the smaller ones.  And OUT_PREFIX.requests: 1,000 "METHOD PATH"
// lines drawn from the 10,000 routes of that sequence, with concrete ids
// and queries, whatever N is: every policy size sees the same paths, of the
// same shapes and lengths (a policy of N routes is hit by about N/10,000 of
// them, the others enter no resource, as traffic for other services would).
// With "hit" instead of N: one resource whose match lists the four route
// shapes of one noun (its collection, items, their history, its static
// prefix), and 1,000 requests that all enter it, drawn from those shapes
// with the same ids and queries: as much matching work per request as the
// 10,000-resource policy does, with a policy of one resource.
// Deterministic: same N, same files.
'use strict';
const fs = require('fs');
const [n, out] = [Number(process.argv[2]), process.argv[3]];
const ROUTES_IN_MIX = 10000, REQUESTS = 1000;
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
const route = (i) => {
  const noun = nouns[i % nouns.length], service = Math.floor(i / (nouns.length * shapes.length));
  return shapes[Math.floor(i / nouns.length) % shapes.length](service, noun);
};
let seed = 12345;
const random = (k) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % k; };
let policy = `# ${n} generated resources (bench/gen-policy.js)\n`;
const lines = [];
if (process.argv[2] === 'hit') {
  policy = '# 1 resource with four route shapes, that every request enters (bench/gen-policy.js)\n';
  const paths = shapes.map((shape) => shape(0, nouns[0]));
  policy += `resource r0 {\n  match { ${paths.map((r) => `path ${r.kind}"${r.path}";`).join(' ')} }\n` +
    '  flow 1000000/s;\n}\n';
  for (let k = 0; k < REQUESTS; k++)
    lines.push(`GET ${paths[random(paths.length)].req}`);
} else {
  for (let i = 0; i < n; i++) {
    const r = route(i), method = i % 3 === 0 ? 'method GET HEAD; ' : '';
    policy += `resource r${i} {\n  match { ${method}path ${r.kind}"${r.path}"; }\n  flow 1000000/s;\n}\n`;
  }
  for (let k = 0; k < REQUESTS; k++)
    lines.push(`GET ${route(random(ROUTES_IN_MIX)).req}`);
}
fs.writeFileSync(`${out}.sentinel`, policy);
fs.writeFileSync(`${out}.requests`, lines.join('\n') + '\n');
