// Host tools as a session's delegate: a cell's call is dispatched by name, its input checked
// against the tool's inputSchema before the handler runs.
import { type JsonValue, jsToolName, type ToolDefinitionInput } from "@codemode/protocol";
import type { CellNotification, CodeModeSessionDelegate, NestedToolCall } from "../types.js";
import { ApprovalGate, type PendingApproval } from "./approvals.js";
import { checkHostTool, definitionOf, type HostTool, type HostToolContext } from "./host-tool.js";
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
  /** Told of each call that starts waiting for approval (say, to ask a person). */
  onApprovalRequest?: (request: PendingApproval) => void;
  /**
   * Told of what a handler threw (say, to log its stack), before it becomes the text the
   * cell's promise rejects with. What this throws is ignored.
   */
  onHandlerError?: (tool: string, error: unknown) => void;
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
  private readonly approvals: ApprovalGate;

  /**
   * `tools` may each declare their own input type (`HostTool<{ a: number }>`): `never` accepts
   * them all. Their input is whatever the cell sent, checked against the `inputSchema` first.
   */
  constructor(
    typed: readonly HostTool<never>[],
    private readonly options: ToolRegistryOptions = {},
  ) {
    const tools = typed as readonly HostTool[];
    this.approvals = new ApprovalGate(options.onApprovalRequest);
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
    const context: HostToolContext = { signal, cellId: call.cellId, callId: call.callId };
    if (await needsApprovalOf(tool, input, context)) {
      const request = {
        cellId: call.cellId,
        callId: call.callId,
        tool: tool.name,
        input: input as JsonValue | undefined,
      };
      const decision = await this.approvals.wait(request, signal);
      if (decision.kind === "denied") throw new Error(`${label} was denied: ${decision.reason}`);
      if (decision.kind === "cancelled") throw new Error(`${label} was cancelled while it waited for approval`);
    }
    const result = await this.runHandler(tool, input, context);
    const outputProblem = entry.checkOutput?.(result);
    if (outputProblem !== undefined) throw new Error(`${label}: ${outputProblem} (the result breaks its outputSchema)`);
    return result;
  }

  private async runHandler(tool: HostTool, input: unknown, context: HostToolContext): Promise<JsonValue> {
    try {
      return ((await tool.handler(input, context)) ?? null) as JsonValue;
    } catch (error) {
      try {
        this.options.onHandlerError?.(tool.name, error);
      } catch {}
      throw error;
    }
  }

  /** The calls waiting for approval, oldest first; of one cell when `cellId` is given. */
  pendingApprovals(cellId?: string): PendingApproval[] {
    return this.approvals.pending(cellId);
  }

  /**
   * Lets the call waiting for approval run its handler. `cellId` is needed only when calls of
   * several cells share the id. Throws an `Error` saying why when no such call waits (say, its
   * cell was terminated or lost with its daemon, and the call with it).
   */
  approve(callId: string, cellId?: string): void {
    this.approvals.decide(callId, cellId, { kind: "approved" });
  }

  /** Rejects the call waiting for approval (`tools.x was denied: {reason}`); throws as `approve`. */
  deny(callId: string, reason: string, cellId?: string): void {
    this.approvals.decide(callId, cellId, { kind: "denied", reason });
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

async function needsApprovalOf(tool: HostTool, input: unknown, context: HostToolContext): Promise<boolean> {
  const rule = tool.needsApproval;
  return typeof rule === "function" ? (await rule(input, context)) === true : rule === true;
}

/** The registry of `tools` (see `ToolRegistry`); throws a `TypeError` naming a malformed tool or schema. */
export function toolRegistry(tools: readonly HostTool<never>[], options?: ToolRegistryOptions): ToolRegistry {
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
