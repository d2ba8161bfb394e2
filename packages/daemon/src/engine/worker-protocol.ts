// Messages between the daemon's main thread and an engine worker. Internal to the daemon.
import type { MessagePort } from "node:worker_threads";
import type { CellLimits, ContentItem } from "@codemode/protocol";

/** A tool as the guest sees it: its sanitised JS name and description. */
export interface GuestTool {
  jsName: string;
  description: string;
}

/**
 * The shared counters a cell's stored values are charged to as it writes them, so that
 * concurrent cells of one session together stay within `storedBytes` and the daemon budget.
 */
export interface StoredAccounts {
  /** The daemon's memory budget (`MemoryBudget.charged`) and its limit, bytes. */
  budget: SharedArrayBuffer;
  budgetBytes: number;
  /** The session's stored values: what is committed, plus what its live cells wrote on top. */
  session: SharedArrayBuffer;
  /** This cell's net change to the session's count, for the main thread to settle. */
  growth: SharedArrayBuffer;
  /** What this cell's writes charged to the budget, for the main thread to settle. */
  charged: SharedArrayBuffer;
}

/** The message that starts a cell in an engine worker. */
export interface StartCellMessage {
  type: "start";
  cell: number;
  source: string;
  tools: GuestTool[];
  /** The session's committed stored values, as JSON texts. */
  stored: [string, string][];
  accounts: StoredAccounts;
  limits: CellLimits;
}

export type ToWorker =
  | StartCellMessage
  | { type: "toolResult"; cell: number; call: number; json: string }
  | { type: "toolError"; cell: number; call: number; error: string }
  /** Ends a cell: terminated, or failed with `errorText` when the main thread enforces a limit. */
  | { type: "stop"; cell: number; errorText?: string };

export type FromWorker =
  /** The QuickJS module is loaded: cells start without delay from now on. */
  | { type: "ready" }
  | { type: "item"; cell: number; item: ContentItem }
  | { type: "toolCall"; cell: number; call: number; tool: number; input?: string }
  | { type: "notify"; cell: number; text: string }
  | { type: "yield"; cell: number }
  | {
      type: "done";
      cell: number;
      /** Set when the cell failed; absent on success (including `exit()`). */
      errorText?: string;
      /** True when the cell ended because it was terminated. */
      terminated: boolean;
      /** Stored-value writes of the cell, as JSON texts (empty when terminated). */
      writes: [string, string][];
    }
  /** The QuickJS module failed in a way that may have corrupted it; retire the worker. */
  | { type: "poisoned"; reason: string };

/** Slots of the Int32Array shared between the main thread and a worker. */
export const Shared = {
  /** Bumped by the main thread after posting a stop, so a busy interrupt handler looks. */
  control: 0,
  /** Timers alive in the worker (written by the worker). */
  timers: 1,
  /** Length of the shared array. */
  length: 2,
} as const;

/** Slots of the Float64Array the worker writes so the main thread's watchdog can read them. */
export const Busy = {
  /** `Date.now()` when the worker entered guest code, 0 while it is idle. */
  since: 0,
  /** The key of the cell running guest code. */
  cell: 1,
  length: 2,
} as const;

/** How engine workers are built: the same for every worker of a daemon. */
export interface EngineOptions {
  /** Each engine thread's stack, MiB (see ENGINE_STACK_MB). */
  stackMb: number;
  /**
   * Whether to load quickjs-emscripten's debug build (assertions, leak checks at every
   * runtime's end; several times slower) instead of the release build. For testing.
   */
  debug: boolean;
}

export interface WorkerInit {
  debug: boolean;
  shared: SharedArrayBuffer;
  busy: SharedArrayBuffer;
  port: MessagePort;
}
