// A session: its cells, its committed stored values, and its shutdown. Plain values in and out.
import {
  type CellExecuteParams,
  type CellLimits,
  type CellOutcome,
  DEFAULT_YIELD_TIME_MS,
  type JsonObject,
  type JsonValue,
} from "@codemode/protocol";
import { Cell, type CellHost, type CellOwner, missingOutcome, type WriteLedger } from "./cell.js";
import { Errors } from "./daemon-error.js";
import type { WorkerHandle } from "./engine/worker-handle.js";
import { LimitTexts } from "./limit-texts.js";
import { type MemoryBudget, storedSize } from "./memory-budget.js";
import { SharedCounter } from "./shared-counter.js";

/** What a session reports to the outside (the RPC layer turns these into notifications). */
export interface SessionEvents {
  cellStarted(sessionId: string, cellId: string, toolCallId: string): void;
  cellClosed(sessionId: string, cellId: string): void;
  stored(sessionId: string, cellId: string, values: JsonObject): void;
}

/** Daemon-wide resources a session draws on. */
export interface SessionContext {
  readonly host: CellHost;
  readonly events: SessionEvents;
  readonly counters: { pending: number; cells: number };
  readonly budget: MemoryBudget;
  /** Throws when the daemon cannot take one more cell. */
  admitCell(): void;
  engineFor(sessionId: string): WorkerHandle;
}

export class Session {
  private readonly cells = new Map<string, Cell>();
  /** Committed values as JSON texts, so a cell's snapshot costs no re-serialisation. */
  private readonly stored: Map<string, string>;
  /** What `stored` costs (`storedSize`), charged to the budget while the session lives. */
  private storedTotal = 0;
  /**
   * `storedTotal` plus what the session's live cells have written on top, shared with their
   * engines, which check `storedBytes` against it at every `store`.
   */
  private readonly storedCount = new SharedCounter();
  private nextCellId = 1;
  private shuttingDown = false;
  private readonly owner: CellOwner;

  constructor(
    readonly id: string,
    storedValues: JsonObject,
    private readonly limits: CellLimits,
    private readonly context: SessionContext,
  ) {
    this.stored = new Map(Object.entries(storedValues).map(([key, value]) => [key, JSON.stringify(value)]));
    for (const [key, json] of this.stored) this.storedTotal += storedSize(key, json);
    if (!context.budget.tryCharge(this.storedTotal)) throw this.budgetError();
    this.storedCount.add(this.storedTotal);
    this.owner = {
      sessionId: id,
      host: context.host,
      counters: context.counters,
      budget: context.budget,
      commit: (cellId, writes, ledger) => this.commit(cellId, writes, ledger),
      discard: (ledger) => this.settle(0, ledger),
      closed: (cell) => this.cellClosed(cell),
    };
  }

  /** How many cells are live (admitted and not yet closed). */
  get liveCells(): number {
    return this.cells.size;
  }

  /** The cells holding daemon capacity, as `session/cell` names. */
  cellNames(): string[] {
    return [...this.cells.keys()].map((cellId) => `${this.id}/${cellId}`);
  }

  /** The cell whose completion has waited longest for a `wait`, if any. */
  oldestBuffered(): Cell | undefined {
    let oldest: Cell | undefined;
    for (const cell of this.cells.values()) {
      const since = cell.bufferedSince;
      if (since !== undefined && (oldest === undefined || since < (oldest.bufferedSince ?? since))) oldest = cell;
    }
    return oldest;
  }

  /** Admits a cell (synchronously, so a racing shutdown sees it) and returns its first observation. */
  execute(params: CellExecuteParams, signal?: AbortSignal): Promise<CellOutcome> {
    if (this.shuttingDown) throw Errors.shuttingDown();
    const cellId = params.cellId ?? this.allocateCellId();
    if (this.cells.has(cellId)) throw Errors.duplicateCell(cellId);
    this.context.admitCell();
    // The engine gets its own copy of the stored values, charged until it is freed.
    if (!this.context.budget.tryCharge(this.storedTotal)) throw this.budgetError();
    this.context.events.cellStarted(this.id, cellId, params.toolCallId);
    const cell = new Cell(this.owner, this.context.engineFor(this.id), {
      cellId,
      toolCallId: params.toolCallId,
      source: params.source,
      tools: params.enabledTools,
      stored: [...this.stored],
      storedBytes: this.storedTotal,
      storedCount: this.storedCount,
      limits: this.limits,
    });
    this.cells.set(cellId, cell);
    this.context.counters.cells++;
    return cell.observe(params.yieldTimeMs ?? DEFAULT_YIELD_TIME_MS, signal);
  }

