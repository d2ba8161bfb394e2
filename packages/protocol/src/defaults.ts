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
 * whole stays under MAX_MESSAGE_DEPTH, the 1,000 levels that common JSON parsers (Python's
 * among them) accept.
 */
export const MAX_VALUE_DEPTH = 512;

/**
 * The longest delay Node keeps for a timer, ms (2^31 − 1, about 24.8 days): a longer one
 * fires at once. Every deadline either end arms is capped at it, or refused above it.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** The message framings both ends speak: LSP `Content-Length` headers, or one JSON message per line. */
export const FRAMINGS = ["content-length", "ndjson"] as const;
export type Framing = (typeof FRAMINGS)[number];

/**
 * How deep a message may nest (objects and arrays, the message itself being level 1). Deeper
 * ones are refused with -32600 (a response becomes an error for its request): code that walks
 * messages recursively, tracing among it, overflows the stack a few thousand levels down.
 */
export const MAX_MESSAGE_DEPTH = 1_000;

/**
 * After the host's input ends, how long cells that need nothing from the host may run on to
 * give their answers before they are terminated (ms).
 */
export const DEFAULT_EOF_GRACE_MS = 10_000;

/**
 * After a network connection closes, how long its sessions stay detached, their cells running,
 * for a `session/open` from a new connection to take them over; then their cells are
 * terminated and the sessions closed (ms).
 */
export const DEFAULT_RECONNECT_GRACE_MS = 30_000;

/**
 * How often a daemon pings each network connection (WebSocket ping, ms). One that has not
 * answered the previous ping with a pong is closed, so that a host gone without a word (a
 * dead peer, a half-open TCP connection) does not hold its sessions past the reconnect grace;
 * the pings also keep an idle connection open through proxies with idle timeouts.
 */
export const DEFAULT_HEARTBEAT_MS = 15_000;
