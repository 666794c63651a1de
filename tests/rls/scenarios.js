// scenarios.js: scope cluster end to end (tests/cluster.test runs it): policies
// compiled by the real sentc, their main.wasm run by several sentc-host processes at
// once (each its own Envoy: its own workers and shared data), all asking one rate-limit
// service (service.js: real gRPC on loopback with @grpc/grpc-js, Envoy's rls.proto,
// envoyproxy/ratelimit's counting) configured from the YAML sentc wrote for the policy.
//
//   node scenarios.js        (env: SENTC, NODE, top_srcdir)
//
// Each scenario prints "ok    ..." or "FAIL  ...: why"; the exit status is 1 when any
// failed. What each one proves is said where it is defined.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { RateLimitService } = require('./service.js');

const SENTC = process.env.SENTC;
const HOST_JS = path.join(process.env.top_srcdir, 'host', 'sentc-host.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentc-cluster-'));
// The service's clock, pinned: 2023-11-14 22:13:21 UTC, 2,799 s before the hour ends,
// so that no run straddles a window and every count is exact.
const NOW_MS = 1700000001000;
const HOUR_LEFT_S = 2799;

// Compiles `policy` as NAME; returns the paths of main.wasm and of what else was asked.
function compile(name, policy, extra = []) {
  const p = path.join(dir, `${name}.sentinel`);
  fs.writeFileSync(p, policy);
  const out = { wasm: path.join(dir, `${name}.wasm`), config: path.join(dir, `${name}.ratelimit.yaml`) };
  execFileSync(SENTC, [p, '-o', out.wasm, '--ratelimit-config', out.config, ...extra], { stdio: 'inherit' });
  return out;
}

function service(config, options = {}) {
  return new RateLimitService({ configs: [{ text: fs.readFileSync(config, 'utf8'), file: config }], clock: () => NOW_MS, ...options });
}

// Runs sentc-host on `traffic` with `args`; resolves to its --json result.
function host(wasm, traffic, args = []) {
  const t = path.join(dir, `t${Math.random().toString(36).slice(2)}.traffic`);
  fs.writeFileSync(t, traffic);
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.NODE || process.execPath, [HOST_JS, 'run', wasm, t, '--json', ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => {
      try {
        resolve({ code, ...JSON.parse(out) });
      } catch {
        reject(new Error(`sentc-host exited ${code}: ${err || out}`));
      }
    });
  });
}

const count = (result, pred) => result.requests.filter(pred).length;
const under = (prefix) => (r) => r.path.startsWith(prefix);
const passed = (r) => r.upstreamNs !== null;
const header = (map, name) => map?.find(([k]) => k === name)?.[1];

let failed = 0;
async function scenario(name, fn) {
  try {
    await fn();
    console.log(`ok    ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${name}: ${err.stack}`);
  }
}

const SHOP = `
policy shop {
  ratelimit_headers on;
  ratelimit_service { cluster "ratelimit"; timeout 10s; }   # never reached, even on a busy machine
}
resource api {
  match { path prefix "/api/"; }
  flow 30/h { scope cluster; }
  concurrency 1000;
}
resource hot {
  match { path prefix "/hot/"; }
  hotspot header "x-user" 5/h { scope cluster; item "vip" 8/h; item "banned" 0/h; }
}
`;

const SHOP_TRAFFIC = `workers 2
0s repeat 50 over 10s GET /api/items -> 200 5ms
0s repeat 10 over 10s GET /hot/u1 x-user=u1 -> 200 5ms
0s repeat 10 over 10s GET /hot/vip x-user=vip -> 200 5ms
0s repeat 3 over 10s GET /hot/banned x-user=banned -> 200 5ms
0s repeat 3 over 10s GET /hot/none -> 200 5ms
`;

