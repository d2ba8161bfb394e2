// A cell as the session sees it: the state machine of SPEC §3 (observers, yields, completion
// order, termination) over a guest running in an engine worker. It never touches a stream.
import {
  CANCEL_GRACE_MS,
  type CellLimits,
  type CellNotifyParams,
  type CellOutcome,
  type ContentItem,
  type JsonValue,
  jsToolName,
  Messages,
  type ToolDefinition,
  type ToolInvokeParams,
} from "@codemode/protocol";
import type { CancellationToken } from "vscode-jsonrpc/node";
import { Errors } from "./daemon-error.js";
import type { CellSink, WorkerHandle } from "./engine/worker-handle.js";
import { LimitTexts } from "./limit-texts.js";
import { itemSize, type MemoryBudget, requestSize } from "./memory-budget.js";
import { NotificationQueue } from "./notification-queue.js";
import { ReverseCalls } from "./reverse-calls.js";
import { SharedCounter } from "./shared-counter.js";
import { timerDelay } from "./timer-delay.js";

/** The host side of a cell's reverse requests; the RPC layer implements it. */
export interface CellHost {
  invokeTool(params: ToolInvokeParams, token: CancellationToken): Promise<JsonValue>;
  notify(params: CellNotifyParams, token: CancellationToken): Promise<void>;
}

/** What a cell needs from its session. */
export interface CellOwner {
  readonly sessionId: string;
  readonly host: CellHost;
  readonly counters: { pending: number };
  /** The daemon's memory budget, charged with what the cell's items and requests hold. */
  readonly budget: MemoryBudget;
  /**
   * Step (3) of completion: merge the cell's writes into the session, settling what they
   * charged; resolves once they are reported.
   */
  commit(cellId: string, writes: [string, string][], ledger: WriteLedger): Promise<void>;
  /** The cell's writes are dropped (it was terminated): release what they charged. */
  discard(ledger: WriteLedger): void;
  /** The cell is closed: its terminal answer was delivered. */
  closed(cell: Cell): void;
}

/** What a cell's writes charged as it made them (see StoredAccounts), bytes. */
export interface WriteLedger {
  /** Its net change to the session's stored-values count. */
  growth: number;
  /** What it charged to the daemon's budget. */
  charged: number;
}

export interface CellStart {
  cellId: string;
  toolCallId: string;
  source: string;
  tools: ToolDefinition[];
  stored: [string, string][];
  /** What the engine's copy of `stored` costs, already charged to the budget; freed with the engine. */
  storedBytes: number;
  /** The session's stored-values count, shared with the engines of its cells. */
  storedCount: SharedCounter;
  limits: CellLimits;
}

type State =
  | { kind: "running" }
  /** The JS settled; callbacks are being drained before the answer. */
  | { kind: "completing"; done: Promise<void>; terminating?: boolean }
  | { kind: "buffered"; outcome: CellOutcome; since: number }
  | { kind: "terminating" }
  | { kind: "closed" };

interface Observer {
  resolve(outcome: CellOutcome): void;
  reject(error: Error): void;
  /** Milliseconds to the yield. */
  yieldTimeMs: number;
  deadline: number;
  timer: NodeJS.Timeout | undefined;
  detach(): void;
}

export class Cell implements CellSink {
  readonly id: string;
  private readonly toolCallId: string;
  private readonly tools: ToolDefinition[];
  private readonly limits: CellLimits;
  private readonly key: number;
  private readonly toolCalls: ReverseCalls;
  private readonly notifications: NotificationQueue;
  private state: State = { kind: "running" };
  private observer: Observer | undefined;
  private items: ContentItem[] = [];
  /** What `items` cost (`itemSize`), charged to the budget. */
  private itemBytes = 0;
  /** What items taken for an answer not yet handed out (a buffered completion) cost. */
  private takenBytes = 0;
  private outputOverflowed = false;
  private termination: Promise<CellOutcome> | undefined;
  /**
   * Yield deadlines run once the engine is loaded: a cold worker's start-up is not the cell's
   * time. After that they run from admission, even if the cell waits behind a busy sibling.
   */
  private started: boolean;
  private engineDone: () => void = () => {};
  private readonly engineStopped = new Promise<void>((resolve) => {
    this.engineDone = resolve;
  });
  private readonly storedBytes: number;
  /** Where the engine records what the cell's writes charged. */
  private readonly growth = new SharedCounter();
  private readonly charged = new SharedCounter();

