// The schemas of the daemon's limits; their defaults are in defaults.ts.
//
// Units: `heapBytes`, `stackBytes` and `maxMessageBytes` are bytes. The limits on text
// (`payloadBytes`, `notifyBytes`, `outputBytes`, `storedBytes`, `pendingInputBytes` and
// `memoryBudgetBytes`) count UTF-16 code units of the text (its JavaScript `length`), which the
// engine reads without a copy: the same as bytes for ASCII text; a text of other characters
// takes up to 3 UTF-8 bytes per unit on the wire (4 for a pair of units).
import { z } from "zod";

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();

/** Limits that apply to each cell; a session may override them on `session/open`. */
export const CellLimits = z.object({
  /** QuickJS heap of one cell, bytes. */
  heapBytes: positive,
  /**
   * QuickJS stack of one cell, bytes. At most 1 MiB: past what the engine thread's own stack
   * holds, deep recursion overflows that stack instead of failing in the cell.
   */
  stackBytes: positive.max(1024 * 1024),
  /** Time spent running the cell's JavaScript, milliseconds. */
  cpuTimeMs: positive,
  /** Size of one helper payload (text item, tool input, tool result), in UTF-16 code units. */
  payloadBytes: positive,
  /** Size of one notification, in UTF-16 code units. */
  notifyBytes: positive,
  /**
   * Output produced but not yet delivered to an observer, in UTF-16 code units (each item or
   * notification its text plus a fixed overhead).
   */
  outputBytes: positive,
  /** Timers alive at once. */
  timers: count,
  /** Tool calls in flight at once. */
  pendingToolCalls: count,
  /**
   * All of a session's stored values as one cell sees them (keys and JSON texts, plus a fixed
   * overhead per value), in UTF-16 code units.
   */
  storedBytes: positive,
  /**
   * Inputs of the tool calls in flight at once (their JSON texts, plus a fixed overhead per
   * call), in UTF-16 code units: what the daemon holds for them until the host answers.
   */
  pendingInputBytes: positive,
});
export type CellLimits = z.infer<typeof CellLimits>;

export const CellLimitsOverride = CellLimits.partial();
export type CellLimitsOverride = z.infer<typeof CellLimitsOverride>;

/** Limits of the whole daemon. */
export const DaemonLimits = z.object({
  maxSessions: positive,
  maxCells: positive,
  /** Largest JSON-RPC message accepted, bytes. */
  maxMessageBytes: positive,
  /**
   * What the daemon holds for all cells and sessions together on its main thread and in its
   * engine workers' JavaScript heaps (undelivered items, notifications, pending tool inputs,
   * stored values and the copies cells read them from), in UTF-16 code units of those texts.
   */
  memoryBudgetBytes: positive,
});
export type DaemonLimits = z.infer<typeof DaemonLimits>;

/** `base` with every limit that `override` sets. */
export function withOverrides(base: CellLimits, override: CellLimitsOverride | undefined): CellLimits {
  const merged = { ...base };
  for (const key of Object.keys(merged) as (keyof CellLimits)[]) {
    const value = override?.[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
