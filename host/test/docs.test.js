// docs.test.js: the traffic examples of docs/traffic.md are real: every code block
// whose first line is a comment `# NAME.traffic` parses and expands into requests,
// and the imported example is what `sentc-host import` writes for the sample log.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { parseTraffic } = require('../traffic.js');
const { events } = require('../expand.js');
const { importAccessLog } = require('../accesslog.js');

const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'traffic.md'), 'utf8');
const blocks = [...doc.matchAll(/^```\n(# ([a-z]+)\.traffic[^\n]*\n[\s\S]*?)^```$/gm)].map((m) => ({ name: m[2], text: m[1] }));

test('every example traffic file in docs/traffic.md parses and makes requests', () => {
  assert.deepEqual(blocks.map((b) => b.name), ['answers', 'arrivals', 'draws', 'imported', 'timeline', 'shop']);
  for (const { name, text } of blocks) {
    const t = parseTraffic(text, `${name}.traffic`);
    assert.ok([...events(t)].some((e) => e.kind === 'request'), name);
  }
});

test('the imported example is what import writes', () => {
  const block = blocks.find((b) => b.name === 'imported').text;
  const { traffic } = importAccessLog(fs.readFileSync(path.join(__dirname, 'access_envoy.txt'), 'utf8'), 'access.log');
  const lines = (text) => text.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(lines(block), lines(traffic));
});
