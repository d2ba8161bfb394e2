// Test harness: the real daemon binary over real piped stdio, driven with vscode-jsonrpc,
// with a set of host tools whose behaviour each test can observe.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  type CellNotifyParams,
  type CellOutcome,
  type DaemonStats,
  type JsonValue,
  PROTOCOL_VERSION,
  type ToolDefinitionInput,
  type ToolInvokeParams,
} from "@codemode/protocol";
import {
  type CancellationToken,
  createMessageConnection,
  type MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-jsonrpc/node";

export const DAEMON_BIN = fileURLToPath(new URL("../dist/codemode-daemon.js", import.meta.url));

export type HostTool = (
  input: JsonValue | undefined,
  signal: AbortSignal,
  call: ToolInvokeParams,
) => Promise<JsonValue>;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves after `ms`, or rejects when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new Error("cancelled"));
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new Error("cancelled"));
    });
  });
}

export interface Harness {
  connection: MessageConnection;
  child: ChildProcess;
  exited: Promise<number | null>;
  tools: Map<string, HostTool>;
  /** Every tool call the host received, and whether the daemon cancelled it. */
  calls: { params: ToolInvokeParams; cancelled: boolean; settled: boolean }[];
  notifies: CellNotifyParams[];
  /** Every notification the daemon sent, in order. */
  events: { method: string; params: unknown }[];
  /** What the daemon wrote to stderr (it is also passed through to this process's stderr). */
  stderr: string;
  /** How long the host takes to answer `cell/notify`. */
  notifyDelayMs: number;
  request<R = unknown>(method: string, params?: unknown): Promise<R>;
  open(params?: Record<string, unknown>): Promise<string>;
  execute(sessionId: string, source: string, options?: ExecuteOptions): Promise<CellOutcome>;
  wait(sessionId: string, cellId: string, yieldTimeMs?: number): Promise<CellOutcome>;
  terminate(sessionId: string, cellId: string): Promise<CellOutcome>;
  stats(): Promise<DaemonStats>;
  close(): Promise<void>;
}

export interface ExecuteOptions {
  cellId?: string;
  yieldTimeMs?: number;
  toolCallId?: string;
  tools?: ToolDefinitionInput[];
}

/** The tools every test session can enable. */
export const TOOLS: ToolDefinitionInput[] = ["echo", "sleep", "fail", "hang"].map((name) => ({
  name,
  description: `test tool ${name}`,
}));

function defaultTools(): Map<string, HostTool> {
  return new Map<string, HostTool>([
    ["echo", async (input) => input ?? null],
    [
      "sleep",
      async (input, signal) => {
        const { ms = 10, value = null } = (input ?? {}) as { ms?: number; value?: JsonValue };
        await abortableSleep(ms, signal);
        return value;
      },
    ],
    [
      "fail",
      async (input) => {
        throw new ResponseError(-32020, String((input as { message?: string } | null)?.message ?? "tool failed"));
      },
    ],
    ["hang", (_input, signal) => abortableSleep(3_600_000, signal).then(() => null)],
  ]);
}

/** Extra daemon flags for every test daemon: the `engine-debug` test project runs on the debug build. */
const ENGINE_ARGS = process.env.CODEMODE_TEST_ENGINE === "debug" ? ["--engine-debug"] : [];

export async function startDaemon(args: string[] = []): Promise<Harness> {
  const child = spawn(process.execPath, [DAEMON_BIN, ...ENGINE_ARGS, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const harness: Harness = {
    connection,
    child,
    exited,
    tools: defaultTools(),
    calls: [],
    notifies: [],
    events: [],
    stderr: "",
    notifyDelayMs: 0,
    request: (method, params) =>
      (params === undefined
        ? connection.sendRequest(method)
        : connection.sendRequest(method, params)) as Promise<never>,
    open: async (params = {}) => (await harness.request<{ sessionId: string }>("session/open", params)).sessionId,
    execute: (sessionId, source, options = {}) =>
      harness.request("cell/execute", {
        sessionId,
        source,
        toolCallId: options.toolCallId ?? "call-1",
        enabledTools: options.tools ?? TOOLS,
        ...(options.cellId === undefined ? {} : { cellId: options.cellId }),
        ...(options.yieldTimeMs === undefined ? {} : { yieldTimeMs: options.yieldTimeMs }),
      }),
    wait: (sessionId, cellId, yieldTimeMs) =>
      harness.request("cell/wait", { sessionId, cellId, ...(yieldTimeMs === undefined ? {} : { yieldTimeMs }) }),
    terminate: (sessionId, cellId) => harness.request("cell/terminate", { sessionId, cellId }),
    stats: () => harness.request("daemon/stats", {}),
    close: async () => {
      if (child.exitCode === null) {
        await harness.request("shutdown").catch(() => {});
        await connection.sendNotification("exit").catch(() => {});
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      connection.dispose();
    },
  };
  connection.onRequest("tool/invoke", async (params: ToolInvokeParams, token: CancellationToken) => {
    const record = { params, cancelled: false, settled: false };
    harness.calls.push(record);
    const controller = new AbortController();
    const cancel = () => {
      record.cancelled = true;
      controller.abort();
    };
    // A request cancelled before it was dispatched has a token whose event never fires.
    if (token.isCancellationRequested) cancel();
    else token.onCancellationRequested(cancel);
    const tool = harness.tools.get(params.tool.name);
    try {
      if (!tool) throw new ResponseError(-32020, `unknown tool ${params.tool.name}`);
      return await tool(params.input, controller.signal, params);
    } finally {
      record.settled = true;
    }
  });
  connection.onRequest("cell/notify", async (params: CellNotifyParams) => {
    if (harness.notifyDelayMs > 0) await sleep(harness.notifyDelayMs);
    harness.notifies.push(params);
    return null;
  });
  connection.onNotification((method: string, params: unknown) => {
    harness.events.push({ method, params });
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    harness.stderr += chunk.toString();
    process.stderr.write(chunk);
  });
  connection.listen();
  await harness.request("initialize", { protocolVersion: PROTOCOL_VERSION, clientInfo: { name: "tests" } });
  await connection.sendNotification("initialized", {});
  return harness;
}

/** Texts of an outcome's items. */
export function texts(outcome: CellOutcome): string[] {
  return outcome.items.map((item) => (item.type === "text" ? item.text : `[image ${item.imageUrl}]`));
}

/** Polls `check` until it holds or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await sleep(10);
  }
}
