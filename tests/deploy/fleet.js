// fleet.js: checks examples/istio's scope cluster deployment (tests/examples.test):
// what build wrote for fleet.sentinel (the WasmPlugin file with its ConfigMaps, and the
// --ratelimit-config file) against Istio's and Kubernetes' published schemas, and
// ratelimit.yaml (envoyproxy/ratelimit on Redis) against Kubernetes' schema and against
// those files: it mounts the ConfigMap sentc wrote where envoyproxy/ratelimit reads its
// configuration, holding the same configuration, and its Service is the cluster the
// policy names.
//
//   node fleet.js OUT/fleet EXAMPLES/istio
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const { checkIstio } = require('./istio_schema.js');
const { checkKubernetes } = require('./k8s_schema.js');
const { loadConfig } = require('../rls/service.js');

const [out, ex] = process.argv.slice(2);
const docs = (file) => YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
const noErrors = (errors, what) => assert.deepStrictEqual(errors, [], `${what}:\n  ${errors.join('\n  ')}`);

async function main() {
  const fleet = docs(path.join(out, 'fleet.yaml'));
  for (const d of fleet) noErrors(d.kind === 'WasmPlugin' ? await checkIstio(d) : await checkKubernetes(d), `fleet.yaml: ${d.kind} ${d.metadata.name}`);
  const configMap = fleet.find((d) => d.kind === 'ConfigMap' && d.data['config.yaml']);
  const config = loadConfig(fs.readFileSync(path.join(out, 'ratelimit-config.yaml'), 'utf8'), 'ratelimit-config.yaml');
  assert.deepEqual(loadConfig(configMap.data['config.yaml'], 'config.yaml'), config, 'the ConfigMap holds --ratelimit-config\'s configuration');
  assert.equal(config.domain, 'httpbin');

  const service = docs(path.join(ex, 'ratelimit.yaml'));
  for (const d of service) noErrors(await checkKubernetes(d), `ratelimit.yaml: ${d.kind} ${d.metadata.name}`);
  const find = (kind, name) => service.find((d) => d.kind === kind && d.metadata.name === name);
  const deployment = find('Deployment', 'ratelimit');
  const pod = deployment.spec.template.spec;
  const env = Object.fromEntries(pod.containers[0].env.map((e) => [e.name, e.value]));
  const volume = pod.volumes.find((v) => v.configMap?.name === configMap.metadata.name);
  assert.ok(volume, `the Deployment mounts ${configMap.metadata.name}`);
  const mount = pod.containers[0].volumeMounts.find((m) => m.name === volume.name);
  assert.equal(mount.mountPath, `${env.RUNTIME_ROOT}/${env.RUNTIME_SUBDIRECTORY}/config`, 'where envoyproxy/ratelimit reads its configuration');
  assert.equal(env.RUNTIME_IGNOREDOTFILES, 'true', 'a ConfigMap mount holds ..data links');
  const svc = find('Service', 'ratelimit');
  for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(deployment.spec.template.metadata.labels[k], v);
  const grpcPort = svc.spec.ports.find((p) => p.appProtocol === 'grpc');
  assert.ok(pod.containers[0].ports.some((p) => p.containerPort === grpcPort.targetPort), 'the gRPC port is served');
  const policy = fs.readFileSync(path.join(ex, 'fleet.sentinel'), 'utf8');
  const cluster = /^\s*cluster "([^"]+)";/m.exec(policy)[1];
  assert.equal(cluster, `outbound|${grpcPort.port}||${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`,
    'the policy names the cluster Istio makes for the Service');
  const redis = find('Service', 'redis');
  assert.equal(env.REDIS_URL, `${redis.metadata.name}:${redis.spec.ports[0].port}`);
  console.log('ok    examples/istio fleet: WasmPlugin and ConfigMaps, ratelimit.yaml (schemas), the same configuration, mounted where read, the cluster the policy names');
}

main().catch((err) => {
  console.log(`FAIL  examples/istio fleet: ${err.message}`);
  process.exitCode = 1;
});
