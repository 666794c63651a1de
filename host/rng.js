// rng.js: the traffic generator's own seeded random numbers (xoshiro128**), one
// independent stream per purpose.
//
// Why: synthetic traffic (Poisson or jittered arrivals, values drawn from a range,
// answers drawn by percentage) must give the same requests every time a file is run,
// and editing one line must not change what another line draws. So every stream is
// keyed by the file's `seed`, the line's own words and what it draws for (arrivals,
// values, answers), and none of them touches the module's `random_get` stream
// (proxywasm.js), so adding a draw to the traffic never changes what the module
// sees.
'use strict';

// FNV-1a over the key's text, then splitmix32 to spread it into four state words.
function seedWords(key) {
  let h = 0x811c9dc5;
  for (const ch of key) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    h = (h + 0x9e3779b9) >>> 0;
    let z = h;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    words[i] = (z ^ (z >>> 16)) >>> 0;
  }
  if (words.every((w) => w === 0)) words[0] = 1;
  return words;
}

const rotl = (x, k) => ((x << k) | (x >>> (32 - k))) >>> 0;

class Rng {
  // `parts` name the stream, e.g. (seed, line, 'arrivals').
  constructor(...parts) { this.s = seedWords(parts.join('\u0000')); }

  // xoshiro128**: the next 32 random bits.
  next32() {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  // A float in [0, 1) with 53 random bits.
  float() { return ((this.next32() >>> 5) * 67108864 + (this.next32() >>> 6)) / 9007199254740992; }

  // A whole number from 0 to n - 1 (n up to 2^53).
  below(n) { return Math.floor(this.float() * n); }

  // An exponential variate with mean 1: the gap between Poisson arrivals at rate 1.
  exponential() { return -Math.log(1 - this.float()); }
}

// Cumulative weights -> the index of one drawn in proportion to its weight.
function pickIndex(cumulative, rng) {
  const x = rng.float() * cumulative[cumulative.length - 1];
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] > x) hi = mid; else lo = mid + 1;
  }
  return lo;
}

// Cumulative Zipf weights 1/k^s for ranks 1..n (rank 1 the most frequent).
function zipfTable(n, s) {
  const table = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) {
    sum += 1 / k ** s;
    table[k - 1] = sum;
  }
  return table;
}

module.exports = { Rng, pickIndex, zipfTable };