  constructor(
    private readonly owner: CellOwner,
    private readonly engine: WorkerHandle,
    start: CellStart,
  ) {
    this.id = start.cellId;
    this.toolCallId = start.toolCallId;
    this.tools = start.tools;
    this.limits = start.limits;
    this.toolCalls = new ReverseCalls(owner.counters, owner.budget);
    this.notifications = new NotificationQueue(owner.counters, owner.budget, (text, token) =>
      owner.host.notify({ sessionId: owner.sessionId, cellId: this.id, callId: this.toolCallId, text }, token),
    );
    this.storedBytes = start.storedBytes;
    this.started = engine.isReady;
    if (!this.started) void engine.ready.then(() => this.onEngineReady());
    this.key = engine.start(
      {
        source: start.source,
        tools: start.tools.map((tool) => ({ jsName: jsToolName(tool.name), description: tool.description })),
        stored: start.stored,
        accounts: {
          budget: owner.budget.charged.buffer,
          budgetBytes: owner.budget.limitBytes,
          session: start.storedCount.buffer,
          growth: this.growth.buffer,
          charged: this.charged.buffer,
        },
        limits: start.limits,
      },
      this,
    );
  }

  /** When its completion was buffered, if it is waiting for someone to collect it. */
  get bufferedSince(): number | undefined {
    return this.state.kind === "buffered" ? this.state.since : undefined;
  }

  /** Drops an uncollected completion to free its slot; a later wait answers missing. */
  discardBuffered(): void {
    if (this.state.kind === "buffered") this.close();
  }

  /** Becomes the cell's observer: answers yielded at the deadline, or the terminal outcome. */
  observe(yieldTimeMs: number, signal?: AbortSignal): Promise<CellOutcome> {
    const state = this.state;
    switch (state.kind) {
      case "closed":
        return Promise.resolve(missingOutcome(this.id));
      case "buffered":
        this.close();
        return Promise.resolve(state.outcome);
      case "terminating":
        // As the reference: the termination owns the cell's last answer.
        return Promise.reject(Errors.busyObserver(this.id));
      case "running":
      case "completing":
        // Completing (its JS has ended) still yields at the deadline: the host may be slow
        // to answer the cell's last notifications.
        if (this.observer) return Promise.reject(Errors.busyObserver(this.id));
        return this.attachObserver(yieldTimeMs, signal);
    }
  }

  /** Terminates the cell; a buffered completion wins and is returned instead. */
  async terminate(): Promise<CellOutcome> {
    const state = this.state;
    switch (state.kind) {
      case "closed":
        return missingOutcome(this.id);
      case "buffered":
        this.close();
        return state.outcome;
      case "terminating":
        throw Errors.alreadyTerminating(this.id);
      case "completing":
        // A completion in progress wins: once it is delivered or buffered, ask again. The
        // notifications it waits for are cancelled, so that it ends within the grace
        // whatever the host does. A second terminate meanwhile is refused, as while running.
        if (state.terminating) throw Errors.alreadyTerminating(this.id);
        state.terminating = true;
        await this.notifications.cancelAll(CANCEL_GRACE_MS);
        await state.done;
        return this.terminate();
      case "running":
        this.termination = this.runTermination();
        return this.termination;
    }
  }

