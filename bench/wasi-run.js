// wasi-run.js: runs a WASI command module in Node's V8, the engine Envoy
// runs Proxy-Wasm filters on: bench/run's way to time the matcher built
// for wasm32 (match_bench.c) where it will really run, without the
// Proxy-Wasm host around it.
//
//   node wasi-run.js MODULE.wasm [ARG ...] FILE
//
// The last argument is a file; its directory is the only one the module
// sees.
'use strict';
const { WASI } = require('node:wasi');
const fs = require('node:fs');
const path = require('node:path');

const [modulePath, ...args] = process.argv.slice(2);
const file = path.resolve(args.pop());
const wasi = new WASI({
  version: 'preview1',
  args: [path.basename(modulePath), ...args, `/data/${path.basename(file)}`],
  preopens: { '/data': path.dirname(file) },
});
const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(modulePath)),
  wasi.getImportObject());
process.exitCode = wasi.start(instance);
