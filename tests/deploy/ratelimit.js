// ratelimit.js: checks what sentc writes for scope cluster's rate-limit service, in
// DIR (tests/deploy.test): the --ratelimit-config file as envoyproxy/ratelimit loads it
// (tests/rls/service.js applies its checks: known keys, units, no duplicate descriptor)
// with the limits of the policy; the cluster the Envoy bootstrap adds (Envoy's Cluster
// proto, HTTP/2, the address asked for); and for Istio the EnvoyFilter patch adding the
// same cluster (Istio's schema, Envoy's proto) and the ConfigMap holding the same
// configuration, in the --istio and --envoyfilter files alike.
//
//   node ratelimit.js DIR CLUSTER HOST:PORT ISTIO_HOST:PORT
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const { loadEnvoy, checkMessage } = require('./envoy_proto.js');
const { checkIstio } = require('./istio_schema.js');
const { loadConfig } = require('../rls/service.js');

const [dir, clusterName, address, istioAddress] = process.argv.slice(2);
const envoy = loadEnvoy();
const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8');
const docs = (name) => YAML.parseAllDocuments(read(name)).map((d) => d.toJS());
const noErrors = (errors, what) => assert.deepStrictEqual(errors, [], `${what}:\n  ${errors.join('\n  ')}`);

function checkCluster(c, where, want) {
  noErrors(checkMessage(envoy, 'envoy.config.cluster.v3.Cluster', c), where);
  assert.equal(c.name, clusterName, `${where}: the policy's cluster`);
  const options = c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
  assert.deepEqual(options.explicit_http_config, { http2_protocol_options: {} }, `${where}: gRPC needs HTTP/2`);
  const a = c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
  assert.equal(`${a.address}:${a.port_value}`, want, `${where}: the service's address`);
}

async function main() {
  const config = loadConfig(read('ratelimit.yaml'), 'ratelimit.yaml');
  assert.deepEqual(config, {
    domain: 'shop-api',
    descriptors: [
      { key: 'resource', value: 'checkout', descriptors: [
        { key: 'rule', value: 'flow', rate_limit: { unit: 'second', requests_per_unit: 100 } },
        { key: 'rule', value: 'daily', rate_limit: { unit: 'day', requests_per_unit: 100000 } }] },
      { key: 'resource', value: 'search', descriptors: [
        { key: 'rule', value: 'hotspot_x-user-id', descriptors: [
          { key: 'value', rate_limit: { unit: 'minute', requests_per_unit: 60 } },
          { key: 'value', value: 'partner%257', rate_limit: { unit: 'minute', requests_per_unit: 600 } },
          { key: 'value', value: 'caf\u00e9', rate_limit: { unit: 'hour', requests_per_unit: 0 } }] }] },
    ],
  });
  console.log('ok    ratelimit.yaml: envoyproxy/ratelimit loads it; the policy\'s limits, items spelled as the module sends them');

  const [bootstrap] = docs('envoy.yaml');
  noErrors(checkMessage(envoy, 'envoy.config.bootstrap.v3.Bootstrap', bootstrap), 'envoy.yaml');
  checkCluster(bootstrap.static_resources.clusters.find((c) => c.name === clusterName), 'envoy.yaml', address);
  console.log('ok    envoy.yaml: the rate-limit service\'s cluster, an Envoy Cluster over HTTP/2');

  for (const file of ['istio.yaml', 'envoyfilter.yaml']) {
    const all = docs(file);
    const ef = all.find((d) => d.kind === 'EnvoyFilter' && d.spec.configPatches[0].applyTo === 'CLUSTER');
    noErrors(await checkIstio(ef), `${file}: EnvoyFilter`);
    assert.deepEqual(ef.spec.configPatches.map((p) => [p.applyTo, p.match.context, p.patch.operation]), [['CLUSTER', 'ANY', 'ADD']]);
    assert.deepEqual(ef.spec.workloadSelector, { labels: { app: 'checkout' } });
    checkCluster(ef.spec.configPatches[0].patch.value, `${file}: patch`, istioAddress);
    const cm = all.find((d) => d.kind === 'ConfigMap' && d.data['config.yaml']);
    assert.deepEqual(loadConfig(cm.data['config.yaml'], `${file}: config.yaml`), config, `${file}: the same configuration`);
    assert.equal(all.at(-1), cm, `${file}: the rate-limit objects come last`);
  }
  console.log('ok    istio.yaml, envoyfilter.yaml: the cluster as an EnvoyFilter patch (Istio\'s schema, Envoy\'s Cluster) and the configuration as a ConfigMap');
}

main().catch((err) => {
  console.log(`FAIL  ${err.message}`);
  process.exitCode = 1;
});
