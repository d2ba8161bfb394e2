// An MCP server that offers `exec` and `wait` over one code-mode session: one per MCP connection.
// Answers are rendered as the model-facing layer renders them; a cell's notify() reaches the
// client as progress of the call observing the cell, or else as a log message.
import type { ClientSession, CodeModeClient, CodeModeSessionDelegate, ToolDefinition } from "@codemode/client";
import {
  describeExec,
  EXEC_TOOL_NAME,
  EXEC_TOOL_PARAMETERS,
  type ExecArguments,
  type ModelAnswer,
  parseExecArguments,
  refusal,
  runExec,
  runWait,
  WAIT_TOOL_DESCRIPTION,
  WAIT_TOOL_NAME,
  WAIT_TOOL_PARAMETERS,
} from "@codemode/client/model";
// The low-level server: tools/list must await the MCP servers' tools, and the arguments are
// validated by the model-facing layer, with its own texts, not by the SDK.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type ServerNotification,
} from "@modelcontextprotocol/sdk/types.js";
import { toMcpContent } from "./content.js";

export interface CodeModeServerOptions {
  client: CodeModeClient;
  /** The host tools of the cells, listed again for every `exec` and every `tools/list`. */
  tools(): Promise<ToolDefinition[]>;
  /** Why configured tools are missing (MCP servers that failed), told to the model in `exec`'s description. */
  unavailable(): string[];
  /** Runs a cell's tool call. */
  invokeTool: CodeModeSessionDelegate["invokeTool"];
  version: string;
}

export interface CodeModeServer {
  server: Server;
  /** Tells the client that `exec`'s description changed (the host tools did). */
  toolsChanged(): void;
  /** Stops the session's cells and closes the server. */
  close(): Promise<void>;
}

/** Where a cell's notifications go while a call observes it: that call's progress. */
interface ProgressSink {
  token: string | number;
  progress: number;
  send(notification: ServerNotification): Promise<void>;
}

export async function openCodeModeServer(options: CodeModeServerOptions): Promise<CodeModeServer> {
  const server = new Server(
    { name: "codemode", version: options.version },
    { capabilities: { tools: { listChanged: true }, logging: {} } },
  );
  // Keyed by the cell an observing `wait` names, or by the call id of the `exec` that started it.
  const sinks = new Map<string, ProgressSink>();

  const session: ClientSession = await options.client.openSession({
    delegate: {
      invokeTool: options.invokeTool,
      async notify({ callId, cellId, text }) {
        const sink = sinks.get(`cell:${cellId}`) ?? sinks.get(`call:${callId}`);
        if (sink === undefined) {
          await server.sendLoggingMessage({ level: "info", logger: `cell ${cellId}`, data: text });
          return;
        }
        sink.progress++;
        await sink.send({
          method: "notifications/progress",
          params: { progressToken: sink.token, progress: sink.progress, message: text },
        });
      },
    },
  });

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const description = describeExec(session, await options.tools());
    const missing = options.unavailable();
    const note =
      missing.length === 0 ? "" : `\n\nUnavailable (their tools are not in \`tools\`):\n- ${missing.join("\n- ")}`;
    return {
      tools: [
        { name: EXEC_TOOL_NAME, description: description + note, inputSchema: EXEC_TOOL_PARAMETERS },
        { name: WAIT_TOOL_NAME, description: WAIT_TOOL_DESCRIPTION, inputSchema: WAIT_TOOL_PARAMETERS },
      ],
    };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    const token = extra._meta?.progressToken;
    const observe = async (key: string, run: () => Promise<ModelAnswer>) => {
      if (token !== undefined) sinks.set(key, { token, progress: 0, send: extra.sendNotification });
      try {
        return await run();
      } finally {
        sinks.delete(key);
      }
    };
    let answer: ModelAnswer;
    if (name === EXEC_TOOL_NAME) {
      const callId = `mcp-${String(extra.requestId)}`;
      answer = await observe(`call:${callId}`, async () => {
        let parsed: ExecArguments;
        try {
          parsed = parseExecArguments(args ?? {});
        } catch (error) {
          return refusal((error as Error).message);
        }
        return runExec(session, { ...parsed, callId, enabledTools: await options.tools(), signal: extra.signal });
      });
    } else if (name === WAIT_TOOL_NAME) {
      const cellId = typeof args?.cell_id === "string" ? args.cell_id : "";
      answer = await observe(`cell:${cellId}`, () => runWait(session, args ?? {}, extra.signal));
    } else {
      throw new McpError(ErrorCode.InvalidParams, `unknown tool ${name}; the tools are exec and wait`);
    }
    return { content: toMcpContent(answer.items), ...(answer.failed ? { isError: true } : {}) };
  });

  return {
    server,
    toolsChanged() {
      // Before the client is connected there is nobody to tell; it lists the tools anyway.
      server.sendToolListChanged().catch(() => {});
    },
    async close() {
      await session.shutdown();
      await server.close();
    },
  };
}
