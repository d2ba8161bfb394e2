// The session contract of SPEC §2, in TypeScript. Wire types come from the protocol package.
import type {
  CellLimitsOverride,
  CellOutcome,
  JsonObject,
  JsonValue,
  ToolDefinitionInput,
  ToolInvokeParams,
} from "@codemode/protocol";

export type CellId = string;

/** What an observer of a cell gets; `missing` means the cell does not exist (any more). */
export type WaitOutcome = CellOutcome;
/** An observation of a live cell. */
export type RuntimeResponse = CellOutcome & { status: "yielded" | "completed" | "terminated" };

export interface ExecuteRequest {
  /** The model's `exec` call id; notifications of the cell carry it as their call id. */
  toolCallId: string;
  source: string;
  enabledTools?: ToolDefinitionInput[];
  /** Deadline of the initial response (default 10 000 ms). */
  yieldTimeMs?: number;
}

export interface WaitRequest {
  cellId: CellId;
  yieldTimeMs?: number;
  /** Abandons this wait (the daemon answers -32800); the cell keeps running. */
  signal?: AbortSignal;
}

export interface StartedCell {
  cellId: CellId;
  initialResponse: Promise<RuntimeResponse>;
}

export type NestedToolCall = Omit<ToolInvokeParams, "sessionId">;

export interface CellNotification {
  callId: string;
  cellId: CellId;
  text: string;
}

export interface CodeModeSessionDelegate {
  /** Runs a nested tool. A thrown Error's message (or a thrown string) becomes the JS rejection. */
  invokeTool(call: NestedToolCall, signal: AbortSignal): Promise<JsonValue>;
  notify(notification: CellNotification, signal: AbortSignal): Promise<void>;
  /** Called once per cell, after its terminal answer was delivered. */
  cellClosed?(cellId: CellId): void;
}

export interface CodeModeSession {
  readonly sessionId: string;
  isAlive(): boolean;
  /** Resolves once the cell is admitted. */
  execute(request: ExecuteRequest): Promise<StartedCell>;
  wait(request: WaitRequest): Promise<WaitOutcome>;
  terminate(cellId: CellId): Promise<WaitOutcome>;
  shutdown(): Promise<void>;
  /**
   * The result type learned from the first results of the tool the model knows as `name`,
   * when it declares no outputSchema (a JSON Schema; undefined before its first result).
   */
  observedResultSchema?(name: string): Record<string, unknown> | undefined;
}

export interface OpenSessionOptions {
  delegate: CodeModeSessionDelegate;
  sessionId?: string;
  storedValues?: JsonObject;
  limits?: CellLimitsOverride;
  /**
   * Longest a tool call may take. Past it the delegate's signal is aborted and the cell's
   * promise rejects with `tool call timed out after {ms} ms`, whatever the delegate does.
   * Default: no deadline, as the reference.
   */
  toolCallTimeoutMs?: number;
}
