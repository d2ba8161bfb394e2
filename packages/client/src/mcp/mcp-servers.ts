// The configured MCP servers as host tools of a session: each server tool becomes the tool
// `mcp__<server>__<tool>` in namespace `<server>` (as Codex names them), and a cell's call of it
// becomes the server's `tools/call`.
import { createRequire } from "node:module";
import type { JsonValue, ToolDefinitionInput } from "@codemode/protocol";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { callToolResultSchema } from "../model/call-tool-result.js";
import type { NestedToolCall } from "../types.js";
import { type McpConfig, readMcpConfig } from "./config.js";
import { McpServerConnection } from "./server-connection.js";

const VERSION = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;

export interface McpServersOptions {
  /** How this client introduces itself to the servers (default `codemode` and this package's version). */
  clientInfo?: { name: string; version: string };
  /** What a stdio server writes to its stderr (default: dropped, but its end explains a failure). */
  onStderr?(server: string, text: string): void;
  /** A server's tools may have changed (it said so, died or started): the next `tools()` lists them again. */
  onToolsChanged?(server: string): void;
}

export interface McpServerStatus {
  server: string;
  state: "idle" | "starting" | "ready" | "failed" | "closed";
  /** Why it failed, naming the server. */
  error?: string;
  /** The MCP protocol version agreed with it, once connected. */
  protocolVersion?: string;
}

/** The flat name of an MCP server's tool, as Codex names it. */
export function mcpToolName(server: string, tool: string): string {
  return `mcp__${server}__${tool}`;
}

/**
 * The servers of a config, started lazily: the first `tools()` (or a call) starts them, or
 * `start()` does at once. A server that cannot start, dies or times out fails only its own tools,
 * with an error naming it; the others are not disturbed. A dead server is started again when next
 * used; one that failed to start is tried again on a use at least 30 s later.
 */
export class McpServers implements AsyncDisposable {
  private readonly servers = new Map<string, McpServerConnection>();

  constructor(config: McpConfig, options: McpServersOptions = {}) {
    const clientInfo = options.clientInfo ?? { name: "codemode", version: VERSION };
    for (const [name, server] of Object.entries(config.mcpServers)) {
      this.servers.set(
        name,
        new McpServerConnection(name, server, clientInfo, {
          stderr: (text) => options.onStderr?.(name, text),
          toolsChanged: () => options.onToolsChanged?.(name),
        }),
      );
    }
  }

  /** The servers of a config file (see `readMcpConfig`); throws an Error naming the file if it is bad. */
  static async fromFile(path: string, options?: McpServersOptions): Promise<McpServers> {
    return new McpServers(await readMcpConfig(path), options);
  }

  /** Starts every server now; resolves once each is up or has failed (see `status()`), never rejects. */
  async start(): Promise<McpServerStatus[]> {
    await Promise.allSettled([...this.servers.values()].map((server) => server.start()));
    return this.status();
  }

  status(): McpServerStatus[] {
    return [...this.servers.values()].map((server) => {
      const { protocolVersion } = server;
      return { server: server.name, ...server.status, ...(protocolVersion === undefined ? {} : { protocolVersion }) };
    });
  }

  /**
   * The host tools of every server that is up (starting the ones not started yet), in config
   * order then each server's order. A server that cannot be reached is left out: see `status()`.
   */
  async tools(): Promise<ToolDefinitionInput[]> {
    const listed = await Promise.all(
      [...this.servers.values()].map((server) =>
        server.tools().then(
          (tools) => tools.map((tool) => definition(server.name, tool)),
          () => [],
        ),
      ),
    );
    return listed.flat();
  }

  /** Whether `call` is for one of these servers (its namespace is a server's name). */
  owns(call: Pick<NestedToolCall, "tool">): boolean {
    return call.tool.namespace !== undefined && this.servers.has(call.tool.namespace);
  }

  /**
   * Runs a cell's call of an MCP tool: the cell's input is the tool's arguments (an object, or
   * none). Resolves with the server's `CallToolResult`, `isError: true` included; rejects with an
   * Error naming the server when it cannot start, dies, or does not answer in its `toolTimeoutMs`.
   * `signal` cancels the MCP request (`notifications/cancelled`).
   */
  async invokeTool(call: Pick<NestedToolCall, "tool" | "input">, signal: AbortSignal): Promise<JsonValue> {
    const { name, namespace } = call.tool;
    const server = namespace === undefined ? undefined : this.servers.get(namespace);
    if (server === undefined) throw new Error(`no MCP server is named ${namespace ?? "(none)"}`);
    const input = call.input;
    if (input !== undefined && (typeof input !== "object" || input === null || Array.isArray(input))) {
      throw new Error(`MCP server ${server.name}: the arguments of ${name} must be an object`);
    }
    return (await server.callTool(name, input, signal)) as JsonValue;
  }

  /** Closes every connection: stdio servers' processes end. */
  async close(): Promise<void> {
    await Promise.all([...this.servers.values()].map((server) => server.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function definition(server: string, tool: Tool): ToolDefinitionInput {
  return {
    name: mcpToolName(server, tool.name),
    toolName: { name: tool.name, namespace: server },
    description: tool.description ?? tool.title ?? "",
    inputSchema: tool.inputSchema as JsonValue,
    outputSchema: callToolResultSchema(tool.outputSchema) as JsonValue,
  };
}