async function main() {
  const shop = compile('shop', SHOP);

  // Three proxies, two workers each, one service: the budget is one across all of them,
  // exactly; each descriptor the module sends is one the generated configuration has
  // (none unmatched), read with Envoy's own proto; the RateLimit headers carry the
  // service's limit_remaining and duration_until_reset.
  await scenario('three proxies share one budget, exactly, through the service the YAML configures', async () => {
    const svc = service(shop.config);
    const port = await svc.start();
    try {
      const runs = await Promise.all([0, 1, 2].map(() => host(shop.wasm, SHOP_TRAFFIC, ['--rls', `127.0.0.1:${port}`])));
      for (const r of runs) assert.equal(r.code, 0, r.errors.join('; '));
      const sum = (pred) => runs.reduce((n, r) => n + count(r, pred), 0);
      const blocked = (r) => r.localReply?.status === 429;
      assert.equal(sum((r) => under('/api/')(r) && passed(r)), 30, 'flow 30/h across the three');
      assert.equal(sum((r) => under('/api/')(r) && blocked(r)), 120);
      assert.equal(sum((r) => under('/hot/u1')(r) && passed(r)), 5, 'x-user u1: 5/h');
      assert.equal(sum((r) => under('/hot/vip')(r) && passed(r)), 8, 'item vip: 8/h');
      assert.equal(sum((r) => under('/hot/banned')(r) && blocked(r)), 9, 'item banned: 0/h');
      assert.equal(sum((r) => under('/hot/none')(r) && passed(r)), 9, 'no x-user: the rule is skipped');
      assert.deepEqual(svc.unmatched, [], 'every descriptor sent has a limit in the generated configuration');
      assert.equal(svc.requests.length, 3 * (50 + 10 + 10 + 3), 'one call per request that has a descriptor');
      assert.ok(svc.requests.every((q) => q.domain === 'shop' && q.descriptors.length === 1 && !q.hits_addend));
      assert.equal(svc.count('shop', [['resource', 'api'], ['rule', 'flow_1h']], 'hour'), 150);
      assert.equal(svc.count('shop', [['resource', 'hot'], ['rule', 'hotspot_x-user'], ['value', 'banned']], 'hour'), 9);
      // The bytes, as Envoy's rls.proto reads them.
      const api = svc.requests.find((q) => q.descriptors[0].entries[0].value === 'api');
      assert.deepEqual(api, { domain: 'shop', descriptors: [{ entries: [{ key: 'resource', value: 'api' }, { key: 'rule', value: 'flow_1h' }] }] });
      const vip = svc.requests.find((q) => q.descriptors[0].entries[2]?.value === 'vip');
      assert.deepEqual(vip.descriptors[0].entries, [{ key: 'resource', value: 'hot' }, { key: 'rule', value: 'hotspot_x-user' }, { key: 'value', value: 'vip' }]);
      // RateLimit headers: the service's numbers. The 30 that passed saw 29 down to 0 left.
      const remaining = runs.flatMap((r) => r.requests.filter((q) => under('/api/')(q) && passed(q))
        .map((q) => header(q.responseHeaders, 'ratelimit')));
      assert.deepEqual(remaining.map((h) => Number(/;r=(\d+)/.exec(h)[1])).sort((a, b) => a - b), [...Array(30).keys()]);
      for (const h of remaining) assert.match(h, new RegExp(`^"api/flow_1h";r=\\d+;t=${HOUR_LEFT_S}$`));
      // (any run's: the three race for the 30 places, one may get none)
      const policyHeader = runs.flatMap((r) => r.requests).find((q) => under('/api/')(q) && passed(q)).responseHeaders;
      assert.equal(header(policyHeader, 'ratelimit-policy'), '"api/flow_1h";q=30;w=3600');
      // A block: the rule's (built-in) fallback, retry-after when the window resets.
      const reply = runs.flatMap((r) => r.requests).find((q) => under('/api/')(q) && q.localReply).localReply;
      assert.equal(header(reply.headers, 'x-sentinel-blocked'), 'api/flow');
      assert.equal(header(reply.headers, 'retry-after'), String(HOUR_LEFT_S));
    } finally {
      await svc.stop();
    }
  });

  // The same proof, negatively: a configuration that spells one rule differently leaves
  // that rule's descriptors unmatched, and the service lets them all through.
  await scenario('a configuration that does not match the descriptors is caught', async () => {
    const wrong = path.join(dir, 'wrong.yaml');
    fs.writeFileSync(wrong, fs.readFileSync(shop.config, 'utf8').replace('"flow_1h"', '"flow_1m"'));
    const svc = service(wrong);
    const port = await svc.start();
    try {
      const r = await host(shop.wasm, SHOP_TRAFFIC, ['--rls', `127.0.0.1:${port}`]);
      assert.equal(count(r, (q) => under('/api/')(q) && passed(q)), 50);
      assert.equal(svc.unmatched.length, 50);
    } finally {
      await svc.stop();
    }
  });

  // Local rules first: a request a local rule blocks never asks, so the service counts
  // only what passed locally; and the module finds the service through the Envoy
  // bootstrap sentc wrote (--envoy, --ratelimit-address).
  await scenario('local rules block without asking; the bootstrap names the service', async () => {
    const svc = new RateLimitService({ configs: [], clock: () => NOW_MS });
    const port = await svc.start();
    try {
      const local = compile('local', `
policy edge { ratelimit_service { cluster "rls"; timeout 10s; } }
resource api {
  flow 5/s;
  flow 1000/h { scope cluster; name global; }
}
`, ['--envoy', path.join(dir, 'local.envoy.yaml'), '--ratelimit-address', `127.0.0.1:${port}`]);
      svc.load(fs.readFileSync(local.config, 'utf8'), local.config);
      const r = await host(local.wasm, '0s repeat 20 over 1s GET /x\n', ['--envoy', path.join(dir, 'local.envoy.yaml')]);
      assert.equal(count(r, passed), 5);
      assert.equal(svc.requests.length, 5, 'only the requests the local flow passed asked');
      assert.equal(svc.count('edge', [['resource', 'api'], ['rule', 'global']], 'hour'), 5);
      assert.equal(r.requests.filter((q) => q.localReply).every((q) => header(q.localReply.headers, 'x-sentinel-blocked') === 'api/flow'), true);
    } finally {
      await svc.stop();
    }
  });

  // When the service fails, on_error decides, and every request is answered within its
  // timeout (never left held): service down, slow past the timeout, answering garbage,
  // answering a gRPC error.
  const sick = (onError) => compile(`sick_${onError}`, `
policy sick { ratelimit_service { cluster "ratelimit"; timeout 200ms; on_error ${onError}; } }
fallback unavailable { status 503; header "x-why" "rate-limit service"; }
resource api { flow 100/s { scope cluster; fallback unavailable; } }
`);
  const sickModules = { allow: sick('allow'), deny: sick('deny') };
  const downPort = await new Promise((resolve) => {
    const s = require('node:net').createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  const ways = {
    down: null,
    slow: { slowMs: 1500 },
    garbage: { garbage: true },
    unavailable: { failWith: 14 },
  };
  for (const [way, knobs] of Object.entries(ways)) {
    for (const onError of ['allow', 'deny']) {
      await scenario(`service ${way}, on_error ${onError}: decided within the timeout, never left held`, async () => {
        const mod = sickModules[onError];
        let svc = null;
        let port = downPort;
        if (knobs) {
          svc = service(mod.config);
          Object.assign(svc, knobs);
          port = await svc.start();
        }
        try {
          const r = await host(mod.wasm, '0s repeat 3 over 30ms GET /x\n', ['--rls', `127.0.0.1:${port}`]);
          assert.deepEqual(r.errors, []);
          assert.equal(r.totals.pending, 0);
          const waits = r.requests.map((q) => (q.endNs ?? 0) - q.sentNs);
          if (onError === 'allow') {
            assert.equal(count(r, passed), 3);
          } else {
            assert.equal(count(r, (q) => q.localReply?.status === 503 && header(q.localReply.headers, 'x-why') === 'rate-limit service'), 3);
          }
          // Held one round trip (1ms), at most the timeout (on a busy machine a failing
          // call may take that long for real); a slow service exactly the timeout.
          for (const q of r.requests) assert.ok((q.upstreamNs ?? q.endNs) - q.sentNs <= 200e6, `held ${waits}`);
          if (way === 'slow') assert.ok(r.requests.every((q) => (q.upstreamNs ?? q.endNs) - q.sentNs === 200e6), `held ${waits}`);
        } finally {
          if (svc) await svc.stop();
        }
      });
    }
  }

  // A request whose client goes away while it asks: its call is cancelled, its late
  // answer ignored, nothing left held (sentc-host reports nothing pending).
  await scenario('a stream that ends while asking is never answered nor left held', async () => {
    const svc = service(shop.config);
    const port = await svc.start();
    try {
      const r = await host(shop.wasm, '0s repeat 5 over 10ms GET /api/x abort 2ms\n0s GET /api/y\n',
        ['--rls', `127.0.0.1:${port}`, '--rls-latency', '5ms']);
      assert.deepEqual(r.errors, []);
      assert.equal(r.totals.pending, 0);
      assert.equal(count(r, (q) => q.outcome === 'aborted' && q.upstreamNs === null && !q.localReply), 5);
      assert.equal(count(r, (q) => q.path === '/api/y' && passed(q)), 1);
    } finally {
      await svc.stop();
    }
  });

  fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = failed ? 1 : 0;
}

main();
