// The ids of the peer's requests still waiting for their answer. vscode-jsonrpc keys its
// queue by the id as text, so a second request with an id in use (or `7` after `"7"`) would
// silently replace the first, which then never gets an answer: such a request is refused.
import type { ResponseMessage } from "vscode-jsonrpc/node";

type Id = string | number;

export class RequestIds {
  /** Answers still due per id: the request's own, plus refusals of duplicates. */
  private readonly due = new Map<string, number>();

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
  }
}
