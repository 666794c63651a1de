// service.js: a rate-limit service for the tests: Envoy's
// envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit over real gRPC on loopback
// (@grpc/grpc-js), its messages read and written with Envoy's own rls.proto as the npm
// package @grpc/grpc-js-xds ships it (loaded with @grpc/proto-loader), and
// envoyproxy/ratelimit's semantics, configured from the YAML files sentc writes
// (--ratelimit-config).
//
// Why: scope cluster is only right if what the module sends is what Envoy's definitions
// say and what the generated configuration counts. This service decodes the module's
// bytes with Envoy's proto (a field number or type the module got wrong shows up as a
// missing or garbled descriptor), refuses descriptors its configuration has no limit for
// (`unmatched`), and counts like envoyproxy/ratelimit: one counter per descriptor (its
// domain, keys and values), in a fixed window of the limit's unit on the service's
// clock, every descriptor of a request counted, a descriptor over its limit when its
// count passes requests_per_unit, OVER_LIMIT overall when any is.
//
// Test knobs: clock() (ms; tests pin it so a run cannot straddle a window), and the
// misbehaviours of a sick service: slowMs (answer late), garbage (answer bytes that are
// no RateLimitResponse), failWith (answer a gRPC error).
//
//   node service.js --config FILE [--config FILE...] [--port N] [--now MS]
//     serves until stdin closes, printing "listening PORT" first and the counters (JSON)
//     last.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const UNITS = { second: 1, minute: 60, hour: 3600, day: 86400 };
const UNIT_NAMES = { second: 'SECOND', minute: 'MINUTE', hour: 'HOUR', day: 'DAY' };

// Envoy's rls.proto from @grpc/grpc-js-xds, with the API's own imports.
function loadRls() {
  const protoLoader = require('@grpc/proto-loader');
  const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const definition = protoLoader.loadSync('envoy/service/ratelimit/v3/rls.proto', {
    keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true,
    includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d)),
  });
  return definition['envoy.service.ratelimit.v3.RateLimitService'];
}

// A configuration file's domain and its descriptor tree, checked the way
// envoyproxy/ratelimit checks it: known keys only, each level's key/value pairs once.
function loadConfig(text, file) {
  const config = YAML.parse(text);
  const fail = (msg) => { throw new Error(`${file}: ${msg}`); };
  if (!config || typeof config.domain !== 'string' || !config.domain) fail('no domain');
  const level = (list, where) => {
    const seen = new Set();
    for (const d of list ?? []) {
      for (const k of Object.keys(d)) if (!['key', 'value', 'rate_limit', 'descriptors'].includes(k)) fail(`${where}: unknown key ${k}`);
      if (typeof d.key !== 'string' || !d.key) fail(`${where}: a descriptor without a key`);
      const id = `${d.key}_${d.value ?? ''}`;
      if (seen.has(id)) fail(`${where}: duplicate descriptor ${id}`);
      seen.add(id);
      if (d.rate_limit) {
        const r = d.rate_limit;
        for (const k of Object.keys(r)) if (!['unit', 'requests_per_unit'].includes(k)) fail(`${where}: unknown key ${k}`);
        if (!(r.unit in UNITS)) fail(`${where}/${id}: unit ${r.unit}`);
        if (!Number.isInteger(r.requests_per_unit) || r.requests_per_unit < 0) fail(`${where}/${id}: requests_per_unit`);
      }
      level(d.descriptors, `${where}/${id}`);
    }
  };
  level(config.descriptors, config.domain);
  return config;
}

// The limit a descriptor's entries reach, envoyproxy/ratelimit's way: at each level the
// entry's key with its value, else the key alone; null when none is configured.
function limitOf(config, entries) {
  let level = config.descriptors ?? [];
  let node = null;
  for (const e of entries) {
    node = level.find((d) => d.key === e.key && d.value === e.value) ?? level.find((d) => d.key === e.key && d.value === undefined);
    if (!node) return null;
    level = node.descriptors ?? [];
  }
  return node?.rate_limit ?? null;
}

class RateLimitService {
  constructor({ configs, clock = Date.now }) {
    this.configs = new Map();
    for (const { text, file } of configs) this.load(text, file);
    this.clock = clock;
    this.counters = new Map();  // "domain|k=v|...|unit@window" -> hits
    this.requests = [];         // every request, as Envoy's proto reads it
    this.unmatched = [];        // descriptors without a configured limit
    this.slowMs = 0;
    this.garbage = false;
    this.failWith = null;       // a gRPC status code to answer with
    this.server = null;
  }

