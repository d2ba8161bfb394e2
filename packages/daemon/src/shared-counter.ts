// A byte count that the main thread and the engine workers update together, without a message
// round trip: a 64-bit integer in a SharedArrayBuffer, changed only with Atomics.

/** Bytes of the SharedArrayBuffer behind one counter. */
const COUNTER_BYTES = BigInt64Array.BYTES_PER_ELEMENT;

export class SharedCounter {
  private readonly slot: BigInt64Array;

  /** A view of the counter in `buffer` (a new one, at 0, when none is given). */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(COUNTER_BYTES)) {
    this.slot = new BigInt64Array(buffer, 0, 1);
  }

  get value(): number {
    return Number(Atomics.load(this.slot, 0));
  }

  /**
   * Adds `delta` (a whole number), unless it grows the count past `limit`; returns whether
   * it added. Shrinking is always allowed, even from past the limit.
   */
  tryAdd(delta: number, limit: number): boolean {
    const step = BigInt(delta);
    for (;;) {
      const current = Atomics.load(this.slot, 0);
      const next = current + step;
      if (delta > 0 && Number(next) > limit) return false;
      if (Atomics.compareExchange(this.slot, 0, current, next) === current) return true;
    }
  }

  /** Adds `delta` (a whole number, possibly negative) whatever the result. */
  add(delta: number): void {
    Atomics.add(this.slot, 0, BigInt(delta));
  }
}
