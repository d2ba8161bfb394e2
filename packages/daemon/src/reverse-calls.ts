// In-flight reverse requests of one cell (tool calls or notifications): each has an
// AbortController so the cell can cancel them, and a grace after which they are abandoned.

export class ReverseCalls {
  private readonly inFlight = new Map<Promise<unknown>, AbortController>();

  constructor(private readonly counter: { pending: number }) {}

  get size(): number {
    return this.inFlight.size;
  }

  /** Starts a call; the returned promise settles with the call, or never if it was abandoned. */
  start<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const promise = call(controller.signal);
    const tracked: Promise<void> = promise.then(
      () => this.forget(tracked),
      () => this.forget(tracked),
    );
    this.inFlight.set(tracked, controller);
    this.counter.pending++;
    return promise;
  }

  /** Waits until every call in flight now has settled. */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight.keys());
  }

  /** Aborts every call, waits up to `graceMs` for them to settle, then abandons the rest. */
  async cancelAll(graceMs: number): Promise<void> {
    if (this.inFlight.size === 0) return;
    for (const controller of this.inFlight.values()) controller.abort();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.drain(), grace]);
    clearTimeout(timer);
    for (const tracked of [...this.inFlight.keys()]) this.forget(tracked);
  }

  private forget(tracked: Promise<unknown>): void {
    if (this.inFlight.delete(tracked)) this.counter.pending--;
  }
}