  // Adds (or replaces) a domain's configuration.
  load(text, file) {
    const c = loadConfig(text, file);
    this.configs.set(c.domain, c);
  }

  shouldRateLimit(request) {
    this.requests.push(request);
    const config = this.configs.get(request.domain);
    const nowMs = this.clock();
    const hits = request.hits_addend || 1;
    let over = false;
    const statuses = (request.descriptors ?? []).map((d) => {
      const entries = d.entries ?? [];
      const limit = config ? limitOf(config, entries) : null;
      if (!limit) {
        this.unmatched.push({ domain: request.domain, entries });
        return { code: 'OK' };
      }
      const unitMs = UNITS[limit.unit] * 1000;
      const window = Math.floor(nowMs / unitMs);
      const key = [request.domain, ...entries.map((e) => `${e.key}=${e.value}`), `${limit.unit}@${window}`].join('|');
      const count = (this.counters.get(key) ?? 0) + hits;
      this.counters.set(key, count);
      const overLimit = count > limit.requests_per_unit;
      if (overLimit) over = true;
      const resetMs = (window + 1) * unitMs - nowMs;
      return {
        code: overLimit ? 'OVER_LIMIT' : 'OK',
        current_limit: { requests_per_unit: limit.requests_per_unit, unit: UNIT_NAMES[limit.unit] },
        limit_remaining: Math.max(0, limit.requests_per_unit - count),
        duration_until_reset: { seconds: Math.floor(resetMs / 1000), nanos: (resetMs % 1000) * 1e6 },
      };
    });
    return { overall_code: over ? 'OVER_LIMIT' : 'OK', statuses };
  }

  // The hits counted for descriptor entries [[key, value]...] in the current window.
  count(domain, entries, unit) {
    const window = Math.floor(this.clock() / (UNITS[unit] * 1000));
    return this.counters.get([domain, ...entries.map(([k, v]) => `${k}=${v}`), `${unit}@${window}`].join('|')) ?? 0;
  }

  // Serves on 127.0.0.1:port (0: any free one); resolves to the port.
  start(port = 0) {
    const grpc = require('@grpc/grpc-js');
    const service = loadRls();
    const method = service.ShouldRateLimit;
    // The answer is written by the proto's own serializer, unless the service is told to
    // answer garbage: then bytes that no RateLimitResponse parses as (a field 2 whose
    // length runs past the end).
    const definition = {
      ShouldRateLimit: { ...method, responseSerialize: (r) => (r.garbage ? Buffer.from([0x12, 0x7f, 0x08]) : method.responseSerialize(r)) },
    };
    this.server = new grpc.Server();
    this.server.addService(definition, {
      ShouldRateLimit: (call, callback) => {
        const answer = () => {
          if (this.failWith !== null) return callback({ code: this.failWith, details: 'the test service fails' });
          const response = this.shouldRateLimit(call.request);
          return callback(null, this.garbage ? { garbage: true } : response);
        };
        if (this.slowMs) setTimeout(answer, this.slowMs);
        else answer();
      },
    });
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
        if (err) reject(err);
        else resolve(bound);
      });
    });
  }

  stop() {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.tryShutdown(() => resolve());
      setTimeout(() => this.server.forceShutdown(), 2000).unref();
    });
  }
}

module.exports = { RateLimitService, loadRls, loadConfig, limitOf };

if (require.main === module) {
  const args = process.argv.slice(2);
  const files = [];
  let port = 0;
  let now = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config') files.push(args[++i]);
    else if (args[i] === '--port') port = Number(args[++i]);
    else if (args[i] === '--now') now = Number(args[++i]);
    else throw new Error(`unknown argument ${args[i]}`);
  }
  const service = new RateLimitService({
    configs: files.map((file) => ({ text: fs.readFileSync(file, 'utf8'), file })),
    clock: now === null ? Date.now : () => now,
  });
  service.start(port).then((bound) => {
    console.log(`listening ${bound}`);
    process.stdin.resume();
    process.stdin.on('end', async () => {
      console.log(JSON.stringify(Object.fromEntries(service.counters)));
      await service.stop();
    });
  });
}
