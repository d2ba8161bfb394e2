// A CodeModeSession whose cells run in the daemon: execute / wait / terminate / shutdown are
// requests; the daemon's reverse requests for this session reach its delegate.
import {
  CellExecute,
  type CellOutcome,
  CellTerminate,
  CellWait,
  ErrorCode,
  type JsonObject,
  type JsonValue,
  Messages,
  SessionOpen,
  SessionShutdown,
  SessionStoredValues,
} from "@codemode/protocol";
import { ResponseError } from "vscode-jsonrpc/node";
import type { DaemonLink } from "./daemon-link.js";
import { CodeModeError } from "./errors.js";
import { guarded, type LineLogger } from "./report.js";
import { ObservedResultTypes } from "./result-types/observed-result-types.js";
import type { SessionLease } from "./store/session-lease.js";
import { mergeCommitted } from "./store/session-store.js";
import { COMMITTED_VALUES } from "./test-hooks.js";
import type {
  CellId,
  CellNotification,
  CodeModeSession,
  CodeModeSessionDelegate,
  ExecuteRequest,
  NestedToolCall,
  OpenSessionOptions,
  RuntimeResponse,
  StartedCell,
  WaitOutcome,
  WaitRequest,
} from "./types.js";

/** How a session reaches the daemon; the client supplies it (and may reconnect behind it). */
export interface SessionLink {
  /** The live daemon, starting a new one if the last one died. */
  current(): Promise<DaemonLink>;
  /** The live daemon, if there is one. */
  live(): DaemonLink | undefined;
  forget(sessionId: string): void;
  /** Where what the delegate's callbacks throw is reported. */
  log: LineLogger;
}

/** A request about a cell, made again on a new link after the old one was lost. */
type Observation = (link: DaemonLink) => Promise<CellOutcome>;

/** What every waiter of a cell gets when the daemon running it dies. */
export function lostOutcome(cellId: CellId): RuntimeResponse {
  return { status: "completed", cellId, items: [], errorText: Messages.runtimeEnded };
}

/**
 * A session's lifecycle. `transition` is the one place it changes, along the edges of
 * `NEXT_STATES`: open → shuttingDown → shutDown, or open → lost when a new daemon would not
 * take the session back.
 */
type SessionState =
  | { readonly kind: "open" }
  | { readonly kind: "shuttingDown"; readonly done: Promise<void> }
  | { readonly kind: "shutDown" }
  | { readonly kind: "lost"; readonly reason: CodeModeError };

const NEXT_STATES: Record<SessionState["kind"], readonly SessionState["kind"][]> = {
  open: ["shuttingDown", "lost"],
  shuttingDown: ["shutDown"],
  shutDown: [],
  lost: [],
};

interface PendingStart {
  resolve(): void;
  reject(error: unknown): void;
}

export class RemoteSession implements CodeModeSession, AsyncDisposable {
  private nextCellId = 1;
  private state: SessionState = { kind: "open" };
  private readonly pendingStarts = new Map<CellId, PendingStart>();
  private readonly liveCells = new Set<CellId>();
  /**
   * The live cells of a lost link that may have outlived it (a network connection: the daemon
   * keeps a detached session's cells for its reconnect grace), until the session is reopened:
   * re-attached, they live on; opened anew, they are gone.
   */
  private unconfirmedCells: CellId[] = [];
  /** Whether the last reopen found the session still held by the daemon, its cells running. */
  private reattached = false;
  /** Its network connection was lost and not replaced yet: the daemon may still hold it, detached. */
  private heldElsewhere = false;
  /** The values committed by completed cells: what a reopened session starts from. */
  private storedValues: JsonObject;
  private readonly resultTypes = new ObservedResultTypes();

  constructor(
    readonly sessionId: string,
    private readonly delegate: CodeModeSessionDelegate,
    private readonly link: SessionLink,
    private readonly lease: SessionLease,
    storedValues: JsonObject,
    private readonly settings: Pick<OpenSessionOptions, "limits" | "toolCallTimeoutMs">,
  ) {
    this.storedValues = { ...storedValues };
  }

