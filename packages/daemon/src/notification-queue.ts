// A cell's notifications to the host, in order, with a bounded number in flight. A cell that
// notifies faster than the host answers waits here, charged to its undelivered output, instead
// of filling the host's pipe ahead of every other session's answers.
import type { CancellationToken } from "vscode-jsonrpc/node";
import { ReverseCalls } from "./reverse-calls.js";

/** Notifications of one cell sent to the host and not yet answered, at most. */
const MAX_IN_FLIGHT = 32;
/** What a queued notification costs beyond its text, so that empty ones are not free. */
const QUEUED_OVERHEAD_BYTES = 64;

const cost = (text: string) => text.length + QUEUED_OVERHEAD_BYTES;

export class NotificationQueue {
  private readonly calls: ReverseCalls;
  private queue: string[] = [];
  /** What the notifications waiting to be sent hold. */
  queuedBytes = 0;

  constructor(
    counters: { pending: number },
    private readonly send: (text: string, token: CancellationToken) => Promise<void>,
  ) {
    this.calls = new ReverseCalls(counters);
  }

  push(text: string): void {
    this.queue.push(text);
    this.queuedBytes += cost(text);
    this.pump();
  }

  /** Waits until every notification pushed so far has been answered. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.calls.size > 0) await this.calls.drain();
  }

  /** Drops what was not sent yet, and cancels what is in flight (see ReverseCalls.cancelAll). */
  async cancelAll(graceMs: number): Promise<void> {
    this.queue = [];
    this.queuedBytes = 0;
    await this.calls.cancelAll(graceMs);
  }

  private pump(): void {
    while (this.calls.size < MAX_IN_FLIGHT) {
      const text = this.queue.shift();
      if (text === undefined) return;
      this.queuedBytes -= cost(text);
      this.calls
        .start((token) => this.send(text, token))
        .catch(() => {})
        .finally(() => this.pump());
    }
  }
}
