// How the queue consumer shares its POSTs among destinations, in this isolate: no destination holds more than
// `perDestination` POSTs at once, and a destination that let a POST time out lately is slow: its next POSTs
// get a shorter timeout and share one lane of `slowLane` slots. A hanging webhook then holds one slot for a
// few seconds at a time, not every slot of the batch for the whole timeout, and the other destinations' deliveries
// go on. A delivery that finds no slot is not sent now: the consumer gives its claim back and asks again a
// moment later. Pure bookkeeping: the caller passes the clock.

const defaults = {
  perDestination: 2,        // POSTs in flight to one destination
  slowLane: 1,              // POSTs in flight to all slow destinations together
  slowForMs: 10 * 60 * 1000, // a timeout makes a destination slow this long, unless it answers meanwhile
  slowTimeoutSeconds: 5,    // the timeout of a slow destination's POSTs (never longer than the configured one)
};

// Returns the lanes of one isolate: {enter(key, now, timeoutSeconds), leave(slot, {timedOut, answered}, now)}.
/** @typedef {{ key: string, slow: boolean, timeoutSeconds: number }} Slot */
/** @param {Partial<typeof defaults>} [options] */
export function createLanes(options = {}) {
  const limits = { ...defaults, ...options };
  /** @type {Map<string, number>} */
  const inFlight = new Map(); // key -> POSTs in flight
  /** @type {Map<string, number>} */
  const slowUntil = new Map(); // key -> until when it counts as slow
  let slowInFlight = 0;

  /** @param {string} key @param {number} now */
  const isSlow = (key, now) => {
    const until = slowUntil.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    slowUntil.delete(key);
    return false;
  };

  return {
    // Takes a slot for a POST to destination `key` whose configured timeout is `timeoutSeconds`. Returns the
    // slot {key, slow, timeoutSeconds} (the timeout to use), or null when the destination or the slow lane has
    // none free.
    /** @param {string} key @param {number} now @param {number} timeoutSeconds @returns {Slot | null} */
    enter(key, now, timeoutSeconds) {
      const slow = isSlow(key, now);
      if ((inFlight.get(key) ?? 0) >= limits.perDestination) return null;
      if (slow && slowInFlight >= limits.slowLane) return null;
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      if (slow) slowInFlight += 1;
      return { key, slow, timeoutSeconds: slow ? Math.min(timeoutSeconds, limits.slowTimeoutSeconds) : timeoutSeconds };
    },

    // Gives a slot back with what its POST came to: `timedOut` makes the destination slow; `answered` (any HTTP
    // answer) makes it well again.
    /** @param {Slot} slot @param {{ timedOut?: boolean, answered?: boolean }} result @param {number} now */
    leave(slot, { timedOut = false, answered = false }, now) {
      const left = (inFlight.get(slot.key) ?? 1) - 1;
      if (left > 0) inFlight.set(slot.key, left);
      else inFlight.delete(slot.key);
      if (slot.slow) slowInFlight -= 1;
      if (timedOut) slowUntil.set(slot.key, now + limits.slowForMs);
      else if (answered) slowUntil.delete(slot.key);
    },
  };
}
