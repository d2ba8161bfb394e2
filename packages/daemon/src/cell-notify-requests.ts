// A cell's `cell/notify` requests to the host (SPEC §5: requests, answered by the host), in
// order, with a bounded number in flight. A cell that notifies faster than the host answers
// waits here, charged to its undelivered output, instead of filling the host's pipe ahead of
// every other session's answers.
import type { CancellationToken } from "vscode-jsonrpc/node";
import type { MemoryBudget } from "./memory-budget.js";
import { requestSize } from "./memory-budget.js";
import { ReverseCalls } from "./reverse-calls.js";

/** Notifications of one cell sent to the host and not yet answered, at most. */
const MAX_IN_FLIGHT = 32;

export class CellNotifyRequests {
  private readonly calls: ReverseCalls;
  private queue: string[] = [];
  /** What the notifications waiting to be sent hold (in `requestSize` units). */
  private queuedBytes = 0;
  /** What the notifications sent and not yet answered hold. */
  private inFlightBytes = 0;

  constructor(
    counters: { pending: number },
    private readonly budget: MemoryBudget,
    private readonly send: (text: string, token: CancellationToken) => Promise<void>,
  ) {
    this.calls = new ReverseCalls(counters, budget);
  }

  /** What the cell's notifications hold until the host answers them: its undelivered output. */
  get heldBytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  /** Queues a notification; false, and nothing queued, when the daemon's budget has no room. */
  push(text: string): boolean {
    const bytes = requestSize(text);
    if (!this.budget.tryCharge(bytes)) return false;
    this.queue.push(text);
    this.queuedBytes += bytes;
    this.pump();
    return true;
  }

  /** Waits until every notification pushed so far has been answered. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.calls.size > 0) await this.calls.drain();
  }

  /** Drops what was not sent yet, and cancels what is in flight (see ReverseCalls.cancelAll). */
  async cancelAll(graceMs: number): Promise<void> {
    this.queue = [];
    this.budget.release(this.queuedBytes);
    this.queuedBytes = 0;
    await this.calls.cancelAll(graceMs);
  }

  private pump(): void {
    while (this.calls.size < MAX_IN_FLIGHT) {
      const text = this.queue.shift();
      if (text === undefined) return;
      const bytes = requestSize(text);
      this.queuedBytes -= bytes;
      this.inFlightBytes += bytes;
      this.calls
        .start((token) => this.send(text, token), bytes)
        .catch(() => {})
        .finally(() => {
          this.inFlightBytes -= bytes;
          this.pump();
        });
    }
  }
}
