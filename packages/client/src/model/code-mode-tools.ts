// `exec` and `wait` ready for an agent loop: the definitions to hand a model API, and handlers
// that run the model's calls against a session and answer with what the model reads.
import type { ContentItem, ToolDefinitionInput } from "@codemode/protocol";
import type { CodeModeSession } from "../types.js";
import { type Approvals, type ModelAnswer, refusal, runExec, runWait } from "./cell-calls.js";
import { EXEC_TOOL_PARAMETERS, type ExecArguments, parseExecArguments } from "./exec-arguments.js";
import { execToolDescription } from "./tool-description.js";
import { WAIT_TOOL, WAIT_TOOL_DESCRIPTION, WAIT_TOOL_NAME, WAIT_TOOL_PARAMETERS } from "./wait-tool.js";

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
  /**
   * Where a running cell's calls waiting for approval are found (the session's
   * `ToolRegistry`): each observation of the cell names them (`Waiting for approval:
   * tools.x (tool-3)`).
   */
  approvals?: Approvals;
}

/** A call the model made, as an agent loop receives it. */
export interface ModelToolCall {
  /** `exec` or `wait`. */
  name: string;
  /** The model's id of the call; an `exec` cell's notifications carry it. */
  callId: string;
  /**
   * `exec`: the raw source text (a custom tool) or its function arguments; `wait`: the
   * arguments, as JSON text or already parsed.
   */
  input: unknown;
}

export interface CodeModeTools {
  /**
   * Made anew on each read: its description declares the result types the session learned
   * so far for tools without an outputSchema. Read it (or `definitions`) for every request.
   */
  readonly exec: ExecToolDefinition;
  wait: typeof WAIT_TOOL;
  /** Both definitions, in the order to hand them to the model. */
  readonly definitions: [ExecToolDefinition, typeof WAIT_TOOL];
  /**
   * Runs a model's call of `exec` or `wait` and returns the content the model reads. A mistake
   * of the model (bad source pragma, bad arguments, a cell already observed) is answered as
   * text for it to fix; a failure of the runtime itself (a lost daemon) is thrown.
   */
  handle(call: ModelToolCall): Promise<ContentItem[]>;
}

export function createCodeModeTools(session: CodeModeSession, options: CodeModeToolsOptions): CodeModeTools {
  const exec = (): ExecToolDefinition => ({
    type: "custom",
    name: EXEC_TOOL_NAME,
    description: describeExec(session, options.tools),
    format: { type: "text" },
  });

  return {
    get exec() {
      return exec();
    },
    wait: WAIT_TOOL,
    get definitions(): [ExecToolDefinition, typeof WAIT_TOOL] {
      return [exec(), WAIT_TOOL];
    },
    handle: async (call) => {
      if (call.name === EXEC_TOOL_NAME && typeof call.input !== "string") {
        throw new TypeError("exec input must be the raw source text");
      }
      return (await answerModelCall(session, options, call, "freeform")).items;
    },
  };
}

/**
 * Runs a model's call of `exec` or `wait` (any other name is refused as text). `exec`'s input
 * is the raw source (`freeform`, the Responses API's custom tool) or the function arguments
 * `{code, yield_time_ms?, max_output_tokens?}` as an object or JSON text (`function`);
 * `wait`'s are its function arguments. A model's mistake is answered as text.
 */
export async function answerModelCall(
  session: CodeModeSession,
  options: CodeModeToolsOptions,
  call: ModelToolCall,
  execForm: "freeform" | "function",
  signal?: AbortSignal,
): Promise<ModelAnswer> {
  const { tools: enabledTools, approvals } = options;
  if (call.name === EXEC_TOOL_NAME) {
    if (execForm === "freeform") {
      return runExec(session, { callId: call.callId, code: String(call.input), enabledTools, approvals, signal });
    }
    let parsed: ExecArguments;
    try {
      parsed = parseExecArguments(call.input);
    } catch (error) {
      return refusal((error as Error).message);
    }
    return runExec(session, { ...parsed, callId: call.callId, enabledTools, approvals, signal });
  }
  if (call.name === WAIT_TOOL_NAME) return runWait(session, call.input, signal, approvals);
  return refusal(`unknown tool ${call.name}; the tools are ${EXEC_TOOL_NAME} and ${WAIT_TOOL_NAME}`);
}

/**
 * `exec` and `wait` in another API's shape: `define` gets each tool's name, description (for
 * `exec`, made now, with the learned result types) and JSON Schema of its function arguments.
 */
export function execAndWait<T>(
  session: CodeModeSession,
  options: CodeModeToolsOptions,
  define: (name: string, description: string, parameters: FunctionParameters) => T,
): [T, T] {
  return [
    define(EXEC_TOOL_NAME, describeExec(session, options.tools), EXEC_TOOL_PARAMETERS),
    define(WAIT_TOOL_NAME, WAIT_TOOL_DESCRIPTION, WAIT_TOOL_PARAMETERS),
  ];
}

/** The JSON Schema of a function tool's arguments, as `exec` and `wait` declare them. */
export type FunctionParameters = typeof EXEC_TOOL_PARAMETERS | typeof WAIT_TOOL_PARAMETERS;

/** `exec`'s description, with the result types `session` learned for tools that declare none. */
export function describeExec(session: CodeModeSession, tools: readonly ToolDefinitionInput[]): string {
  return execToolDescription(
    tools.map((tool) => {
      const observed = tool.outputSchema === undefined ? session.observedResultSchema?.(tool.name) : undefined;
      return observed === undefined ? tool : { ...tool, observedOutputSchema: observed };
    }),
  );
}