  wait(cellId: string, yieldTimeMs: number | undefined, signal?: AbortSignal): Promise<CellOutcome> {
    const cell = this.cells.get(cellId);
    if (!cell) return Promise.resolve(missingOutcome(cellId));
    return cell.observe(yieldTimeMs ?? DEFAULT_YIELD_TIME_MS, signal);
  }

  terminate(cellId: string): Promise<CellOutcome> {
    const cell = this.cells.get(cellId);
    if (!cell) return Promise.resolve(missingOutcome(cellId));
    return cell.terminate();
  }

  storedValues(): JsonObject {
    return jsonObject(this.stored);
  }

  /** Refuses new cells, stops every live one, and resolves once none is left. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all([...this.cells.values()].map((cell) => cell.stop()));
  }

  /** The session is forgotten: its committed values no longer count. */
  dispose(): void {
    this.context.budget.release(this.storedTotal);
    this.storedTotal = 0;
  }

  private budgetError(): Error {
    return Errors.limit(LimitTexts.budget(this.context.budget.limitBytes));
  }

  private allocateCellId(): string {
    while (this.cells.has(String(this.nextCellId))) this.nextCellId++;
    return String(this.nextCellId++);
  }

  private async commit(cellId: string, writes: [string, string][], ledger: WriteLedger): Promise<void> {
    let delta = 0;
    for (const [key, json] of writes) {
      const previous = this.stored.get(key);
      delta += storedSize(key, json) - (previous === undefined ? 0 : storedSize(key, previous));
      this.stored.set(key, json);
    }
    this.settle(delta, ledger);
    // Reported in parts, the event loop turning between them: a cell that wrote a few hundred
    // thousand keys does not hold up every other session while they are written out.
    for (const part of reportParts(writes)) {
      this.context.events.stored(this.id, cellId, jsonObject(part));
      if (part.length < writes.length) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * The committed values changed by `delta` bytes (0 when the writes were dropped): that
   * replaces what the cell's writes were counted and charged for while it ran.
   */
  private settle(delta: number, ledger: WriteLedger): void {
    this.storedTotal += delta;
    this.storedCount.add(delta - ledger.growth);
    this.context.budget.force(delta);
    this.context.budget.release(ledger.charged);
  }

  private cellClosed(cell: Cell): void {
    if (this.cells.get(cell.id) !== cell) return;
    this.cells.delete(cell.id);
    this.context.counters.cells--;
    this.context.events.cellClosed(this.id, cell.id);
  }
}

/** Keys, or bytes of stored values, in one `session/stored` notification at most (one value may pass it). */
const REPORT_PART_KEYS = 4_096;
const REPORT_PART_BYTES = 1024 * 1024;

/** The writes in consecutive parts of at most REPORT_PART_KEYS keys and about REPORT_PART_BYTES. */
function* reportParts(writes: [string, string][]): Generator<[string, string][]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < writes.length; i++) {
    const [key, json] = writes[i] as [string, string];
    bytes += storedSize(key, json);
    if (i + 1 - start >= REPORT_PART_KEYS || bytes >= REPORT_PART_BYTES) {
      yield writes.slice(start, i + 1);
      start = i + 1;
      bytes = 0;
    }
  }
  if (start < writes.length) yield writes.slice(start);
}

/**
 * An object of JSON texts parsed, built with own properties (an assignment of `__proto__`
 * would set the prototype instead of keeping the key).
 */
function jsonObject(entries: Iterable<[string, string]>): JsonObject {
  return Object.fromEntries(Array.from(entries, ([key, json]) => [key, JSON.parse(json) as JsonValue]));
}
