// Request-id bookkeeping of one connection, both ways. Ids are compared exactly: `7` and `"7"`
// are different ids, as JSON-RPC says.
import type { ResponseMessage } from "vscode-jsonrpc/node";

type Id = string | number;

/**
 * The ids of the peer's requests still waiting for their answer. vscode-jsonrpc keys its
 * queue by the id as text, so a second request with an id in use (or `7` after `"7"`) would
 * silently replace the first, which then never gets an answer: such a request is refused.
 */
export class PeerRequests {
  /** Answers still due per id: the request's own, plus refusals of duplicates. */
  private readonly due = new Map<string, number>();
  private idle: (() => void)[] = [];

  /** Takes a request's id; false if a request with that id is still waiting for its answer. */
  admit(id: Id): boolean {
    const fresh = !this.due.has(String(id));
    this.expect(id);
    return fresh;
  }

  /** Some answer with this id will be written. */
  expect(id: Id): void {
    const key = String(id);
    this.due.set(key, (this.due.get(key) ?? 0) + 1);
  }

  /** An answer with this id was written. */
  answered(id: ResponseMessage["id"]): void {
    if (id === null) return;
    const key = String(id);
    const count = this.due.get(key);
    if (count === undefined) return;
    if (count > 1) this.due.set(key, count - 1);
    else this.due.delete(key);
    if (this.due.size > 0) return;
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }

  /** Resolves once every request taken so far has been answered. */
  allAnswered(): Promise<void> {
    if (this.due.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}

/**
 * The ids of our requests still waiting for the peer's answer. Only the first answer with
 * exactly such an id is passed on: a stray answer (an id never sent, or `"0"` for `0`) or a
 * second one is dropped, so that it can never take the place of the real one.
 */
export class OwnRequests {
  private readonly waiting = new Set<Id>();

  sent(id: Id): void {
    this.waiting.add(id);
  }

  /** Whether an answer with this id is the awaited one; it is awaited no more. */
  take(id: ResponseMessage["id"]): boolean {
    return id !== null && this.waiting.delete(id);
  }
}
