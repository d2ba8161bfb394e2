// A host tool as a value: what the model is told of it and the handler that runs it. The
// shape `codemode run --tools` and `codemode mcp --tools` load from a module.
import type { ToolDefinitionInput } from "@codemode/protocol";

/** What a handler learns of the call it runs. */
export interface HostToolContext {
  /** Aborted when the cell ends or is terminated, or the session's tool call deadline passes. */
  signal: AbortSignal;
  cellId: string;
  /** The daemon's id of the call within its cell (`tool-3`). */
  callId: string;
}

/** A JSON Schema: an object (draft-07, or the draft its `$schema` names) or a boolean. */
export type JsonSchema = object | boolean;

export interface HostTool<Input = unknown> {
  /** The name the cell calls it by (`tools.<name>`, with characters outside `[A-Za-z0-9_$]` as `_`). */
  name: string;
  description?: string;
  /**
   * Declared to the model in TypeScript, and checked before the handler runs: input that
   * breaks it rejects the cell's call with what is wrong (`tools.multiply: input.a must be
   * number`) and the handler never sees it.
   */
  inputSchema?: JsonSchema;
  /** Declared to the model; checked against each result only when the registry's `checkOutput` is on. */
  outputSchema?: JsonSchema;
  /**
   * Whether a call waits for the host's `approve` or `deny` before the handler runs (default
   * false). A function decides per call, from the input (already checked against the
   * inputSchema); what it throws rejects the call.
   */
  needsApproval?: boolean | ((input: Input, context: HostToolContext) => boolean | Promise<boolean>);
  /**
   * Runs the call: gets the cell's JSON input (`{}` when the cell passed none and an
   * `inputSchema` is declared, else `undefined`) and returns JSON (`undefined` becomes
   * `null`). What it throws becomes the text the cell's promise rejects with.
   */
  handler(input: Input, context: HostToolContext): unknown;
}

/** What the daemon and the model are told of a tool. */
export function definitionOf(tool: HostTool): ToolDefinitionInput {
  return {
    name: tool.name,
    description: tool.description ?? "",
    ...(tool.inputSchema === undefined ? {} : { inputSchema: tool.inputSchema as ToolDefinitionInput["inputSchema"] }),
    ...(tool.outputSchema === undefined
      ? {}
      : { outputSchema: tool.outputSchema as ToolDefinitionInput["outputSchema"] }),
  };
}

/** Throws a `TypeError` naming what is wrong when `value` is not a host tool. */
export function checkHostTool(value: unknown, where: string): asserts value is HostTool {
  if (typeof value !== "object" || value === null) throw new TypeError(`${where} must be an object`);
  const tool = value as Partial<Record<keyof HostTool, unknown>>;
  if (typeof tool.name !== "string" || tool.name === "") throw new TypeError(`${where} needs a non-empty \`name\``);
  if (typeof tool.handler !== "function") throw new TypeError(`${where} (${tool.name}) needs a \`handler\` function`);
  if (tool.description !== undefined && typeof tool.description !== "string") {
    throw new TypeError(`${where} (${tool.name}): \`description\` must be a string`);
  }
  if (![undefined, true, false].includes(tool.needsApproval as never) && typeof tool.needsApproval !== "function") {
    throw new TypeError(`${where} (${tool.name}): \`needsApproval\` must be a boolean or a function`);
  }
}
