// `exec` as a function tool, for hosts whose tools take JSON arguments (an MCP server's tools):
// `{code, yield_time_ms?, max_output_tokens?}`, its JSON Schema and its validation.
import { DEFAULT_YIELD_TIME_MS } from "@codemode/protocol";
import { z } from "zod";
import { count, objectError, parseArguments } from "./tool-arguments.js";
import { DEFAULT_MAX_OUTPUT_TOKENS } from "./truncate.js";

/** JSON Schema of the arguments. */
export const EXEC_TOOL_PARAMETERS = {
  type: "object",
  properties: {
    code: {
      type: "string",
      description: "The JavaScript source of the cell. A first-line `// @exec: {...}` pragma works as well.",
    },
    yield_time_ms: {
      type: "number",
      description: `Milliseconds to wait before returning the output so far while the cell keeps running. Defaults to ${DEFAULT_YIELD_TIME_MS}.`,
    },
    max_output_tokens: {
      type: "number",
      description: `Token budget of the output this call returns. Defaults to ${DEFAULT_MAX_OUTPUT_TOKENS}.`,
    },
  },
  required: ["code"],
  additionalProperties: false,
} as const;

/** The arguments, read: `code` as the model wrote it (a pragma in it still applies, below these). */
export interface ExecArguments {
  code: string;
  yieldTimeMs?: number;
  maxOutputTokens?: number;
}

const ExecArgumentsSchema = z.strictObject(
  {
    code: z.string({ error: "`code` must be a string" }),
    yield_time_ms: count("yield_time_ms"),
    max_output_tokens: count("max_output_tokens"),
  },
  { error: objectError("exec", "`code`, `yield_time_ms` and `max_output_tokens`") },
);

/**
 * Validates `exec`'s arguments, given as an object or as JSON text. Throws an `Error` whose
 * message starts with `invalid exec arguments: ` and names every field that is wrong.
 */
export function parseExecArguments(args: unknown): ExecArguments {
  const { code, yield_time_ms, max_output_tokens } = parseArguments(
    ExecArgumentsSchema,
    args,
    "invalid exec arguments: ",
  );
  return {
    code,
    ...(yield_time_ms == null ? {} : { yieldTimeMs: yield_time_ms }),
    ...(max_output_tokens == null ? {} : { maxOutputTokens: max_output_tokens }),
  };
}
