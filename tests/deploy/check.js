// check.js: checks what `sentc --envoy/--istio/--envoyfilter/--oci` wrote for one
// policy against the ecosystem's own definitions, and against the module it deploys.
//
//   node check.js DIR --policy NAME --fail-open true|false --tcp-ports P,P|none
//        --module-path PATH --url URL --version V --tables N [--plugin-config FILE]
//        [--source POLICY_FILE] [--istio FILE] [--oci DIR] [--filter-url URL]
//        [--workload K8S.yaml]
//
// DIR holds main.wasm, envoy.yaml and, when written, istio.yaml (or --istio), oci/
// (or --oci) and envoyfilter.yaml; the policy is DIR/policy.sentinel or --source.
// --filter-url is the EnvoyFilter's module URL when it differs from --url; --workload
// a Deployment that must carry the pod annotations the Istio file asks for.
// Prints one line per check; exits 1 when any group failed. Why each check exists is said where it is made. Needs the
// dev-only npm packages of package.json (scripts/install-deps installs them).
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const YAML = require('yaml');
const { parseYamlSubset, pluginSettings, wasmFilters } = require('../../host/envoyconf.js');
const { Host } = require('../../host/proxywasm.js');
const { loadEnvoy, checkMessage } = require('./envoy_proto.js');
const { checkIstio } = require('./istio_schema.js');
const { extractTags, prometheusSeries } = require('./stats_tags.js');
const { metricList, sampleNames } = require('./metrics_list.js');

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const clone = (v) => JSON.parse(JSON.stringify(v));

function args(argv) {
  const o = { dir: argv[0] };
  for (let i = 1; i < argv.length; i += 2) o[argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase())] = argv[i + 1];
  return o;
}

const opt = args(process.argv.slice(2));
const file = (name) => path.join(opt.dir, name);
const wasm = fs.readFileSync(file('main.wasm'));
const source = opt.source ?? file('policy.sentinel');
const istioFile = opt.istio ?? 'istio.yaml';
const ociDir = opt.oci ?? 'oci';
const expectedConfig = opt.pluginConfig ? JSON.parse(fs.readFileSync(opt.pluginConfig, 'utf8')) : {};
const tcpPorts = opt.tcpPorts === 'none' ? [] : opt.tcpPorts.split(',').map(Number);
const failOpen = opt.failOpen === 'true';
const envoy = loadEnvoy();
let failed = 0;

async function group(name, fn) {
  try {
    await fn();
    console.log(`ok    ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${name}: ${err.message}`);
  }
}

// The YAML subset sentc writes reads the same with the host's reader as with the
// `yaml` package: the host, which has no npm dependency, sees what Envoy and kubectl see.
function readYaml(name) {
  const text = fs.readFileSync(file(name), 'utf8');
  const ours = parseYamlSubset(text, name);
  const theirs = YAML.parseAllDocuments(text).map((d) => {
    if (d.errors.length) throw new Error(`${name}: yaml: ${d.errors[0].message}`);
    return d.toJS();
  });
  assert.deepStrictEqual(ours, theirs, `${name}: the host's YAML reader and the yaml package disagree`);
  return ours;
}

const noErrors = (errors, what) => assert.deepStrictEqual(errors, [], `${what}:\n  ${errors.join('\n  ')}`);

// The plugin settings every sentc filter must carry.
function checkPluginConfig(c, filename, where) {
  assert.equal(c.root_id, 'sentc', `${where}: root_id`);
  assert.equal(c.vm_config.vm_id, `sentc.${opt.policy}`, `${where}: vm_id`);
  assert.equal(c.vm_config.runtime, 'envoy.wasm.runtime.v8', `${where}: runtime`);
  assert.equal(c.vm_config.code.local.filename, filename, `${where}: module filename`);
  assert.equal(c.fail_open, failOpen, `${where}: fail_open follows on_error`);
  assert.equal(c.configuration['@type'], 'type.googleapis.com/google.protobuf.StringValue', `${where}: configuration type`);
  assert.deepStrictEqual(JSON.parse(c.configuration.value), expectedConfig, `${where}: plugin configuration`);
}

