// One configured MCP server: its connection's lifetime (started on first use, started again on
// the use after it died), its tool list (fetched again after `notifications/tools/list_changed`),
// and its tool calls. Every failure is an Error whose message names the server.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type CallToolResult,
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type Tool,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { DEFAULT_STARTUP_TIMEOUT_MS, DEFAULT_TOOL_TIMEOUT_MS, type McpServerConfig } from "./config.js";

/** After a failed start, the server is not tried again for this long: a broken one costs little. */
const RETRY_AFTER_MS = 30_000;
/** How much of a stdio server's stderr is kept to explain its failures. */
const STDERR_TAIL_CHARS = 2_000;

export interface ConnectionEvents {
  /** Text the server wrote to its stderr (stdio servers). */
  stderr?(text: string): void;
  /** Its tool list may have changed: it announced so, it died, or it (re)started. */
  toolsChanged?(): void;
}

interface Connected {
  client: Client;
  transport: Transport;
  /** The MCP protocol version agreed at initialization. */
  protocolVersion?: string;
  /** The last listing, until the server says its tools changed. */
  tools?: Promise<Tool[]>;
}

type State =
  | { kind: "idle" }
  | { kind: "starting"; connected: Promise<Connected> }
  | { kind: "ready"; connected: Connected }
  | { kind: "failed"; error: Error; at: number }
  | { kind: "closed" };

export class McpServerConnection {
  private state: State = { kind: "idle" };
  private stderrTail = "";

  constructor(
    readonly name: string,
    private readonly config: McpServerConfig,
    private readonly clientInfo: { name: string; version: string },
    private readonly events: ConnectionEvents = {},
  ) {}

  /** `idle`, `starting`, `ready`, `failed` (with why) or `closed`. */
  get status(): { state: State["kind"]; error?: string } {
    return this.state.kind === "failed"
      ? { state: "failed", error: this.state.error.message }
      : { state: this.state.kind };
  }

  /** The MCP protocol version agreed with the server, once connected. */
  get protocolVersion(): string | undefined {
    return this.state.kind === "ready" ? this.state.connected.protocolVersion : undefined;
  }

  /** Connects if it is not connected; rejects (naming the server) if it cannot start. */
  async start(): Promise<void> {
    await this.connected();
  }

  /** The server's tools, every page of them; listed again after it announced a change. */
  async tools(): Promise<Tool[]> {
    const connected = await this.connected();
    connected.tools ??= this.listTools(connected.client);
    const listing = connected.tools;
    try {
      return await listing;
    } catch (error) {
      if (connected.tools === listing) delete connected.tools;
      throw this.failure(error, "could not list its tools");
    }
  }

  /** Calls a tool; resolves with the `CallToolResult` as the server sent it (the SDK validates it). */
  async callTool(
    tool: string,
    args: Record<string, unknown> | undefined,
    signal: AbortSignal,
  ): Promise<CallToolResult> {
    const { client } = await untilAborted(this.connected(), signal);
    const timeout = this.config.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    try {
      const params = args === undefined ? { name: tool } : { name: tool, arguments: args };
      return (await client.callTool(params, CallToolResultSchema, { signal, timeout })) as CallToolResult;
    } catch (error) {
      if (signal.aborted) throw error;
      throw this.failure(error, `failed calling ${tool}`, timeout);
    }
  }

  /** Closes the connection (a stdio server's process ends, an HTTP session is deleted); later uses reject. */
  async close(): Promise<void> {
    const state = this.state;
    this.state = { kind: "closed" };
    if (state.kind === "ready") await disconnect(state.connected);
    if (state.kind === "starting") await state.connected.then(disconnect, () => {});
  }

  private connected(): Promise<Connected> {
    const state = this.state;
    switch (state.kind) {
      case "ready":
        return Promise.resolve(state.connected);
      case "starting":
        return state.connected;
      case "closed":
        return Promise.reject(new Error(`MCP server ${this.name} is closed`));
      case "failed":
        if (Date.now() - state.at < RETRY_AFTER_MS) return Promise.reject(state.error);
        break;
      case "idle":
        break;
    }
    const connected = this.connect();
    this.state = { kind: "starting", connected };
    connected.then(
      (done) => {
        if (this.state.kind !== "starting" || this.state.connected !== connected) return;
        this.state = { kind: "ready", connected: done };
        this.events.toolsChanged?.();
      },
      (error: Error) => {
        if (this.state.kind === "starting" && this.state.connected === connected) {
          this.state = { kind: "failed", error, at: Date.now() };
        }
      },
    );
    return connected;
  }

  private async connect(): Promise<Connected> {
    this.stderrTail = "";
    const client = new Client(this.clientInfo, { capabilities: {} });
    const transport = this.transport();
    const connected: Connected = { client, transport };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      delete connected.tools;
      this.events.toolsChanged?.();
    });
    client.onclose = () => {
      if (this.state.kind !== "ready" || this.state.connected !== connected) return;
      this.state = { kind: "idle" };
      this.events.toolsChanged?.();
    };
    const timeout = this.config.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
    try {
      // The SDK hands the agreed version to the transport, through this optional hook only.
      const setProtocolVersion = transport.setProtocolVersion?.bind(transport);
      transport.setProtocolVersion = (version) => {
        connected.protocolVersion = version;
        setProtocolVersion?.(version);
      };
      await client.connect(transport, { timeout });
      connected.tools = this.listTools(client, timeout);
      await connected.tools;
    } catch (error) {
      await client.close().catch(() => {});
      throw this.failure(error, "failed to start", timeout);
    }
    return connected;
  }

  private transport(): Transport {
    const config = this.config;
    if ("url" in config) {
      const headers = config.headers;
      return new StreamableHTTPClientTransport(new URL(config.url), headers ? { requestInit: { headers } } : {});
    }
    const transport = new StdioClientTransport({
      command: config.command,
      ...(config.args === undefined ? {} : { args: config.args }),
      ...(config.env === undefined ? {} : { env: config.env }),
      ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
      this.events.stderr?.(text);
    });
    return transport;
  }

  private async listTools(client: Client, timeout = DEFAULT_STARTUP_TIMEOUT_MS): Promise<Tool[]> {
    const tools: Tool[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout });
      tools.push(...page.tools);
      cursor = page.nextCursor;
      // A server that hands out a cursor twice would page forever.
      if (cursor !== undefined && cursors.has(cursor)) break;
      if (cursor !== undefined) cursors.add(cursor);
    } while (cursor !== undefined);
    return tools;
  }

  /**
   * `error` as the Error a cell reads: the server's name, what failed and why; when the server is
   * gone or never came up, the end of its stderr, which usually says why.
   */
  private failure(error: unknown, what: string, timeoutMs?: number): Error {
    const closed = error instanceof McpError && error.code === ErrorCode.ConnectionClosed;
    let why: string;
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout && timeoutMs !== undefined) {
      why = `no answer within ${timeoutMs} ms`;
    } else if (closed) {
      why = "the connection closed";
    } else {
      why = error instanceof Error ? error.message : String(error);
    }
    const stderr = closed || this.state.kind !== "ready" ? this.stderrTail.trim().split("\n").slice(-3).join("\n") : "";
    return new Error(`MCP server ${this.name} ${what}: ${why}${stderr === "" ? "" : `; its stderr ends:\n${stderr}`}`);
  }
}

/** Ends a connection; a Streamable HTTP session is deleted on the server first (best effort). */
async function disconnect({ client, transport }: Connected): Promise<void> {
  if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession().catch(() => {});
  await client.close();
}

/** `promise`, or a rejection with the signal's reason once it is aborted (the work goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}
