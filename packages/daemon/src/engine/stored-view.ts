// A cell's view of its session's stored values (SPEC §3): the committed snapshot it started
// from, with its own writes on top, as JSON texts. It enforces `storedBytes` and the nesting
// limit, so that whatever `store` accepts can be committed, reported and restored.
import { MAX_VALUE_DEPTH } from "@codemode/protocol/defaults";
import { jsonDepthExceeds } from "@codemode/protocol/json-depth";
import { LimitTexts } from "../limit-texts.js";
import { storedSize } from "../memory-budget.js";

export class StoredView {
  private readonly values: Map<string, string>;
  /** What `values` holds, in `storedSize` units. */
  private total = 0;
  private readonly written = new Map<string, string>();

  constructor(
    snapshot: [string, string][],
    private readonly limits: { storedBytes: number; payloadBytes: number },
  ) {
    this.values = new Map(snapshot);
    for (const [key, json] of snapshot) this.total += storedSize(key, json);
  }

  load(key: string): string | undefined {
    return this.values.get(key);
  }

  /** Stores `json` under `key`; returns why it was refused, if it was. */
  store(key: string, json: string): string | undefined {
    if (json.length > this.limits.payloadBytes) return LimitTexts.payload("stored value", this.limits.payloadBytes);
    if (jsonDepthExceeds(json, MAX_VALUE_DEPTH)) return LimitTexts.depth("stored value", MAX_VALUE_DEPTH);
    const previous = this.values.get(key);
    const total = this.total - (previous === undefined ? 0 : storedSize(key, previous)) + storedSize(key, json);
    // Only growth is refused: a session already over (seeded, or the limit lowered) can shrink.
    if (total > this.limits.storedBytes && total > this.total) return LimitTexts.stored(this.limits.storedBytes);
    this.total = total;
    this.values.set(key, json);
    this.written.set(key, json);
    return undefined;
  }

  /** The cell's writes, in the order their keys were first written. */
  writes(): [string, string][] {
    return [...this.written];
  }
}
