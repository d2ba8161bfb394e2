// A cell's view of its session's stored values (SPEC §3): the committed snapshot it started
// from, with its own writes on top, as JSON texts. It enforces the nesting limit, and charges
// every write at once to counters shared with the main thread and the session's other cells:
// the session's `storedBytes` and the daemon's memory budget. So whatever `store` accepts can
// be committed, reported and restored, however many cells of the session write at once.
import { MAX_VALUE_DEPTH } from "@codemode/protocol/defaults";
import { jsonDepthExceeds } from "@codemode/protocol/json-depth";
import { LimitTexts } from "../limit-texts.js";
import { MemoryBudget, storedSize } from "../memory-budget.js";
import { SharedCounter } from "../shared-counter.js";
import type { StoredAccounts } from "./worker-protocol.js";

export class StoredView {
  private readonly values: Map<string, string>;
  private readonly written = new Map<string, string>();
  private readonly session: SharedCounter;
  private readonly budget: MemoryBudget;
  private readonly growth: SharedCounter;
  private readonly charged: SharedCounter;

  constructor(
    snapshot: [string, string][],
    private readonly limits: { storedBytes: number },
    accounts: StoredAccounts,
  ) {
    this.values = new Map(snapshot);
    this.session = new SharedCounter(accounts.session);
    this.budget = new MemoryBudget(accounts.budgetBytes, new SharedCounter(accounts.budget));
    this.growth = new SharedCounter(accounts.growth);
    this.charged = new SharedCounter(accounts.charged);
  }

  load(key: string): string | undefined {
    return this.values.get(key);
  }

  /** Stores `json` under `key` (its size already checked by the host primitive); returns why it was refused, if it was. */
  store(key: string, json: string): string | undefined {
    if (jsonDepthExceeds(json, MAX_VALUE_DEPTH)) return LimitTexts.depth("stored value", MAX_VALUE_DEPTH);
    const previous = this.values.get(key);
    const delta = storedSize(key, json) - (previous === undefined ? 0 : storedSize(key, previous));
    // Only growth is refused: a session already over (seeded, or the limit lowered) can shrink.
    if (!this.session.tryAdd(delta, this.limits.storedBytes)) return LimitTexts.stored(this.limits.storedBytes);
    if (delta > 0 && !this.budget.tryCharge(delta)) {
      this.session.add(-delta);
      return LimitTexts.budget(this.budget.limitBytes);
    }
    this.growth.add(delta);
    // A shrink keeps its charge until the main thread settles the cell's writes.
    if (delta > 0) this.charged.add(delta);
    this.values.set(key, json);
    this.written.set(key, json);
    return undefined;
  }

  /** The cell's writes, in the order their keys were first written. */
  writes(): [string, string][] {
    return [...this.written];
  }
}
