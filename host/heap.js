// heap.js: a binary min-heap under a given order.
//
// Why: the simulator's queue of timed events (simulate.js) and the merge of the
// traffic file's lines into one time-ordered stream (expand.js) both need "the
// earliest next", with ties broken by an order of their own; one heap serves both.
'use strict';

class Heap {
  // before(x, y): whether x comes out before y.
  constructor(before) {
    this.before = before;
    this.items = [];
  }

  get size() { return this.items.length; }
  peek() { return this.items[0]; }

  push(item) {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop() {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0) return top;
    a[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      let m = i;
      if (l < a.length && this.before(a[l], a[m])) m = l;
      if (l + 1 < a.length && this.before(a[l + 1], a[m])) m = l + 1;
      if (m === i) break;
      [a[i], a[m]] = [a[m], a[i]];
      i = m;
    }
    return top;
  }
}

module.exports = { Heap };
