// gen.js: a random policy and random requests for tests/match_diff.test,
// which checks that sentc's compiled matcher finds exactly the resources
// that testing each resource in turn finds.
//
//   node gen.js SEED OUT_PREFIX
//
// Writes OUT_PREFIX.sentinel: resources whose matches mix exact paths,
// prefixes (ending at a '/' or inside a segment), templates with {x} and a
// trailing **, gRPC services and methods, hosts (exact and wildcard),
// method sets and header predicates, drawn from a small vocabulary so
// that they overlap and nest.  And OUT_PREFIX.requests: requests made from
// those patterns and then bent (truncated, extended, other segments,
// spelled with //, ./, ../, %XX escapes good and bad, queries, fragments,
// case, ports, long tails, bytes above 127),
// one per line: METHOD PATH AUTHORITY GRPC(0|1) [NAME=VALUE ...].
// Deterministic: the same seed gives the same files.
'use strict';
const fs = require('fs');
const [seed, out] = [Number(process.argv[2]), process.argv[3]];

let state = seed * 2654435761 % 4294967296 || 1;
const random = (k) => {                       // xorshift32, then 0 .. k-1
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state % k;
};
const pick = (a) => a[random(a.length)];
const chance = (percent) => random(100) < percent;

const SEGMENTS = ['api', 'v1', 'v2', 'users', 'user', 'u', 'orders', 'o', 'items', 'a', 'ab',
  'x.y', 'x-y', '_z', '~t', 'history', 'h', 'static', 's', 'shop.Cart', 'Checkout'];
const HOSTS = ['api.example.com', 'example.com', 'shop.io', 'a.b.example.com', 'x.shop.io'];
const HEADERS = ['x-env', 'x-user', 'x-debug'];
const VALUES = ['canary', 'can', 'prod', 'c', ''];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

const segments = (n) => Array.from({ length: n }, () => pick(SEGMENTS));

// One path statement: [statement text, a function making a path it takes].
function pathStatement() {
  const segs = segments(1 + random(4));
  switch (random(6)) {
    case 0: {
      const text = `/${segs.join('/')}${chance(15) ? '/' : ''}`;
      return [`path "${text}";`, () => text];
    }
    case 1: {
      const text = `/${segs.join('/')}${chance(50) ? '/' : ''}`;
      return [`path prefix "${text}";`, () => text + (chance(50) ? pick(SEGMENTS) : '')];
    }
    case 2: {
      const cut = `/${segs.join('/')}`.slice(0, 2 + random(6));
      return [`path prefix "${cut}";`, () => cut + pick(['', 'x', '/y', pick(SEGMENTS)])];
    }
    case 3:
    case 4: {
      const t = segs.map((s, k) => (chance(40) ? `{p${k}}` : s));
      const rest = chance(40) ? '/**' : '';
      return [`path template "/${t.join('/')}${rest}";`, () =>
        `/${t.map((s) => (s.startsWith('{') ? pick(SEGMENTS) + random(99) : s)).join('/')}` +
        (rest && chance(70) ? `/${segments(random(3)).join('/')}` : '')];
    }
    default: {
      const method = chance(50) ? `/${pick(['Checkout', 'Get', 'List'])}` : '';
      return [`grpc "shop.Cart${method}";`, () => `/shop.Cart${method || `/${pick(SEGMENTS)}`}`];
    }
  }
}

// One resource: [text, a function making a request that may enter it].
function resource(i) {
  const statements = [], makers = [];
  if (chance(80) || i % 8 !== 0) {            // a few resources without a path
    for (let n = 1 + random(3); n > 0; n--) {
      const [text, make] = pathStatement();
      statements.push(text);
      makers.push(make);
    }
  }
  if (chance(30)) {
    const hosts = [pick(HOSTS), chance(50) ? `*.${pick(HOSTS)}` : pick(HOSTS)];
    statements.push(`host ${hosts.map((h) => `"${h}"`).join(' ')};`);
  }
  if (chance(30))
    statements.push(`method ${[...new Set([pick(METHODS), pick(METHODS)])].join(' ')};`);
  for (const name of HEADERS) {
    if (!chance(12)) continue;
    const value = pick(VALUES.slice(0, 4));
    statements.push(pick([`header "${name}" "${value}";`, `header "${name}" prefix "${value}";`,
      `header "${name}" present;`, `header "${name}" absent;`]));
  }
  if (!statements.length) statements.push(`header "${pick(HEADERS)}" present;`);
  return [`resource r${i} {\n  match { ${statements.join(' ')} }\n  flow 1000/s;\n}\n`,
    () => (makers.length ? pick(makers)() : `/${segments(1 + random(3)).join('/')}`)];
}

// Bends a path the ways normalization must see through, or that must miss.
function bend(path) {
  switch (random(15)) {
    case 0: return path.slice(0, random(path.length + 1)) || '/';
    case 1: return path + pick(['x', '/', '/x', '//', '/.', '/..']);
    case 2: return path.replace(/\/[^/]*$/, `/${pick(SEGMENTS)}`);
    case 3: return path.replace('/', '//');
    case 4: return path.replace(/\/([^/]*)/, '/./$1');
    case 5: return `/${pick(SEGMENTS)}/..${path}`;
    case 6: return path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
    case 7: return path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    case 8: return path + pick(['?q=1', '#f', '?a=/b#c']);
    case 9: return path.replace('/', '%2F');
    case 10: return path.toUpperCase();
    case 11: return path + pick(['%zz', '%', '%4', '%2f..', '/%2e%2E/']);
    case 12: return `${path}/${'x/'.repeat(random(150))}${'é'.repeat(random(3))}`;
    default: return path;
  }
}

function authority() {
  let host = chance(70) ? pick(HOSTS) : `${pick(['q', 'www', 'a.b'])}.${pick(HOSTS)}`;
  if (chance(20)) host = host.toUpperCase();
  if (chance(20)) host += '.';
  if (chance(20)) host += `:${pick([80, 443, 8443])}`;
  return host;
}

const resources = Array.from({ length: 60 + random(140) }, (_, i) => resource(i));
fs.writeFileSync(`${out}.sentinel`, `# gen.js seed ${seed}\n${resources.map((r) => r[0]).join('')}`);
const lines = [];
for (let k = 0; k < 4000; k++) {
  const path = bend(chance(90) ? pick(resources)[1]() : `/${segments(random(5)).join('/')}`);
  const headers = HEADERS.filter(() => chance(40)).map((name) => `${name}=${pick(VALUES)}`);
  lines.push([chance(80) ? 'GET' : pick([...METHODS, 'BREW']), path, authority(),
    chance(30) ? 1 : 0, ...headers].join(' '));
}
fs.writeFileSync(`${out}.requests`, `${lines.join('\n')}\n`);
