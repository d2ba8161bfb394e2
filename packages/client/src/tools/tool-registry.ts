// Host tools as a session's delegate: a cell's call is dispatched by name, its input checked
// against the tool's inputSchema before the handler runs.
import { type JsonValue, jsToolName, type ToolDefinitionInput } from "@codemode/protocol";
import type { CellNotification, CodeModeSessionDelegate, NestedToolCall } from "../types.js";
import { checkHostTool, definitionOf, type HostTool } from "./host-tool.js";
import { compileSchemaCheck, type SchemaCheck } from "./schema-check.js";

export interface ToolRegistryOptions {
  /**
   * Checks each result against the tool's `outputSchema` (default false: for development).
   * A result that breaks it rejects the call (`tools.x: output.total must be number`); it is
   * never changed to fit.
   */
  checkOutput?: boolean;
  /** Gets the cells' `notify()` texts (default: dropped). */
  notify?: CodeModeSessionDelegate["notify"];
}

interface RegisteredTool {
  tool: HostTool;
  /** `tools.<name>`, as the cell wrote the call: the prefix of every rejection. */
  label: string;
  checkInput: SchemaCheck | undefined;
  checkOutput: SchemaCheck | undefined;
}

export class ToolRegistry implements CodeModeSessionDelegate {
  /** What to pass as `enabledTools` (and to `createCodeModeTools`), in the order given. */
  readonly definitions: ToolDefinitionInput[];
  private readonly byName = new Map<string, RegisteredTool>();

  constructor(
    tools: readonly HostTool[],
    private readonly options: ToolRegistryOptions = {},
  ) {
    tools.forEach((tool, index) => {
      checkHostTool(tool, `tool ${index}`);
      if (this.byName.has(tool.name)) throw new TypeError(`two tools are named ${tool.name}`);
      this.byName.set(tool.name, {
        tool,
        label: `tools.${jsToolName(tool.name)}`,
        checkInput: compiled(tool, "inputSchema", "input"),
        checkOutput: options.checkOutput ? compiled(tool, "outputSchema", "output") : undefined,
      });
    });
    this.definitions = tools.map(definitionOf);
  }

  /**
   * Runs a cell's call. Rejects with an `Error` the cell reads: an unknown tool, input that
   * breaks the `inputSchema`, a result that breaks the `outputSchema` (with `checkOutput`), or
   * what the handler threw.
   */
  async invokeTool(call: NestedToolCall, signal: AbortSignal): Promise<JsonValue> {
    const entry = call.tool.namespace === undefined ? this.byName.get(call.tool.name) : undefined;
    if (!entry) throw new Error(this.unknownTool(call));
    const { tool, label } = entry;
    const input = call.input === undefined && tool.inputSchema !== undefined ? {} : call.input;
    const inputProblem = entry.checkInput?.(input);
    if (inputProblem !== undefined) throw new Error(`${label}: ${inputProblem}`);
    const result = ((await tool.handler(input, { signal, cellId: call.cellId, callId: call.callId })) ??
      null) as JsonValue;
    const outputProblem = entry.checkOutput?.(result);
    if (outputProblem !== undefined) throw new Error(`${label}: ${outputProblem} (the result breaks its outputSchema)`);
    return result;
  }

  async notify(notification: CellNotification, signal: AbortSignal): Promise<void> {
    await this.options.notify?.(notification, signal);
  }

  private unknownTool(call: NestedToolCall): string {
    const name = call.tool.namespace === undefined ? call.tool.name : `${call.tool.namespace}/${call.tool.name}`;
    const known = [...this.byName.keys()];
    return `unknown tool ${name}; the host tools are ${known.length === 0 ? "none" : known.join(", ")}`;
  }
}

/** The registry of `tools` (see `ToolRegistry`); throws a `TypeError` naming a malformed tool or schema. */
export function toolRegistry(tools: readonly HostTool[], options?: ToolRegistryOptions): ToolRegistry {
  return new ToolRegistry(tools, options);
}

function compiled(tool: HostTool, field: "inputSchema" | "outputSchema", root: string): SchemaCheck | undefined {
  const schema = tool[field];
  if (schema === undefined) return undefined;
  try {
    return compileSchemaCheck(schema, root);
  } catch (error) {
    throw new TypeError(`tool ${tool.name}: ${field} is not a valid JSON Schema: ${(error as Error).message}`);
  }
}