// Mutations that must each make the Envoy checker complain: proof it can fail.
const BOOTSTRAP_MUTATIONS = {
  'misspelled stat_prefix': (b) => {
    const hcm = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    hcm.stat_prefx = hcm.stat_prefix;
    delete hcm.stat_prefix;
  },
  'vm_id moved up into PluginConfig': (b) => {
    const c = wasmFilters(b)[0].config;
    c.vm_id = c.vm_config.vm_id;
  },
  'fail_open as a string': (b) => { wasmFilters(b)[0].config.fail_open = 'true'; },
  'router @type misspelled': (b) => {
    const f = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[1];
    f.typed_config['@type'] = f.typed_config['@type'].replace('router.v3', 'routr.v3');
  },
  'port above 65535': (b) => { b.admin.address.socket_address.port_value = 70000; },
  'duration without its unit form': (b) => { b.static_resources.clusters[0].connect_timeout = '1 s'; },
  'configuration value not a string': (b) => { wasmFilters(b)[0].config.configuration.value = {}; },
};

async function main() {
  const policySha = sha256(fs.readFileSync(source));
  const moduleSha = sha256(wasm);
  let bootstrap;
  let image;

  await group('main.wasm carries its identity section', () => {
    const mod = new WebAssembly.Module(wasm);
    const sections = WebAssembly.Module.customSections(mod, 'sentc.identity');
    assert.equal(sections.length, 1, 'one sentc.identity section');
    const id = JSON.parse(Buffer.from(sections[0]).toString('utf8'));
    assert.deepStrictEqual(id, { policy: opt.policy, sentc: opt.version, source_sha256: policySha, tables_version: Number(opt.tables) });
  });

  await group('envoy.yaml: the same document for the host reader and the yaml package', () => {
    [bootstrap] = readYaml('envoy.yaml');
  });
  if (!bootstrap) {
    process.exitCode = 1;
    return;
  }

  await group('envoy.yaml: every field is a field of Envoy\'s Bootstrap (protos of @grpc/grpc-js-xds)', () => {
    noErrors(checkMessage(envoy, 'envoy.config.bootstrap.v3.Bootstrap', bootstrap), 'envoy.yaml');
  });

  await group('envoy.yaml: a misspelled or misplaced field is refused', () => {
    for (const [name, mutate] of Object.entries(BOOTSTRAP_MUTATIONS)) {
      const b = clone(bootstrap);
      mutate(b);
      const errors = checkMessage(envoy, 'envoy.config.bootstrap.v3.Bootstrap', b);
      assert.ok(errors.length > 0, `the checker accepted: ${name}`);
      console.log(`        refused (${name}): ${errors[0]}`);
    }
  });

  await group('envoy.yaml: filter order, listeners, one vm_id, fail_open, plugin configuration', () => {
    const listeners = bootstrap.static_resources.listeners;
    const http = listeners[0].filter_chains[0].filters;
    assert.equal(http.length, 1);
    assert.deepStrictEqual(http[0].typed_config.http_filters.map((f) => f.name), ['envoy.filters.http.wasm', 'envoy.filters.http.router']);
    const tcp = listeners.slice(1);
    assert.deepStrictEqual(tcp.map((l) => l.address.socket_address.port_value), tcpPorts, 'a TCP listener per TCP port');
    for (const l of tcp) {
      assert.deepStrictEqual(l.filter_chains[0].filters.map((f) => f.name), ['envoy.filters.network.wasm', 'envoy.filters.network.tcp_proxy']);
    }
    const filters = wasmFilters(bootstrap);
    assert.equal(filters.length, 1 + tcpPorts.length);
    for (const f of filters) {
      checkPluginConfig(f.config, opt.modulePath, f.listener);
      assert.deepStrictEqual(f.config, filters[0].config, 'every listener runs the same plugin');
    }
    const clusters = new Set(bootstrap.static_resources.clusters.map((c) => c.name));
    for (const l of tcp) assert.ok(clusters.has(l.filter_chains[0].filters[1].typed_config.cluster));
    const settings = pluginSettings(fs.readFileSync(file('envoy.yaml'), 'utf8'));
    assert.deepStrictEqual(settings, {
      pluginConfig: filters[0].config.configuration.value, vmId: `sentc.${opt.policy}`, rootId: 'sentc',
      pluginName: `sentc.${opt.policy}`, failOpen, filename: opt.modulePath,
    }, 'what sentc-host --envoy takes from it');
  });

  await group('stats_tags: Envoy\'s extraction turns resource and rule into tags on every metric name of metrics.h', () => {
    const tags = bootstrap.stats_config.stats_tags;
    // The names the module really defines, read from a running VM ...
    const host = new Host(wasm, { workers: 1 });
    const real = [...host.metrics.keys()].filter((n) => n.startsWith('sentc.'));
    assert.ok(real.some((n) => n.split('.').length === 4) && real.some((n) => n.split('.').length === 3), 'the module defines resource and rule metrics');
    // ... and every metric the runtime has (runtime/engine/metrics.h), named as a
    // resource, a rule (default names carry '-' and '_'), a system check and the
    // filter name them: three-part names get the resource tag only.
    const list = metricList(path.join(__dirname, '..', '..'));
    const every = sampleNames(list).concat(sampleNames(list, 'api-v2', 'hotspot_x-api-key'));
    for (const name of real.concat(every)) {
      const parts = name.split('.');
      const { name: extracted, tags: got } = extractTags(`wasmcustom.${name}`, tags);
      assert.equal(extracted, `wasmcustom.sentc.${parts[2]}`, `${name}: extracted name`);
      const want = [['sentc_resource', parts[1]]].concat(parts[3] ? [['sentc_rule', parts[3]]] : []);
      assert.deepStrictEqual(got, want, `${name}: tags`);
    }
    assert.equal(prometheusSeries('wasmcustom.sentc.checkout.blocked.flow', tags), 'sentc_blocked{sentc_resource="checkout",sentc_rule="flow"}');
    assert.equal(prometheusSeries('wasmcustom.sentc.checkout.passed', tags), 'sentc_passed{sentc_resource="checkout"}');
    // Envoy's own stats keep their names: the extractors touch only sentc's.
    assert.equal(extractTags('http.sentc_http.downstream_rq_total', tags).tags.length, 0);
  });

  if (fs.existsSync(file(ociDir))) await group(`${ociDir}/: an OCI image layout of the Wasm image (compat), digests and sizes as named`, () => {
    const dir = file(ociDir);
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    const blob = (desc) => {
      assert.match(desc.digest, /^sha256:[0-9a-f]{64}$/);
      const bytes = fs.readFileSync(path.join(dir, 'blobs', 'sha256', desc.digest.slice(7)));
      assert.equal(sha256(bytes), desc.digest.slice(7), `${desc.digest}: content digest`);
      assert.equal(bytes.length, desc.size, `${desc.digest}: size`);
      return bytes;
    };
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0].mediaType, 'application/vnd.oci.image.manifest.v1+json');
    const manifestBytes = blob(index.manifests[0]);
    const manifest = JSON.parse(manifestBytes);
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.config.mediaType, 'application/vnd.oci.image.config.v1+json');
    // Istio's compat fetcher: exactly this layer type, a tar.gz holding plugin.wasm.
    assert.equal(manifest.layers.length, 1);
    assert.equal(manifest.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    const config = JSON.parse(blob(manifest.config));
    const gz = blob(manifest.layers[0]);
    assert.deepStrictEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255], 'gzip header: no name, mtime 0');
    const tar = zlib.gunzipSync(gz);
    assert.deepStrictEqual(config.rootfs, { type: 'layers', diff_ids: [`sha256:${sha256(tar)}`] });
    const field = (off, len) => tar.subarray(off, off + len).toString('latin1').replace(/\0.*$/s, '');
    assert.equal(field(0, 100), 'plugin.wasm');
    assert.equal(field(100, 8), '0000644');
    assert.equal(Number.parseInt(field(108, 8), 8), 0, 'uid');
    assert.equal(Number.parseInt(field(116, 8), 8), 0, 'gid');
    assert.equal(Number.parseInt(field(136, 12), 8), 0, 'mtime');
    assert.equal(field(257, 6), 'ustar');
    const size = Number.parseInt(field(124, 12), 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : tar[i];
    assert.equal(Number.parseInt(field(148, 8), 8), sum, 'header checksum');
    assert.ok(tar.subarray(512, 512 + size).equals(wasm), 'plugin.wasm is main.wasm');
    assert.ok(tar.subarray(512 + Math.ceil(size / 512) * 512).every((b) => b === 0), 'then only end-of-archive zeros');
    image = { digest: index.manifests[0].digest.slice(7), manifest };
  });

  if (fs.existsSync(file(istioFile))) await group(`${istioFile}: the same document for the host reader and the yaml package; Istio's schema`, async () => {
    const docs = readYaml(istioFile);
    const plugins = docs.filter((d) => d.kind === 'WasmPlugin');
    assert.deepStrictEqual(plugins.map((p) => p.spec.type), tcpPorts.length ? ['HTTP', 'NETWORK'] : ['HTTP']);
    for (const p of plugins) {
      noErrors(await checkIstio(p), `WasmPlugin ${p.metadata.name}`);
      assert.equal(p.spec.url, opt.url);
      // Istio compares an oci:// plugin's sha256 with the image manifest's digest
      // (pkg/wasm/imagefetcher.go), a file or http one with the module's.
      if (opt.url.startsWith('oci://')) assert.ok(image, 'an oci:// WasmPlugin is checked with its image');
      assert.equal(p.spec.sha256, opt.url.startsWith('oci://') ? image.digest : moduleSha, 'sha256');
      assert.equal(p.metadata.annotations['sentc.io/module-sha256'], moduleSha);
      assert.equal(p.metadata.annotations['sentc.io/source-sha256'], policySha);
      assert.equal(p.spec.pluginName, 'sentc', 'pluginName is the root_id');
      assert.equal(p.spec.failStrategy, failOpen ? 'FAIL_OPEN' : 'FAIL_CLOSE');
      assert.deepStrictEqual(p.spec.pluginConfig, expectedConfig);
    }
    if (tcpPorts.length) assert.deepStrictEqual(plugins[1].spec.match[0].ports.map((p) => p.number), tcpPorts);
    const bad = clone(plugins[0]);
    bad.spec.failStrateg = bad.spec.failStrategy;
    assert.ok((await checkIstio(bad)).length > 0, 'a misspelled WasmPlugin field is refused');
    const cm = docs.find((d) => d.kind === 'ConfigMap');
    const custom = JSON.parse(cm.data['custom_bootstrap.json']);
    noErrors(checkMessage(envoy, 'envoy.config.bootstrap.v3.Bootstrap', custom), 'custom_bootstrap.json');
    assert.deepStrictEqual(custom.stats_config.stats_tags, bootstrap.stats_config.stats_tags);
    const text = fs.readFileSync(file(istioFile), 'utf8');
    assert.match(text, new RegExp(`^# pod annotation: sidecar\\.istio\\.io/bootstrapOverride: ${cm.metadata.name}$`, 'm'));
    const matcher = /^# pod annotation: proxy\.istio\.io\/config: '(.*)'$/m.exec(text);
    assert.deepStrictEqual(JSON.parse(matcher[1]), { proxyStatsMatcher: { inclusionPrefixes: ['wasmcustom.sentc.'] } });
  });

  if (fs.existsSync(file('envoyfilter.yaml'))) {
    await group('envoyfilter.yaml: Istio\'s EnvoyFilter schema, and each patch an Envoy filter', async () => {
      const docs = readYaml('envoyfilter.yaml');
      const ef = docs.find((d) => d.kind === 'EnvoyFilter');
      noErrors(await checkIstio(ef), 'EnvoyFilter');
      const patches = ef.spec.configPatches;
      assert.deepStrictEqual(patches.map((p) => p.applyTo), ['HTTP_FILTER'].concat(tcpPorts.map(() => 'NETWORK_FILTER')));
      for (const p of patches) {
        const http = p.applyTo === 'HTTP_FILTER';
        assert.equal(p.patch.operation, 'INSERT_BEFORE');
        assert.equal(http ? p.match.listener.filterChain.filter.subFilter.name : p.match.listener.filterChain.filter.name,
          http ? 'envoy.filters.http.router' : 'envoy.filters.network.tcp_proxy');
        const type = http ? 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter' : 'envoy.config.listener.v3.Filter';
        noErrors(checkMessage(envoy, type, p.patch.value), `patch ${p.applyTo}`);
        checkPluginConfig(p.patch.value.typed_config.config, (opt.filterUrl ?? opt.url).slice('file://'.length), `patch ${p.applyTo}`);
      }
      const bad = clone(patches[0].patch.value);
      bad.typed_config.config.vm_config.vmid = 'x';
      assert.ok(checkMessage(envoy, 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter', bad).length > 0);
    });
  }

  if (opt.workload) {
    await group(`${path.basename(opt.workload)}: the workload carries the pod annotations and labels ${istioFile} asks for`, () => {
      const text = fs.readFileSync(file(istioFile), 'utf8');
      const asked = Object.fromEntries([...text.matchAll(/^# pod annotation: ([^:]+): (.*)$/gm)]
        .map(([, k, v]) => [k, v.startsWith("'") ? v.slice(1, -1) : v]));
      assert.equal(Object.keys(asked).length, 2);
      const plugin = readYaml(istioFile).find((d) => d.kind === 'WasmPlugin');
      const docs = YAML.parseAllDocuments(fs.readFileSync(opt.workload, 'utf8')).map((d) => d.toJS());
      const deployment = docs.find((d) => d.kind === 'Deployment');
      const template = deployment.spec.template.metadata;
      for (const [k, v] of Object.entries(asked)) assert.equal(template.annotations[k], v, `annotation ${k}`);
      for (const [k, v] of Object.entries(plugin.spec.selector.matchLabels)) assert.equal(template.labels[k], v, `label ${k}`);
      assert.equal(deployment.metadata.namespace, plugin.metadata.namespace, 'namespace');
    });
  }

  process.exitCode = failed ? 1 : 0;
}

main();
