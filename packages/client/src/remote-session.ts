// A CodeModeSession whose cells run in the daemon: execute / wait / terminate / shutdown are
// requests; the daemon's reverse requests for this session reach its delegate.
import { CellExecute, CellTerminate, CellWait, ErrorCode, type JsonObject, SessionShutdown } from "@codemode/protocol";
import { ResponseError } from "vscode-jsonrpc/node";
import type { DaemonLink } from "./daemon-link.js";
import type {
  CellId,
  CellNotification,
  CodeModeSession,
  CodeModeSessionDelegate,
  ExecuteRequest,
  NestedToolCall,
  RuntimeResponse,
  StartedCell,
  WaitOutcome,
  WaitRequest,
} from "./types.js";

/** How a session reaches the daemon; the client supplies it (and may reconnect behind it). */
export interface SessionLink {
  current(): Promise<DaemonLink>;
  forget(sessionId: string): void;
}

interface PendingStart {
  resolve(): void;
  reject(error: unknown): void;
}

export class RemoteSession implements CodeModeSession, AsyncDisposable {
  private nextCellId = 1;
  private open = true;
  private readonly pendingStarts = new Map<CellId, PendingStart>();
  private readonly liveCells = new Set<CellId>();
  /** The values committed by completed cells: what a reopened session starts from. */
  readonly storedValues: JsonObject;

  constructor(
    readonly sessionId: string,
    private readonly delegate: CodeModeSessionDelegate,
    private readonly link: SessionLink,
    storedValues: JsonObject,
  ) {
    this.storedValues = { ...storedValues };
  }

  isAlive(): boolean {
    return this.open;
  }

  async execute(request: ExecuteRequest): Promise<StartedCell> {
    const link = await this.link.current();
    const cellId = String(this.nextCellId++);
    const started = new Promise<void>((resolve, reject) => this.pendingStarts.set(cellId, { resolve, reject }));
    const response = link.request(CellExecute, {
      sessionId: this.sessionId,
      cellId,
      toolCallId: request.toolCallId,
      source: request.source,
      enabledTools: request.enabledTools ?? [],
      ...(request.yieldTimeMs === undefined ? {} : { yieldTimeMs: request.yieldTimeMs }),
    });
    response.catch((error: unknown) => this.settleStart(cellId, error));
    await started;
    const initialResponse = response.then((outcome) => outcome as RuntimeResponse);
    // The caller may never look at it; a failure is still theirs when they do.
    initialResponse.catch(() => {});
    return { cellId, initialResponse };
  }

  async wait(request: WaitRequest): Promise<WaitOutcome> {
    const link = await this.link.current();
    return link.request(
      CellWait,
      {
        sessionId: this.sessionId,
        cellId: request.cellId,
        ...(request.yieldTimeMs === undefined ? {} : { yieldTimeMs: request.yieldTimeMs }),
      },
      request.signal,
    );
  }

  async terminate(cellId: CellId): Promise<WaitOutcome> {
    const link = await this.link.current();
    return link.request(CellTerminate, { sessionId: this.sessionId, cellId });
  }

  async shutdown(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    try {
      const link = await this.link.current();
      await link.request(SessionShutdown, { sessionId: this.sessionId });
    } finally {
      this.link.forget(this.sessionId);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  // ---- from the daemon ----

  cellStarted(cellId: CellId): void {
    this.liveCells.add(cellId);
    this.settleStart(cellId);
  }

  cellClosed(cellId: CellId): void {
    if (!this.liveCells.delete(cellId)) return;
    this.delegate.cellClosed?.(cellId);
  }

  stored(values: JsonObject): void {
    Object.assign(this.storedValues, values);
  }

  async invokeTool(call: NestedToolCall, signal: AbortSignal) {
    try {
      return await this.delegate.invokeTool(call, signal);
    } catch (error) {
      // The message becomes the JS rejection text: an Error's message, anything else as text.
      throw new ResponseError(ErrorCode.ToolFailed, error instanceof Error ? error.message : String(error));
    }
  }

  async notify(notification: CellNotification, signal: AbortSignal): Promise<void> {
    await this.delegate.notify(notification, signal);
  }

  private settleStart(cellId: CellId, error?: unknown): void {
    const pending = this.pendingStarts.get(cellId);
    if (!pending) return;
    this.pendingStarts.delete(cellId);
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }
}
