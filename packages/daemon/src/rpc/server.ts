// The JSON-RPC adapter: LSP lifecycle, params validation, routing of every SPEC §5 method to
// the Daemon, and the reverse requests and notifications a cell needs. Thin by design.
import {
  CellClosed,
  CellExecute,
  CellNotify,
  CellStarted,
  CellTerminate,
  CellWait,
  type DaemonLimits,
  DaemonStatsRequest,
  ErrorCode,
  Exit,
  Initialize,
  type InitializeResult,
  LogTrace,
  type ParamsOf,
  PROTOCOL_VERSION,
  protocolMajor,
  type RequestMethod,
  type ResultOf,
  SessionOpen,
  SessionShutdown,
  SessionStored,
  SessionStoredValues,
  SetTrace,
  Shutdown,
  ToolInvoke,
} from "@codemode/protocol";
import { type CancellationToken, type MessageConnection, ResponseError, Trace } from "vscode-jsonrpc/node";
import type { CellHost } from "../cell.js";
import { Daemon } from "../daemon.js";
import { DaemonError } from "../daemon-error.js";
import type { EnginePool } from "../engine/engine-pool.js";
import type { Logger } from "../logger.js";
import type { SessionEvents } from "../session.js";
import { VERSION } from "../version.js";
import { FRAMINGS } from "./framings.js";
import { parseParams } from "./validate.js";

export interface ServerOptions {
  connection: MessageConnection;
  logger: Logger;
  framing: "content-length" | "ndjson";
  pool: EnginePool;
  limits: DaemonLimits;
  /** Called when the daemon should exit, with LSP's exit code. */
  exit(code: number): void;
}

type Lifecycle = "uninitialized" | "running" | "shutdown";
type Handler = (params: unknown, signal: AbortSignal) => unknown;

export function startServer(options: ServerOptions): Daemon {
  const { connection, logger } = options;
  let lifecycle: Lifecycle = "uninitialized";

  const host: CellHost = {
    invokeTool: (params, token) => reverseRequest(ToolInvoke, params, token),
    notify: async (params, token) => {
      await reverseRequest(CellNotify, params, token);
    },
  };
  // A notification that cannot be written (the host is gone) is logged, never a crash.
  const notify = (method: string, params: object) => {
    try {
      connection.sendNotification(method, params).catch((error: unknown) => logFailure(method, error));
    } catch (error) {
      logFailure(method, error);
    }
  };
  const logFailure = (method: string, error: unknown) =>
    logger.log("warn", "notification not sent", { method, error: String(error) });
  const events: SessionEvents = {
    cellStarted: (sessionId, cellId, toolCallId) => notify(CellStarted.method, { sessionId, cellId, toolCallId }),
    // After the answer that closed the cell: responses are written in order, from setImmediate.
    cellClosed: (sessionId, cellId) => setImmediate(() => notify(CellClosed.method, { sessionId, cellId })),
    stored: (sessionId, cellId, values) => notify(SessionStored.method, { sessionId, cellId, values }),
  };
  const daemon = new Daemon({ host, events, limits: options.limits, pool: options.pool });

  async function reverseRequest<M extends RequestMethod>(
    method: M,
    params: ParamsOf<M>,
    token: CancellationToken,
  ): Promise<ResultOf<M>> {
    return (await connection.sendRequest(method.method, params, token)) as ResultOf<M>;
  }

  const routes = new Map<string, Handler>();
  function route<M extends RequestMethod>(
    method: M,
    handler: (params: ParamsOf<M>, signal: AbortSignal) => ResultOf<M> | Promise<ResultOf<M>>,
  ): void {
    routes.set(method.method, (params, signal) => handler(parseParams(method.params, params) as ParamsOf<M>, signal));
  }

  route(Initialize, (params): InitializeResult => {
    if (lifecycle !== "uninitialized") throw new ResponseError(ErrorCode.InvalidRequest, "already initialized");
    if (protocolMajor(params.protocolVersion) !== protocolMajor(PROTOCOL_VERSION)) {
      throw new ResponseError(
        ErrorCode.UnsupportedProtocolVersion,
        `unsupported protocol version ${params.protocolVersion}; this daemon speaks ${PROTOCOL_VERSION}`,
      );
    }
    lifecycle = "running";
    logger.log("info", "initialized", { client: params.clientInfo });
    return {
      protocolVersion: PROTOCOL_VERSION,
      serverInfo: { name: "codemode-daemon", version: VERSION },
      capabilities: { framings: [...FRAMINGS], storedValueNotifications: true },
      limits: daemon.limits,
    };
  });
  route(Shutdown, async () => {
    lifecycle = "shutdown";
    await daemon.shutdown();
    return null;
  });
  route(SessionOpen, (params) => daemon.openSession(params));
  route(SessionShutdown, async (params) => {
    await daemon.shutdownSession(params.sessionId);
    return null;
  });
  route(SessionStoredValues, (params) => ({ values: daemon.session(params.sessionId).storedValues() }));
  route(CellExecute, (params, signal) => daemon.session(params.sessionId).execute(params, signal));
  route(CellWait, (params, signal) => daemon.session(params.sessionId).wait(params.cellId, params.yieldTimeMs, signal));
  route(CellTerminate, (params) => daemon.session(params.sessionId).terminate(params.cellId));
  route(DaemonStatsRequest, () => daemon.stats());

  connection.onRequest(async (method: string, params: unknown, token: CancellationToken) => {
    // As LSP: before `initialize`, every other request, known or not, is refused with -32002.
    if (lifecycle === "uninitialized" && method !== Initialize.method) {
      throw new ResponseError(ErrorCode.ServerNotInitialized, "the daemon has not been initialized");
    }
    const handler = routes.get(method);
    if (!handler) throw new ResponseError(ErrorCode.MethodNotFound, `unknown method ${method}`);
    if (lifecycle === "shutdown" && method !== Shutdown.method) {
      throw new ResponseError(ErrorCode.InvalidRequest, "the daemon is shutting down");
    }
    const controller = new AbortController();
    // A request cancelled before dispatch has a token whose event never fires: check it first.
    if (token.isCancellationRequested) controller.abort();
    const subscription = token.onCancellationRequested(() => controller.abort());
    try {
      return await handler(params, controller.signal);
    } catch (error) {
      throw toResponseError(error, logger, method);
    } finally {
      subscription.dispose();
    }
  });

  connection.onNotification(SetTrace.method, (params: unknown) => {
    // As LSP: notifications before `initialize` are dropped (but `exit`).
    if (lifecycle === "uninitialized") return;
    const parsed = SetTrace.params.safeParse(params);
    if (!parsed.success) return;
    const send = (message: string, verbose?: string) => {
      // vscode-jsonrpc traces the $/logTrace notifications we send, too: do not report those.
      if (message.includes(`'${LogTrace.method}'`)) return;
      notify(LogTrace.method, verbose === undefined ? { message } : { message, verbose });
    };
    void connection.trace(Trace.fromString(parsed.data.value), { log: send });
  });
  connection.onNotification((method: string) => {
    if (method === Exit.method) options.exit(lifecycle === "shutdown" ? 0 : 1);
  });
  connection.onClose(() => options.exit(lifecycle === "shutdown" ? 0 : 1));
  connection.listen();
  return daemon;
}

function toResponseError(error: unknown, logger: Logger, method: string): ResponseError<unknown> {
  if (error instanceof ResponseError) return error;
  if (error instanceof DaemonError) return new ResponseError(error.code, error.message);
  logger.log("error", "request failed", { method, error: String(error) });
  return new ResponseError(ErrorCode.InternalError, `internal error: ${String(error)}`);
}
