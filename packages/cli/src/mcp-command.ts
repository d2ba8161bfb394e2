// `codemode mcp`: an MCP server (stdio, or Streamable HTTP) whose `exec` and `wait` run cells
// against the tools of the configured MCP servers and of a tools module. It lives until the
// client closes stdin (on HTTP: until a signal), then stops every cell, every MCP server it
// started and its daemon.
import {
  CodeModeClient,
  type CodeModeSessionDelegate,
  McpServers,
  type ToolDefinition,
  type ToolRegistry,
} from "@codemode/client";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { approvalPolicy } from "./approval-policy.js";
import { ExitCode, UsageError } from "./exit.js";
import { openCodeModeServer } from "./mcp/code-mode-server.js";
import { LOOPBACK_HOSTS, listenHttp } from "./mcp/http-listener.js";
import { loadTools, reportHandlerError } from "./tools-module.js";
import { VERSION } from "./version.js";

export interface McpCommandOptions {
  config?: string;
  toolsModule?: string;
  /** Serve Streamable HTTP there instead of stdio. */
  http?: { host: string; port: number };
  /** What happens to calls waiting for approval (default `none`). */
  approve?: "all" | "none" | undefined;
}

export interface McpCommandIO {
  /** Diagnostics: MCP servers' states and their stderr, prefixed with their names. */
  err(text: string): void;
  /** Resolves when the command should stop (stdin ended, a signal came). */
  stopped: Promise<void>;
  /** The bearer token an HTTP listener requires (required off loopback). */
  token?: string | undefined;
}

/** Serves until `io.stopped`; resolves with the exit code once everything it started is closed. */
export async function serveMcp(options: McpCommandOptions, io: McpCommandIO): Promise<number> {
  if (options.http && io.token === undefined && !LOOPBACK_HOSTS.includes(options.http.host)) {
    throw new UsageError(`--http on ${options.http.host} needs a bearer token in CODEMODE_MCP_TOKEN`);
  }
  const hostTools: ToolRegistry = await loadTools(options.toolsModule, {
    onApprovalRequest: approvalPolicy(options.approve ?? "none", () => hostTools, {
      ask: async () => undefined,
      err: io.err,
    }),
    onHandlerError: reportHandlerError(io.err),
  });
  let changed = () => {};
  const servers =
    options.config === undefined
      ? undefined
      : await McpServers.fromFile(options.config, {
          clientInfo: { name: "codemode-mcp", version: VERSION },
          onStderr: (server, text) => io.err(prefixLines(`[${server}] `, text)),
          onToolsChanged: () => changed(),
        }).catch((error: Error) => {
          throw new UsageError(`cannot use the MCP config: ${error.message}`);
        });

  const client = await CodeModeClient.start();
  try {
    // Started at once: a broken server is reported now, and the first tools/list is quick.
    for (const status of (await servers?.start()) ?? []) {
      io.err(
        status.state === "ready"
          ? `codemode mcp: ${status.server} ready (MCP ${status.protocolVersion ?? "?"})\n`
          : `codemode mcp: ${status.error ?? `${status.server} is ${status.state}`}\n`,
      );
    }
    const invokeTool: CodeModeSessionDelegate["invokeTool"] = (call, signal) =>
      servers?.owns(call) ? servers.invokeTool(call, signal) : hostTools.invokeTool(call, signal);
    const tools = async (): Promise<ToolDefinition[]> => [
      ...hostTools.definitions,
      ...((await servers?.tools()) ?? []),
    ];

    const unavailable = () =>
      (servers?.status() ?? []).flatMap((status) => (status.state === "failed" && status.error ? [status.error] : []));
    const open = () => openCodeModeServer({ client, tools, unavailable, invokeTool, version: VERSION });
    if (options.http) {
      const listener = await listenHttp({ ...options.http, token: io.token, open });
      changed = () => listener.toolsChanged();
      io.err(`codemode mcp: listening on ${listener.url}\n`);
      await io.stopped;
      await listener.close();
    } else {
      const served = await open();
      changed = () => served.toolsChanged();
      await served.server.connect(new StdioServerTransport());
      await io.stopped;
      await served.close();
    }
    return ExitCode.completed;
  } finally {
    await servers?.close();
    await client.close();
  }
}

function prefixLines(prefix: string, text: string): string {
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  return `${lines.map((line) => prefix + line).join("\n")}\n`;
}
