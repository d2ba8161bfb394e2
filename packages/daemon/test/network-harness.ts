// The real daemon listening for WebSocket connections (--listen on a free port, behind a bearer
// token), and hosts connecting to it over real sockets with the wire's WebSocket transport.
import { type ChildProcess, spawn } from "node:child_process";
import type { IncomingHttpHeaders } from "node:http";
import { PROTOCOL_VERSION, type ToolInvokeParams } from "@codemode/protocol";
import { connectWebSocket } from "@codemode/wire";
import type { MessageConnection } from "vscode-jsonrpc/node";
import { WebSocket } from "ws";
import { DAEMON_BIN } from "./harness.js";

export const TOKEN = "s3cret token/with=odd+chars";

export interface Listening {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr(): string;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `codemode-daemon --listen 127.0.0.1:0` with `args`, the token in CODEMODE_TOKEN; resolves once it listens. */
export async function listenDaemon(args: string[] = [], env: NodeJS.ProcessEnv = { CODEMODE_TOKEN: TOKEN }) {
  const child = spawn(process.execPath, [DAEMON_BIN, "--listen", "127.0.0.1:0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let stdout = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && line !== undefined) resolve((JSON.parse(line) as { listening: string }).listening);
    });
    void exited.then((code) => reject(new Error(`the daemon exited (${code}) before listening: ${stderr}`)));
  });
  const listening: Listening = {
    url,
    child,
    exited,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
  return listening;
}

/** The answer to an upgrade request with these headers: the open socket, or the HTTP status and headers refusing it. */
export function upgrade(
  url: string,
  headers: Record<string, string>,
): Promise<{ socket: WebSocket } | { status: number | undefined; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => resolve({ socket }));
    socket.once("unexpected-response", (_request, response) => {
      resolve({ status: response.statusCode, headers: response.headers });
      response.resume();
      socket.terminate();
    });
    socket.once("error", reject);
  });
}

export const bearer = (token = TOKEN) => ({ Authorization: `Bearer ${token}` });

export type Tool = (input: unknown, call: ToolInvokeParams) => Promise<unknown>;

export interface Host {
  socket: WebSocket;
  connection: MessageConnection;
  /** Every tool call this host received. */
  calls: ToolInvokeParams[];
  /** Every notification this host received. */
  events: { method: string; params: unknown }[];
  request<R = unknown>(method: string, params?: unknown): Promise<R>;
  /** Resolves once the socket is closed. */
  closed: Promise<number>;
}

/** Connects a host with these tools (by name) and initializes the connection. */
export async function connectHost(url: string, tools: Record<string, Tool> = {}): Promise<Host> {
  const opened = await upgrade(url, bearer());
  if (!("socket" in opened)) throw new Error(`upgrade refused with ${opened.status}`);
  const { socket } = opened;
  const closed = new Promise<number>((resolve) => socket.once("close", resolve));
  const wire = connectWebSocket(socket, { maxMessageBytes: 64 * 1024 * 1024, logger: { log: () => {} } });
  const { connection } = wire;
  const host: Host = {
    socket,
    connection,
    calls: [],
    events: [],
    request: (method, params) =>
      (params === undefined
        ? connection.sendRequest(method)
        : connection.sendRequest(method, params)) as Promise<never>,
    closed,
  };
  connection.onRequest("tool/invoke", (params: ToolInvokeParams) => {
    host.calls.push(params);
    const tool = tools[params.tool.name];
    if (!tool) throw new Error(`unknown tool ${params.tool.name}`);
    return tool(params.input, params);
  });
  connection.onNotification((method: string, params: unknown) => {
    host.events.push({ method, params });
  });
  connection.listen();
  await host.request("initialize", { protocolVersion: PROTOCOL_VERSION, clientInfo: { name: "network tests" } });
  return host;
}

/** Never settles: a tool whose host does not answer. */
export const never: Tool = () => new Promise(() => {});
export const echo: Tool = async (input) => input ?? null;
