// `exec` and `wait` ready for an agent loop: the definitions to hand a model API, and handlers
// that run the model's calls against a session and answer with what the model reads.
import { type ContentItem, ErrorCode, type ToolDefinitionInput } from "@codemode/protocol";
import { CodeModeError } from "../errors.js";
import type { CodeModeSession, WaitOutcome } from "../types.js";
import { type ExecSource, parseExecSource } from "./exec-source.js";
import { renderOutcome } from "./render.js";
import { execToolDescription } from "./tool-description.js";
import { DEFAULT_MAX_OUTPUT_TOKENS } from "./truncate.js";
import { parseWaitArguments, WAIT_TOOL, WAIT_TOOL_NAME, type WaitArguments } from "./wait-tool.js";

export const EXEC_TOOL_NAME = "exec";

/** `exec` as an OpenAI-style custom tool: its input is the raw text the model writes. */
export interface ExecToolDefinition {
  type: "custom";
  name: typeof EXEC_TOOL_NAME;
  description: string;
  format: { type: "text" };
}

export interface CodeModeToolsOptions {
  /** The host tools a cell may call, as `tools.<name>()`; they are also described to the model. */
  tools: ToolDefinitionInput[];
}

/** A call the model made, as an agent loop receives it. */
export interface ModelToolCall {
  /** `exec` or `wait`. */
  name: string;
  /** The model's id of the call; an `exec` cell's notifications carry it. */
  callId: string;
  /** `exec`: the raw source text; `wait`: the arguments, as JSON text or already parsed. */
  input: unknown;
}

export interface CodeModeTools {
  exec: ExecToolDefinition;
  wait: typeof WAIT_TOOL;
  /** Both definitions, in the order to hand them to the model. */
  definitions: [ExecToolDefinition, typeof WAIT_TOOL];
  /**
   * Runs a model's call of `exec` or `wait` and returns the content the model reads. A mistake
   * of the model (bad source pragma, bad arguments, a cell already observed) is answered as
   * text for it to fix; a failure of the runtime itself (a lost daemon) is thrown.
   */
  handle(call: ModelToolCall): Promise<ContentItem[]>;
}

/** Errors the model caused and can act on; anything else is the host's to handle. */
const MODEL_ERRORS = new Set<number>([
  ErrorCode.BusyObserver,
  ErrorCode.AlreadyTerminating,
  ErrorCode.LimitExceeded,
  ErrorCode.ShuttingDown,
]);

export function createCodeModeTools(session: CodeModeSession, options: CodeModeToolsOptions): CodeModeTools {
  const exec: ExecToolDefinition = {
    type: "custom",
    name: EXEC_TOOL_NAME,
    description: execToolDescription(options.tools),
    format: { type: "text" },
  };

  async function runExec(input: unknown, callId: string): Promise<ContentItem[]> {
    if (typeof input !== "string") throw new TypeError("exec input must be the raw source text");
    let parsed: ExecSource;
    try {
      parsed = parseExecSource(input);
    } catch (error) {
      return answer((error as Error).message);
    }
    const { source, yieldTimeMs, maxOutputTokens } = parsed;
    return observe(maxOutputTokens, async () => {
      const request = { toolCallId: callId, source, enabledTools: options.tools };
      const cell = await session.execute(yieldTimeMs === undefined ? request : { ...request, yieldTimeMs });
      return cell.initialResponse;
    });
  }

  async function runWait(input: unknown): Promise<ContentItem[]> {
    let args: WaitArguments;
    try {
      args = parseWaitArguments(input);
    } catch (error) {
      return answer((error as Error).message);
    }
    const { cellId, yieldTimeMs, maxTokens, terminate } = args;
    return observe(maxTokens, () => (terminate ? session.terminate(cellId) : session.wait({ cellId, yieldTimeMs })));
  }

  return {
    exec,
    wait: WAIT_TOOL,
    definitions: [exec, WAIT_TOOL],
    handle(call) {
      if (call.name === EXEC_TOOL_NAME) return runExec(call.input, call.callId);
      if (call.name === WAIT_TOOL_NAME) return runWait(call.input);
      return Promise.resolve(
        answer(`unknown tool ${call.name}; the tools are ${EXEC_TOOL_NAME} and ${WAIT_TOOL_NAME}`),
      );
    },
  };
}

/** Renders the outcome `observation` answers, with the wall time it took; a model's mistake becomes text. */
async function observe(maxTokens: number | undefined, observation: () => Promise<WaitOutcome>): Promise<ContentItem[]> {
  const started = performance.now();
  let outcome: WaitOutcome;
  try {
    outcome = await observation();
  } catch (error) {
    if (error instanceof CodeModeError && MODEL_ERRORS.has(error.code)) return answer(error.message);
    throw error;
  }
  return renderOutcome(outcome, {
    wallTimeMs: performance.now() - started,
    maxTokens: maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
  });
}

const answer = (text: string): ContentItem[] => [{ type: "text", text }];
