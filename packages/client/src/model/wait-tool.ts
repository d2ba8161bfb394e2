// The `wait` tool: its schema for the model, and the validation of the arguments the model sends.
import { DEFAULT_YIELD_TIME_MS } from "@codemode/protocol";
import { z } from "zod";
import { count, objectError, parseArguments } from "./tool-arguments.js";
import { DEFAULT_MAX_OUTPUT_TOKENS } from "./truncate.js";

export const WAIT_TOOL_NAME = "wait";

export const WAIT_TOOL_DESCRIPTION = [
  "Waits on an `exec` cell that is still running and returns its new output or its final result.",
  "- Use it only after `exec` (or an earlier `wait`) returned `Script running with cell ID {id}`.",
  "- `cell_id` is that id.",
  `- \`yield_time_ms\` is how long to wait for the cell to finish before returning the output produced so far (default ${DEFAULT_YIELD_TIME_MS}).`,
  `- \`max_tokens\` is the token budget of the output this call returns (default ${DEFAULT_MAX_OUTPUT_TOKENS}).`,
  "- `terminate: true` stops the cell instead of waiting, and returns the output it had not yet returned.",
  "- Each call returns only the output produced since the previous result. Once the final result has been returned the cell is closed.",
].join("\n");

/** JSON Schema of the arguments, as a function tool declares them. */
export const WAIT_TOOL_PARAMETERS = {
  type: "object",
  properties: {
    cell_id: { type: "string", description: "Id of the running exec cell." },
    yield_time_ms: {
      type: "number",
      description: `Milliseconds to wait before returning the output so far. Defaults to ${DEFAULT_YIELD_TIME_MS}.`,
      default: DEFAULT_YIELD_TIME_MS,
    },
    max_tokens: {
      type: "number",
      description: `Token budget of the output this call returns. Defaults to ${DEFAULT_MAX_OUTPUT_TOKENS}.`,
      default: DEFAULT_MAX_OUTPUT_TOKENS,
    },
    terminate: { type: "boolean", description: "True stops the cell; false or omitted waits for output." },
  },
  required: ["cell_id"],
  additionalProperties: false,
} as const;

/** The `wait` tool as a function tool definition. */
export const WAIT_TOOL = {
  type: "function",
  name: WAIT_TOOL_NAME,
  description: WAIT_TOOL_DESCRIPTION,
  parameters: WAIT_TOOL_PARAMETERS,
  // Optional fields with defaults are not a strict-mode schema, and OpenAI's Responses API turns
  // strict mode on unless a tool says otherwise; the arguments are validated here instead.
  strict: false,
} as const;

export interface WaitArguments {
  cellId: string;
  yieldTimeMs: number;
  maxTokens: number;
  terminate: boolean;
}

const WaitArgumentsSchema = z.strictObject(
  {
    cell_id: z.string({ error: "`cell_id` must be a string" }).min(1, { error: "`cell_id` must not be empty" }),
    yield_time_ms: count("yield_time_ms"),
    max_tokens: count("max_tokens"),
    terminate: z.boolean({ error: "`terminate` must be a boolean" }).nullish(),
  },
  { error: objectError("wait", "`cell_id`, `yield_time_ms`, `max_tokens` and `terminate`") },
);

/**
 * Validates the model's `wait` arguments, given as an object or as the JSON text a function call
 * carries, and fills in the defaults. Throws an `Error` whose message starts with
 * `invalid wait arguments: ` and names every field that is wrong.
 */
export function parseWaitArguments(args: unknown): WaitArguments {
  const { cell_id, yield_time_ms, max_tokens, terminate } = parseArguments(
    WaitArgumentsSchema,
    args,
    "invalid wait arguments: ",
  );
  return {
    cellId: cell_id,
    yieldTimeMs: yield_time_ms ?? DEFAULT_YIELD_TIME_MS,
    maxTokens: max_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    terminate: terminate ?? false,
  };
}
