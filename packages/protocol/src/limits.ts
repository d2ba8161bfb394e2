// Every limit of the daemon, with its default. One place for these numbers.
import { z } from "zod";

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();

/** Limits that apply to each cell; a session may override them on `session/open`. */
export const CellLimits = z.object({
  /** QuickJS heap of one cell, bytes. */
  heapBytes: positive,
  /** QuickJS stack of one cell, bytes. */
  stackBytes: positive,
  /** Time spent running the cell's JavaScript, milliseconds. */
  cpuTimeMs: positive,
  /** Size of one helper payload (text item, tool input, tool result), bytes. */
  payloadBytes: positive,
  /** Size of one notification, bytes. */
  notifyBytes: positive,
  /** Output produced but not yet delivered to an observer, bytes. */
  outputBytes: positive,
  /** Timers alive at once. */
  timers: count,
  /** Tool calls in flight at once. */
  pendingToolCalls: count,
});
export type CellLimits = z.infer<typeof CellLimits>;

export const CellLimitsOverride = CellLimits.partial();
export type CellLimitsOverride = z.infer<typeof CellLimitsOverride>;

const MiB = 1024 * 1024;

export const DEFAULT_CELL_LIMITS: CellLimits = {
  heapBytes: 64 * MiB,
  stackBytes: 256 * 1024,
  cpuTimeMs: 30_000,
  payloadBytes: 8 * MiB,
  notifyBytes: 1 * MiB,
  outputBytes: 32 * MiB,
  timers: 1_000,
  pendingToolCalls: 1_000,
};

/** Limits of the whole daemon. */
export const DaemonLimits = z.object({
  maxSessions: positive,
  maxCells: positive,
  /** Largest JSON-RPC message accepted, bytes. */
  maxMessageBytes: positive,
});
export type DaemonLimits = z.infer<typeof DaemonLimits>;

export const DEFAULT_DAEMON_LIMITS: DaemonLimits = {
  maxSessions: 1_000,
  maxCells: 10_000,
  maxMessageBytes: 64 * MiB,
};

/** Default yield deadline of `cell/execute` and `cell/wait`, milliseconds. */
export const DEFAULT_YIELD_TIME_MS = 10_000;

/** How long cancelled reverse requests may take to settle before they are abandoned. */
export const CANCEL_GRACE_MS = 100;

/** `base` with every limit that `override` sets. */
export function withOverrides(base: CellLimits, override: CellLimitsOverride | undefined): CellLimits {
  const merged = { ...base };
  for (const key of Object.keys(merged) as (keyof CellLimits)[]) {
    const value = override?.[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
