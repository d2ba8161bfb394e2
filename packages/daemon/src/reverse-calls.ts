// In-flight reverse requests of one cell (tool calls or notifications): each has a
// cancellation source so the cell can cancel them, and a grace after which they are abandoned.
// (vscode-jsonrpc's cancellation tokens, which its requests take as they are: an
// AbortController per tool call would cost more than the rest of the daemon's work for it.)
import { type CancellationToken, CancellationTokenSource } from "vscode-jsonrpc/node";
import type { MemoryBudget } from "./memory-budget.js";

interface Relay<T> {
  resolve?: ((value: T) => void) | undefined;
  reject?: ((error: unknown) => void) | undefined;
}

export class ReverseCalls {
  private readonly inFlight = new Map<Promise<unknown>, { source: CancellationTokenSource; relay: Relay<never> }>();
  /** Resolved once no call is in flight. */
  private idle: (() => void)[] = [];

  constructor(
    private readonly counter: { pending: number },
    private readonly budget: MemoryBudget,
  ) {}

  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Starts a call; the returned promise settles with the call, or never if it was abandoned.
   * `bytes`, already charged to the budget, stay charged until the host answers, abandoned or
   * not: until then the connection keeps the request.
   */
  start<T>(call: (token: CancellationToken) => Promise<T>, bytes: number): Promise<T> {
    const source = new CancellationTokenSource();
    // The call's answer goes through a relay that an abandoned call clears: a host that never
    // answers keeps its request pending in the connection for ever, and it must not keep the
    // cell (and whatever the caller chained on the result) alive with it.
    const relay: Relay<T> = {};
    const result = new Promise<T>((resolve, reject) => {
      relay.resolve = resolve;
      relay.reject = reject;
    });
    const tracked: Promise<void> = call(source.token).then(
      (value) => {
        this.budget.release(bytes);
        relay.resolve?.(value);
        this.forget(tracked);
      },
      (error: unknown) => {
        this.budget.release(bytes);
        relay.reject?.(error);
        this.forget(tracked);
      },
    );
    this.inFlight.set(tracked, { source, relay });
    this.counter.pending++;
    return result;
  }

  /** Resolves once no call is in flight: each has settled, or was abandoned. */
  drain(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Aborts every call, waits up to `graceMs` for them to settle, then abandons the rest. */
  async cancelAll(graceMs: number): Promise<void> {
    if (this.inFlight.size === 0) return;
    for (const { source } of this.inFlight.values()) source.cancel();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.drain(), grace]);
    clearTimeout(timer);
    for (const tracked of [...this.inFlight.keys()]) this.forget(tracked);
  }

  private forget(tracked: Promise<unknown>): void {
    const call = this.inFlight.get(tracked);
    if (!call) return;
    call.source.dispose();
    call.relay.resolve = undefined;
    call.relay.reject = undefined;
    this.inFlight.delete(tracked);
    this.counter.pending--;
    if (this.inFlight.size > 0) return;
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }
}