  isAlive(): boolean {
    return this.state.kind === "open" && !this.lease.lost;
  }

  async execute(request: ExecuteRequest): Promise<StartedCell> {
    for (;;) {
      try {
        return await this.executeOnce(request);
      } catch (error) {
        // A session this host re-attached has cells of its previous host: their ids are skipped.
        if (!(error instanceof CodeModeError && error.code === ErrorCode.DuplicateCell)) throw error;
      }
    }
  }

  private async executeOnce(request: ExecuteRequest): Promise<StartedCell> {
    // Said here too: a daemon started after the shutdown has never heard of this session.
    this.checkOpen();
    const link = await this.link.current();
    this.checkOpen();
    const cellId = String(this.nextCellId++);
    const started = new Promise<void>((resolve, reject) => this.pendingStarts.set(cellId, { resolve, reject }));
    // Before the request: the cell's first tool call may come before its admission is seen.
    this.resultTypes.track(cellId, request.enabledTools ?? []);
    const response = link.request(CellExecute, {
      sessionId: this.sessionId,
      cellId,
      toolCallId: request.toolCallId,
      source: request.source,
      enabledTools: request.enabledTools ?? [],
      ...(request.yieldTimeMs === undefined ? {} : { yieldTimeMs: request.yieldTimeMs }),
    });
    response.catch((error: unknown) => {
      if (!link.alive) {
        this.resultTypes.untrack(cellId);
        this.settleStart(cellId, new CodeModeError(ErrorCode.InternalError, Messages.runtimeEnded));
        return;
      }
      // A refused cell does not use up its id (unless a later execute already took the next, or
      // the daemon has a cell of that id).
      const taken = error instanceof CodeModeError && error.code === ErrorCode.DuplicateCell;
      if (!taken && this.nextCellId === Number(cellId) + 1) this.nextCellId--;
      this.resultTypes.untrack(cellId);
      this.settleStart(cellId, error);
    });
    await started;
    const waitAgain: Observation = (next) =>
      next.request(CellWait, {
        sessionId: this.sessionId,
        cellId,
        ...(request.yieldTimeMs === undefined ? {} : { yieldTimeMs: request.yieldTimeMs }),
      });
    const initialResponse = this.observing(link, cellId, response, waitAgain) as Promise<RuntimeResponse>;
    // The caller may never look at it; a failure is still theirs when they do.
    initialResponse.catch(() => {});
    return { cellId, initialResponse };
  }

  async wait(request: WaitRequest): Promise<WaitOutcome> {
    const link = await this.link.current();
    const params = {
      sessionId: this.sessionId,
      cellId: request.cellId,
      ...(request.yieldTimeMs === undefined ? {} : { yieldTimeMs: request.yieldTimeMs }),
    };
    const observe: Observation = (on) => on.request(CellWait, params, request.signal);
    return this.observing(link, request.cellId, observe(link), observe);
  }

  async terminate(cellId: CellId): Promise<WaitOutcome> {
    const link = await this.link.current();
    const observe: Observation = (on) => on.request(CellTerminate, { sessionId: this.sessionId, cellId });
    return this.observing(link, cellId, observe(link), observe);
  }

  /** Stops every cell of the session; every caller resolves once none is left. */
  shutdown(): Promise<void> {
    const state = this.state;
    switch (state.kind) {
      case "open": {
        const done = this.stopAll().finally(() => this.transition({ kind: "shutDown" }));
        this.transition({ kind: "shuttingDown", done });
        return done;
      }
      case "shuttingDown":
        return state.done;
      case "shutDown":
      case "lost":
        return Promise.resolve();
    }
  }

  private transition(next: SessionState): void {
    if (!NEXT_STATES[this.state.kind].includes(next.kind)) {
      throw new Error(`codemode client: no session transition from ${this.state.kind} to ${next.kind}`);
    }
    this.state = next;
  }

