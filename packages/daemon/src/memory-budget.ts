// The daemon-wide memory budget (`memoryBudgetBytes`) and what each kept thing costs against
// it. Every byte the daemon keeps on a cell's or a session's behalf is charged here while it
// is kept, so that no sequence of cells can run the process out of memory: what would go past
// the budget is refused with a clear error instead.
import type { ContentItem } from "@codemode/protocol";
import { ENTRY_OVERHEAD_BYTES } from "@codemode/protocol/defaults";
import { SharedCounter } from "./shared-counter.js";

/** What a stored value costs (against `storedBytes` and the budget): key, JSON text, overhead. */
export const storedSize = (key: string, json: string): number => key.length + json.length + ENTRY_OVERHEAD_BYTES;

/** What an undelivered item costs (against `outputBytes` and the budget). */
export const itemSize = (item: ContentItem): number =>
  (item.type === "text" ? item.text.length : item.imageUrl.length + item.detail.length) + ENTRY_OVERHEAD_BYTES;

/** What a pending reverse request costs: its text (tool input JSON, notification), overhead. */
export const requestSize = (text: string | undefined): number => (text?.length ?? 0) + ENTRY_OVERHEAD_BYTES;

/**
 * Sizes count UTF-16 code units (a JavaScript string's length), which is what V8 keeps of a
 * one-byte string and half of a two-byte one; the overhead covers the objects around it.
 */
export class MemoryBudget {
  constructor(
    /** The most that may be charged at once, bytes. */
    readonly limitBytes: number,
    /** What is charged, shared with the engine workers (which charge stored values as they are written). */
    readonly charged = new SharedCounter(),
  ) {}

  get chargedBytes(): number {
    return this.charged.value;
  }

  /** Charges `bytes` if they fit in what is left; returns whether they were charged. */
  tryCharge(bytes: number): boolean {
    // An amount that is not a size (NaN would disable the budget for good) is never charged.
    return isSize(bytes) && this.charged.tryAdd(bytes, this.limitBytes);
  }

  /**
   * Charges `bytes` even past the limit: for what the daemon already holds and must keep
   * (a completed cell's committed writes). Later charges are refused until it is released.
   */
  force(bytes: number): void {
    if (Number.isSafeInteger(bytes)) this.charged.add(bytes);
  }

  release(bytes: number): void {
    if (isSize(bytes)) this.charged.add(-bytes);
  }
}

const isSize = (bytes: number) => Number.isSafeInteger(bytes) && bytes >= 0;
