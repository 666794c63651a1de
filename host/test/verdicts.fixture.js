// verdicts.fixture.js: what verdicts.test.js and timeline.test.js both run on:
// verdicts.wat (a module that logs exactly what each request asks for) built
// into a temporary directory, verdicts.traffic, the same traffic without any
// decision line (SILENT: what the host knows without them), a simulation of a
// traffic text, and the sentc-host command line.  Not a test file itself
// (tests/host.test runs host/test/*.test.js only).
'use strict';

const test = require('node:test');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { parseTraffic } = require('../traffic.js');
const { simulate } = require('../simulate.js');
const { LogLevel } = require('../proxywasm.js');

// A fixture for the calling test file: its temporary directory goes when its tests end.
function verdictsFixture(name) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `sentc-${name}-`));
  test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const wasmPath = path.join(tmp, 'verdicts.wasm');
  execFileSync(process.env.WAT2WASM || 'wat2wasm', [path.join(__dirname, 'verdicts.wat'), '-o', wasmPath]);
  const wasm = new WebAssembly.Module(fs.readFileSync(wasmPath));
  const trafficPath = path.join(__dirname, 'verdicts.traffic');
  const TRAFFIC = fs.readFileSync(trafficPath, 'utf8');
  return {
    tmp, wasm, wasmPath, trafficPath, TRAFFIC,
    SILENT: TRAFFIC.replace(/ x-log2?="[^"]*"/g, '').replace(/^expect .*$/gm, ''),
    cli: (...args) => spawnSync(process.execPath, [path.join(__dirname, '..', 'sentc-host.js'), ...args], { encoding: 'utf8' }),
    run: (text, logLevel = LogLevel.trace) => simulate(wasm, parseTraffic(text, 't.traffic'), { logLevel }),
  };
}

module.exports = { verdictsFixture };