  private async stopAll(): Promise<void> {
    // With no live daemon there is nothing to stop: its cells died with it (also when it dies
    // while being asked). Over the network they may not have: the daemon holds the session,
    // detached, until its grace ends, and another host could re-attach it meanwhile; so it is
    // re-attached on the next connection to be shut down there.
    const live = this.link.live();
    const link = live ?? (this.heldElsewhere ? await this.link.current().catch(() => undefined) : undefined);
    try {
      if (link && !live) {
        // Best effort: a daemon that still sees the old connection refuses (-32018), and ends
        // the session itself when its grace does.
        await link.request(SessionOpen, { sessionId: this.sessionId, storedValues: {} });
        await link.request(SessionShutdown, { sessionId: this.sessionId }).catch(() => {});
      } else await link?.request(SessionShutdown, { sessionId: this.sessionId });
    } catch (error) {
      if (live?.alive) throw error;
    } finally {
      // The daemon closed them all; its cell/closed notifications follow its answer, after
      // the session is forgotten here, so each cell is closed now (once: see cellClosed).
      for (const cellId of [...this.liveCells]) this.cellClosed(cellId);
      this.link.forget(this.sessionId);
      await this.lease.delete();
    }
  }

  /** The client is closing: the lease is given up and the values stay in the store. */
  release(): Promise<void> {
    return this.lease.release();
  }

  /**
   * Opens this session again on a new daemon, under the same id, with its committed values.
   * A session the new daemon refuses (say, its stored values no longer fit in one message)
   * ends here, with that reason; the other sessions come back regardless.
   */
  async reopen(link: DaemonLink): Promise<void> {
    if (this.state.kind !== "open") return;
    try {
      const { reattached } = await link.request(SessionOpen, {
        sessionId: this.sessionId,
        storedValues: this.storedValues,
        ...(this.settings.limits === undefined ? {} : { limits: this.settings.limits }),
      });
      this.reattached = reattached === true;
      this.heldElsewhere = false;
      if (this.reattached) {
        this.unconfirmedCells = [];
        // What the session committed while its `session/stored` went to the lost connection.
        const current = await link.request(SessionStoredValues, { sessionId: this.sessionId }).catch(() => undefined);
        if (current) this.stored(current.values);
      } else this.unconfirmedCellsEnded();
    } catch (error) {
      const cause = CodeModeError.from(error);
      // Over the network, the daemon may not have seen the old connection close yet, or may be
      // still stopping the session's cells after its grace: the restart fails, and the policy
      // says when to try again.
      const notYet = cause.code === ErrorCode.SessionInUse || cause.code === ErrorCode.ShuttingDown;
      if (!link.alive || (link.detaches && notYet)) throw error;
      this.unconfirmedCellsEnded();
      const reason = new CodeModeError(cause.code, `session ${this.sessionId} could not be reopened: ${cause.message}`);
      if (this.state.kind === "open") this.transition({ kind: "lost", reason });
      this.link.forget(this.sessionId);
      await this.lease.release();
      return;
    }
    // Shut down while it was being reopened: stop it on the new daemon too.
    if (this.state.kind !== "open") await link.request(SessionShutdown, { sessionId: this.sessionId }).catch(() => {});
  }

  private checkOpen(): void {
    const leaseLost = this.lease.lost;
    if (leaseLost) throw leaseLost;
    if (this.state.kind === "open") return;
    throw this.state.kind === "lost"
      ? this.state.reason
      : new CodeModeError(ErrorCode.ShuttingDown, Messages.shuttingDown);
  }

  /**
   * The link was lost: starts fail. Its cells are gone with it, each admitted cell closed once;
   * over a network connection they may live on in the daemon, which the reopen tells.
   */
  daemonLost(link: DaemonLink): void {
    this.reattached = false;
    this.heldElsewhere = link.detaches;
    if (link.detaches) this.unconfirmedCells = [...this.liveCells];
    else this.closeLater([...this.liveCells]);
    for (const cellId of [...this.pendingStarts.keys()]) {
      this.settleStart(cellId, new CodeModeError(ErrorCode.InternalError, Messages.runtimeEnded));
    }
  }

