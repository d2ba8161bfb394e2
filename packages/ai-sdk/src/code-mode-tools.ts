// The AI SDK's `tool()` objects for `exec` and `wait`, over the client's model-facing layer.
import type { CodeModeSession, ContentItem } from "@codemode/client";
import {
  answerModelCall,
  type CodeModeToolsOptions,
  describeExec,
  EXEC_TOOL_NAME,
  EXEC_TOOL_PARAMETERS,
  type ModelAnswer,
  parseImageDataUrl,
  WAIT_TOOL_DESCRIPTION,
  WAIT_TOOL_NAME,
  WAIT_TOOL_PARAMETERS,
} from "@codemode/client/model";
import { type JSONSchema7, jsonSchema, type Tool, type ToolResultPart, tool } from "ai";

type ToolResultOutput = ToolResultPart["output"];

/** `exec`'s arguments: the source, and optionally the yield time (ms) and the output's token budget. */
export interface ExecInput {
  code: string;
  yield_time_ms?: number;
  max_output_tokens?: number;
}

/** `wait`'s arguments. */
export interface WaitInput {
  cell_id: string;
  yield_time_ms?: number;
  max_tokens?: number;
  terminate?: boolean;
}

// A type, not an interface: the AI SDK's `ToolSet` needs the index signature a type literal has.
export type CodeModeToolSet = {
  /** Made anew on each read, its description declaring the result types learned so far. */
  readonly exec: Tool<ExecInput, ModelAnswer>;
  readonly wait: Tool<WaitInput, ModelAnswer>;
};

/**
 * `{ exec, wait }` for `generateText` / `streamText`'s `tools`. Each runs the model's call
 * against `session` (aborting the call's `abortSignal` terminates an `exec` cell, or abandons a
 * `wait`) and returns the rendered answer, which reaches the model as content: text parts, and
 * images as `image-data` parts. A model's mistake is answered as text; a failure of the
 * runtime (a lost daemon) is thrown, and the AI SDK reports it as a tool error.
 */
export function codeModeTools(session: CodeModeSession, options: CodeModeToolsOptions): CodeModeToolSet {
  const run =
    (name: string) =>
    (input: unknown, { toolCallId, abortSignal }: { toolCallId: string; abortSignal?: AbortSignal | undefined }) =>
      answerModelCall(session, options, { name, callId: toolCallId, input }, "function", abortSignal);
  const toModelOutput = ({ output }: { output: ModelAnswer }): ToolResultOutput => ({
    type: "content",
    value: output.items.map(modelContent),
  });
  return {
    get exec() {
      return tool<ExecInput, ModelAnswer>({
        description: describeExec(session, options.tools),
        inputSchema: jsonSchema<ExecInput>(EXEC_TOOL_PARAMETERS as JSONSchema7),
        execute: run(EXEC_TOOL_NAME),
        toModelOutput,
      });
    },
    get wait() {
      return tool<WaitInput, ModelAnswer>({
        description: WAIT_TOOL_DESCRIPTION,
        inputSchema: jsonSchema<WaitInput>(WAIT_TOOL_PARAMETERS as JSONSchema7),
        execute: run(WAIT_TOOL_NAME),
        toModelOutput,
      });
    },
  };
}

type ContentPart = Extract<ToolResultOutput, { type: "content" }>["value"][number];

/** A `data:` image as `image-data`; any other URL as `image-url`. */
function modelContent(item: ContentItem): ContentPart {
  if (item.type === "text") return { type: "text", text: item.text };
  const image = parseImageDataUrl(item.imageUrl);
  return image ? { type: "image-data", ...image } : { type: "image-url", url: item.imageUrl };
}
