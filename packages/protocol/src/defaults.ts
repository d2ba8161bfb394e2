// Every limit of the daemon, with its default: one place for these numbers. Plain values, so
// that code which must start fast can import them without zod.
import type { CellLimits, DaemonLimits } from "./limits.js";

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
  // A third of the message limit: however the texts encode, a reopened session's values fit in
  // one `session/open`.
  storedBytes: 16 * MiB,
  pendingInputBytes: 32 * MiB,
};

export const DEFAULT_DAEMON_LIMITS: DaemonLimits = {
  maxSessions: 1_000,
  maxCells: 10_000,
  maxMessageBytes: 64 * MiB,
  memoryBudgetBytes: 1024 * MiB,
};

/** Default yield deadline of `cell/execute` and `cell/wait`, milliseconds. */
export const DEFAULT_YIELD_TIME_MS = 10_000;

/** How long cancelled reverse requests may take to settle before they are abandoned. */
export const CANCEL_GRACE_MS = 100;

/**
 * What the daemon counts for each item it keeps on a cell's behalf (a text or image item, a
 * notification, a pending tool call, a stored key), bytes, beyond the item's own text: so
 * that a flood of empty items is bounded like any other.
 */
export const ENTRY_OVERHEAD_BYTES = 64;

/**
 * How deeply the arrays and objects of a value a cell hands out (a stored value, a tool
 * input) may nest, levels. The messages that carry such a value add a few levels, and the
 * whole stays under the 1,000 levels that common JSON parsers (Python's among them) accept.
 */
export const MAX_VALUE_DEPTH = 512;
