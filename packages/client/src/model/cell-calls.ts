// One model call of `exec` or `wait`, run against a session and rendered as the model reads it.
// Shared by every host of the two tools (the agent-loop helpers, the MCP server).
import { type ContentItem, ErrorCode, type ToolDefinitionInput } from "@codemode/protocol";
import { CodeModeError } from "../errors.js";
import type { PendingApproval } from "../tools/approvals.js";
import type { CodeModeSession, WaitOutcome } from "../types.js";
import { type ExecSource, parseExecSource } from "./exec-source.js";
import { renderOutcome } from "./render.js";
import { DEFAULT_MAX_OUTPUT_TOKENS } from "./truncate.js";
import { parseWaitArguments, type WaitArguments } from "./wait-tool.js";

/** What the model reads, and whether it reports a failure (a script error, a missing cell, a refused input). */
export interface ModelAnswer {
  items: ContentItem[];
  failed: boolean;
}

export interface ExecCall {
  /** The model's id of the call; the cell's notifications carry it. */
  callId: string;
  /** The raw source, with an optional first-line `// @exec: {...}` pragma. */
  code: string;
  /** Win over the pragma's fields when given. */
  yieldTimeMs?: number | undefined;
  maxOutputTokens?: number | undefined;
  enabledTools: ToolDefinitionInput[];
  /** Aborting it terminates the cell: the caller gave up on the only answer that names it. */
  signal?: AbortSignal | undefined;
  /** Where a running cell's calls waiting for approval are found (a `ToolRegistry`). */
  approvals?: Approvals | undefined;
}

/** The calls of a cell waiting for the host's approval. */
export interface Approvals {
  pendingApprovals(cellId: string): PendingApproval[];
}

/** Errors the model caused and can act on; anything else is the host's to handle. */
const MODEL_ERRORS = new Set<number>([
  ErrorCode.BusyObserver,
  ErrorCode.AlreadyTerminating,
  ErrorCode.LimitExceeded,
  ErrorCode.ShuttingDown,
]);

/** Runs `exec`. A model's mistake is answered as text; a failure of the runtime (a lost daemon) is thrown. */
export async function runExec(session: CodeModeSession, call: ExecCall): Promise<ModelAnswer> {
  let parsed: ExecSource;
  try {
    parsed = parseExecSource(call.code);
  } catch (error) {
    return refusal((error as Error).message);
  }
  const yieldTimeMs = call.yieldTimeMs ?? parsed.yieldTimeMs;
  return observe(call.maxOutputTokens ?? parsed.maxOutputTokens, call.approvals, async () => {
    const request = { toolCallId: call.callId, source: parsed.source, enabledTools: call.enabledTools };
    const cell = await session.execute(yieldTimeMs === undefined ? request : { ...request, yieldTimeMs });
    const { signal } = call;
    if (signal) {
      const terminate = () => void session.terminate(cell.cellId).catch(() => {});
      if (signal.aborted) terminate();
      else signal.addEventListener("abort", terminate, { once: true });
      cell.initialResponse.finally(() => signal.removeEventListener("abort", terminate)).catch(() => {});
    }
    return cell.initialResponse;
  });
}

/**
 * Runs `wait` with the model's arguments (an object or JSON text). Aborting `signal` abandons the
 * wait (it rejects); the cell keeps running. A running cell's calls waiting for approval are
 * found in `approvals`.
 */
export async function runWait(
  session: CodeModeSession,
  input: unknown,
  signal?: AbortSignal,
  approvals?: Approvals,
): Promise<ModelAnswer> {
  let args: WaitArguments;
  try {
    args = parseWaitArguments(input);
  } catch (error) {
    return refusal((error as Error).message);
  }
  const { cellId, yieldTimeMs, maxTokens, terminate } = args;
  return observe(maxTokens, approvals, () =>
    terminate
      ? session.terminate(cellId)
      : session.wait(signal === undefined ? { cellId, yieldTimeMs } : { cellId, yieldTimeMs, signal }),
  );
}

/** Renders the outcome `observation` answers, with the wall time it took; a model's mistake becomes text. */
async function observe(
  maxTokens: number | undefined,
  approvals: Approvals | undefined,
  observation: () => Promise<WaitOutcome>,
): Promise<ModelAnswer> {
  const started = performance.now();
  let outcome: WaitOutcome;
  try {
    outcome = await observation();
  } catch (error) {
    if (error instanceof CodeModeError && MODEL_ERRORS.has(error.code)) return refusal(error.message);
    throw error;
  }
  const items = renderOutcome(outcome, {
    wallTimeMs: performance.now() - started,
    maxTokens: maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    awaitingApproval: outcome.status === "yielded" ? approvals?.pendingApprovals(outcome.cellId) : undefined,
  });
  const failed = outcome.status === "missing" || (outcome.status === "completed" && outcome.errorText !== undefined);
  return { items, failed };
}

/** A model's mistake, as the text it reads. */
export const refusal = (text: string): ModelAnswer => ({ items: [{ type: "text", text }], failed: true });