  /** Session shutdown: stop the cell whatever its state, and resolve once it is closed. */
  async stop(): Promise<void> {
    const state = this.state;
    if (state.kind === "running") await this.terminate();
    else if (state.kind === "completing") {
      await this.notifications.cancelAll(CANCEL_GRACE_MS);
      await state.done;
      if (this.state.kind === "buffered") this.close();
    } else if (state.kind === "buffered") this.close();
    else if (state.kind === "terminating") await this.termination;
  }

  // ---- events from the engine ----

  onItem(item: ContentItem): void {
    // Past the output limit the cell is being stopped: what it still emits meanwhile is dropped.
    if (this.state.kind !== "running" || this.outputOverflowed) return;
    // The deadline beats output still queued: if it has passed, yield before taking the item.
    if (this.observer && performance.now() >= this.observer.deadline) this.yieldNow();
    const bytes = itemSize(item);
    if (!this.owner.budget.tryCharge(bytes)) {
      this.overflow(LimitTexts.budget(this.owner.budget.limitBytes));
      return;
    }
    this.items.push(item);
    this.itemBytes += bytes;
    this.checkOutput();
  }

  /** Undelivered items and notifications not yet answered count against the output limit. */
  private checkOutput(): void {
    if (this.itemBytes + this.notifications.heldBytes <= this.limits.outputBytes) return;
    this.overflow(LimitTexts.output(this.limits.outputBytes));
  }

  /** Ends the cell with `errorText`: what it still emits meanwhile is dropped. */
  private overflow(errorText: string): void {
    this.outputOverflowed = true;
    this.engine.stop(this.key, errorText);
  }

  private onEngineReady(): void {
    this.started = true;
    if (this.observer && this.state.kind === "running") this.armDeadline(this.observer);
  }

  onYield(): void {
    if (this.state.kind === "running") this.yieldNow();
  }

  onToolCall(call: number, toolIndex: number, input: string | undefined): void {
    const tool = this.tools[toolIndex];
    if (this.state.kind !== "running" || !tool) return;
    const bytes = requestSize(input);
    if (!this.owner.budget.tryCharge(bytes)) {
      this.engine.settle(this.key, call, { error: LimitTexts.budget(this.owner.budget.limitBytes) });
      return;
    }
    const params: ToolInvokeParams = {
      sessionId: this.owner.sessionId,
      cellId: this.id,
      callId: `tool-${call}`,
      tool: tool.toolName ?? { name: tool.name },
      kind: tool.kind,
      ...(input === undefined ? {} : { input: JSON.parse(input) as JsonValue }),
    };
    this.toolCalls
      .start((token) => this.owner.host.invokeTool(params, token), bytes)
      .then(
        (result) => this.engine.settle(this.key, call, resultJson(result)),
        (error: unknown) => this.engine.settle(this.key, call, { error: rejectionText(error) }),
      );
  }

  onNotify(text: string): void {
    if (this.state.kind !== "running" || this.outputOverflowed) return;
    if (this.notifications.push(text)) this.checkOutput();
    else this.overflow(LimitTexts.budget(this.owner.budget.limitBytes));
  }

  onDone(result: { errorText?: string; writes: [string, string][] }): void {
    this.engineDone();
    // The engine, and its copy of the stored values, is gone.
    this.owner.budget.release(this.storedBytes);
    if (this.state.kind !== "running") {
      this.owner.discard(this.ledger());
      return;
    }
    let finished: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    this.state = { kind: "completing", done };
    void this.complete(result).finally(finished);
  }

  // ---- internals ----

  private async complete(result: { errorText?: string; writes: [string, string][] }): Promise<void> {
    await this.notifications.drain();
    await this.toolCalls.cancelAll(CANCEL_GRACE_MS);
    await this.owner.commit(this.id, result.writes, this.ledger());
    // The errorText is kept with the answer until it is collected, like the items.
    if (result.errorText !== undefined) {
      const errorBytes = requestSize(result.errorText);
      this.owner.budget.force(errorBytes);
      this.takenBytes += errorBytes;
    }
    const outcome: CellOutcome = {
      status: "completed",
      cellId: this.id,
      items: this.takeItems(),
      ...(result.errorText === undefined ? {} : { errorText: result.errorText }),
    };
    if (this.deliver(outcome)) this.close();
    else this.state = { kind: "buffered", outcome, since: Date.now() };
  }

