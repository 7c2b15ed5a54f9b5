// The consumer's share of POSTs among destinations (js-shim/lanes.mjs), as pure bookkeeping.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createLanes } from '../../../js-shim/lanes.mjs';

test('no destination holds more than its share of slots; a slot given back is free again', () => {
  const lanes = createLanes({ perDestination: 2 });
  const first = lanes.enter('a', 0, 15);
  const second = lanes.enter('a', 0, 15);
  assert.deepEqual([first.timeoutSeconds, second.timeoutSeconds], [15, 15]);
  assert.equal(lanes.enter('a', 0, 15), null, 'a third POST to one destination waits');
  assert.ok(lanes.enter('b', 0, 15), 'another destination is not held by it');
  lanes.leave(first, { answered: true }, 1);
  assert.ok(lanes.enter('a', 1, 15));
});

test('a destination that timed out is slow: a short timeout, one lane for all slow ones, until it answers', () => {
  const lanes = createLanes({ slowLane: 1, slowTimeoutSeconds: 5, slowForMs: 60_000 });
  for (const key of ['h1', 'h2']) lanes.leave(lanes.enter(key, 0, 15), { timedOut: true }, 1000);
  const slow = lanes.enter('h1', 2000, 15);
  assert.deepEqual([slow.slow, slow.timeoutSeconds], [true, 5]);
  assert.equal(lanes.enter('h2', 2000, 15), null, 'the slow lane is taken');
  assert.equal(lanes.enter('fine', 2000, 15).timeoutSeconds, 15, 'a destination that never hung keeps its timeout');
  assert.equal(createLanes({ slowTimeoutSeconds: 5 }).enter('x', 0, 3).timeoutSeconds, 3, 'never longer than configured');
  lanes.leave(slow, { answered: true }, 3000);
  assert.equal(lanes.enter('h1', 3000, 15).slow, false, 'an answer makes it well again');
  const h2 = lanes.enter('h2', 3000, 15);
  assert.deepEqual([h2.slow, h2.timeoutSeconds], [true, 5], 'the lane is free again for the other slow one');
});

test('a slow destination is slow only for slowForMs', () => {
  const lanes = createLanes({ slowForMs: 60_000 });
  lanes.leave(lanes.enter('h', 0, 15), { timedOut: true }, 0);
  assert.equal(lanes.enter('h', 59_999, 15).slow, true);
  const later = createLanes({ slowForMs: 60_000 });
  later.leave(later.enter('h', 0, 15), { timedOut: true }, 0);
  assert.equal(later.enter('h', 60_000, 15).slow, false);
});