  /** The cells of the lost link did not live on (the session was opened anew, or not at all). */
  unconfirmedCellsEnded(): void {
    this.closeLater(this.unconfirmedCells);
    this.unconfirmedCells = [];
  }

  /** Closes each cell once its waiters have their answers: cellClosed comes after a cell's last answer. */
  private closeLater(cellIds: CellId[]): void {
    setImmediate(() => {
      for (const cellId of cellIds) this.cellClosed(cellId);
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** For `@codemode/client/testing`. */
  [COMMITTED_VALUES](): JsonObject {
    return this.storedValues;
  }

  // ---- from the daemon ----

  cellStarted(cellId: CellId): void {
    this.liveCells.add(cellId);
    this.settleStart(cellId);
  }

  cellClosed(cellId: CellId): void {
    this.resultTypes.untrack(cellId);
    if (!this.liveCells.delete(cellId)) return;
    // The host's code, called from the link's event handlers: what it throws is reported.
    guarded(this.link.log, `the delegate's cellClosed(${JSON.stringify(cellId)})`, () =>
      this.delegate.cellClosed?.(cellId),
    );
  }

  stored(values: JsonObject): void {
    mergeCommitted(this.storedValues, values);
    this.lease.write(values);
  }

  /** The type learned from the results of the tool the model knows as `name` (see `ObservedResultTypes`). */
  observedResultSchema(name: string): Record<string, unknown> | undefined {
    return this.resultTypes.schemaOf(name);
  }

  async invokeTool(call: NestedToolCall, signal: AbortSignal): Promise<JsonValue> {
    const timeoutMs = this.settings.toolCallTimeoutMs;
    try {
      // A result JSON cannot hold at the top becomes null where it is written (see the writer).
      const result = await (timeoutMs === undefined
        ? this.delegate.invokeTool(call, signal)
        : this.invokeWithDeadline(call, signal, timeoutMs));
      this.resultTypes.observe(call.cellId, call.tool, result);
      return result;
    } catch (error) {
      // A call the daemon cancelled is answered as cancelled, whatever the delegate threw.
      if (signal.aborted) throw new ResponseError(ErrorCode.RequestCancelled, "request cancelled");
      // The message becomes the JS rejection text: an Error's message, anything else as text.
      throw new ResponseError(ErrorCode.ToolFailed, error instanceof Error ? error.message : String(error));
    }
  }

  /** The delegate's call, given up at the deadline: its signal is aborted and the call fails. */
  private async invokeWithDeadline(call: NestedToolCall, signal: AbortSignal, timeoutMs: number) {
    const controller = new AbortController();
    const cancel = () => controller.abort();
    // A call the daemon cancelled before it was dispatched comes with its signal aborted.
    if (signal.aborted) cancel();
    else signal.addEventListener("abort", cancel, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`tool call timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.delegate.invokeTool(call, controller.signal), expired]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", cancel);
    }
  }

  async notify(notification: CellNotification, signal: AbortSignal): Promise<void> {
    await this.delegate.notify(notification, signal);
  }

  /**
   * An observation, answered once the values its cell committed are in the session store.
   * The daemon's death turns it into the lost-runtime completion; a lost network connection,
   * into the same observation made again once the session is re-attached on a new one (the
   * cell `missing` there: it ended with the old daemon).
   */
  private async observing(
    link: DaemonLink,
    cellId: CellId,
    request: Promise<CellOutcome>,
    again: Observation,
  ): Promise<CellOutcome> {
    let outcome: CellOutcome;
    try {
      outcome = await request;
    } catch (error) {
      if (link.alive) throw error;
      if (!link.detaches) return lostOutcome(cellId);
      const next = await this.link.current().catch(() => undefined);
      if (!next || !this.reattached) return lostOutcome(cellId);
      const observed = await this.observing(next, cellId, again(next), again);
      return observed.status === "missing" ? lostOutcome(cellId) : observed;
    }
    await this.lease.written();
    return outcome;
  }

  private settleStart(cellId: CellId, error?: unknown): void {
    const pending = this.pendingStarts.get(cellId);
    if (!pending) return;
    this.pendingStarts.delete(cellId);
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }
}