  private async runTermination(): Promise<CellOutcome> {
    this.state = { kind: "terminating" };
    if (this.observer) clearTimeout(this.observer.timer);
    this.engine.stop(this.key);
    // A cell that is not executing JS right now has nothing left to stop: its worker drops it
    // when it gets to the stop. One that is running ends at its next interrupt check, or its
    // worker is replaced by the watchdog.
    const stopped = this.engine.isRunning(this.key) ? this.engineStopped : Promise.resolve();
    await Promise.all([
      stopped,
      this.toolCalls.cancelAll(CANCEL_GRACE_MS),
      this.notifications.cancelAll(CANCEL_GRACE_MS),
    ]);
    const outcome: CellOutcome = { status: "terminated", cellId: this.id, items: this.takeItems() };
    this.deliver(outcome);
    this.close();
    return outcome;
  }

  private attachObserver(yieldTimeMs: number, signal: AbortSignal | undefined): Promise<CellOutcome> {
    return new Promise<CellOutcome>((resolve, reject) => {
      const onAbort = () => {
        if (this.observer !== observer) return;
        this.observer = undefined;
        observer.detach();
        reject(Errors.cancelled());
      };
      const observer: Observer = {
        resolve,
        reject,
        yieldTimeMs,
        deadline: Number.POSITIVE_INFINITY,
        timer: undefined,
        detach: () => {
          clearTimeout(observer.timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      if (signal?.aborted) {
        reject(Errors.cancelled());
        return;
      }
      this.observer = observer;
      if (this.started) this.armDeadline(observer);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private armDeadline(observer: Observer): void {
    if (observer.timer) return;
    observer.deadline = performance.now() + observer.yieldTimeMs;
    observer.timer = setTimeout(() => this.yieldNow(), timerDelay(observer.yieldTimeMs));
  }

  private yieldNow(): void {
    if (this.observer) this.deliver({ status: "yielded", cellId: this.id, items: this.takeItems() });
  }

  /** Hands `outcome` to the observer, if there is one. */
  private deliver(outcome: CellOutcome): boolean {
    const observer = this.observer;
    if (!observer) return false;
    this.owner.budget.release(this.takenBytes);
    this.takenBytes = 0;
    this.observer = undefined;
    observer.detach();
    observer.resolve(outcome);
    return true;
  }

  private ledger(): WriteLedger {
    return { growth: this.growth.value, charged: this.charged.value };
  }

  private takeItems(): ContentItem[] {
    const items = this.items;
    this.items = [];
    this.takenBytes += this.itemBytes;
    this.itemBytes = 0;
    return items;
  }

  private close(): void {
    this.owner.budget.release(this.takenBytes + this.itemBytes);
    this.takenBytes = 0;
    this.itemBytes = 0;
    this.state = { kind: "closed" };
    this.owner.closed(this);
  }
}

/** The answer about a cell that does not exist (or no longer does). */
export function missingOutcome(cellId: string): CellOutcome {
  return { status: "missing", cellId, items: [], errorText: Messages.missingCell(cellId) };
}

/** A host's result as JSON for the guest; one too deep to write back rejects the call instead. */
function resultJson(result: JsonValue): { json: string } | { error: string } {
  try {
    return { json: JSON.stringify(result ?? null) };
  } catch (error) {
    return { error: `tool result could not be passed to the cell: ${rejectionText(error)}` };
  }
}

/** The JS rejection text of a failed reverse request: an Error's message, anything else as text. */
function rejectionText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
