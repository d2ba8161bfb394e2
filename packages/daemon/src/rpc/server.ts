// The JSON-RPC adapter: LSP lifecycle, routing of every SPEC §5 method to the Daemon, the
// reverse requests and notifications a cell needs, and the end of the host's input. Thin by
// design: validation and transport are the wire's.
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
  FRAMINGS,
  Initialize,
  type InitializeResult,
  LogTrace,
  PROTOCOL_VERSION,
  protocolMajor,
  SessionOpen,
  SessionShutdown,
  SessionStored,
  SessionStoredValues,
  SetTrace,
  Shutdown,
  ToolInvoke,
} from "@codemode/protocol";
import { Endpoint, type Wire } from "@codemode/wire";
import { ResponseError, Trace } from "vscode-jsonrpc/node";
import type { CellHost } from "../cell.js";
import { Daemon } from "../daemon.js";
import { DaemonError } from "../daemon-error.js";
import type { EnginePool } from "../engine/engine-pool.js";
import type { Logger } from "../logger.js";
import type { SessionEvents } from "../session.js";
import { VERSION } from "../version.js";
import { finishAfterInput } from "./end-of-input.js";
import { HostLink } from "./host-link.js";

export interface ServerOptions {
  wire: Wire;
  logger: Logger;
  pool: EnginePool;
  limits: DaemonLimits;
  /** After the host's input ends, how long cells may run on before they are terminated (ms). */
  eofGraceMs: number;
  /** Called when the daemon should exit, with LSP's exit code. */
  exit(code: number): void;
}

type Lifecycle = "uninitialized" | "running" | "shutdown";

export function startServer(options: ServerOptions): Daemon {
  const { wire, logger } = options;
  const { connection } = wire;
  let lifecycle: Lifecycle = "uninitialized";

  const endpoint = new Endpoint(connection, {
    logger,
    admit(method, known) {
      // As LSP: before `initialize`, every other request, known or not, is refused with -32002.
      if (lifecycle === "uninitialized" && method !== Initialize.method) {
        throw new ResponseError(ErrorCode.ServerNotInitialized, "the daemon has not been initialized");
      }
      if (known && lifecycle === "shutdown" && method !== Shutdown.method) {
        throw new ResponseError(ErrorCode.InvalidRequest, "the daemon is shutting down");
      }
    },
    toResponseError: (error, method) => toResponseError(error, logger, method),
  });
  const hostLink = new HostLink(endpoint);
  const host: CellHost = {
    invokeTool: (params, token) => hostLink.request(ToolInvoke, params, token),
    notify: async (params, token) => {
      await hostLink.request(CellNotify, params, token);
    },
  };
  const events: SessionEvents = {
    cellStarted: (sessionId, cellId, toolCallId) => endpoint.notify(CellStarted, { sessionId, cellId, toolCallId }),
    // After the answer that closed the cell: responses are written in order, from setImmediate.
    cellClosed: (sessionId, cellId) => setImmediate(() => endpoint.notify(CellClosed, { sessionId, cellId })),
    stored: (sessionId, cellId, values) => endpoint.notify(SessionStored, { sessionId, cellId, values }),
  };
  const daemon = new Daemon({ host, events, limits: options.limits, pool: options.pool });

  endpoint.onRequest(Initialize, (params): InitializeResult => {
    if (lifecycle !== "uninitialized") throw new ResponseError(ErrorCode.InvalidRequest, "already initialized");
    if (protocolMajor(params.protocolVersion) !== protocolMajor(PROTOCOL_VERSION)) {
      throw new ResponseError(
        ErrorCode.UnsupportedProtocolVersion,
        `unsupported protocol version ${params.protocolVersion}; this daemon speaks ${PROTOCOL_VERSION}`,
      );
    }
    lifecycle = "running";
    logger.log("info", "initialized", { client: params.clientInfo, framing: wire.framing() });
    return {
      protocolVersion: PROTOCOL_VERSION,
      serverInfo: { name: "codemode-daemon", version: VERSION },
      capabilities: { framings: [...FRAMINGS], storedValueNotifications: true },
      limits: daemon.limits,
    };
  });
  endpoint.onRequest(Shutdown, async () => {
    lifecycle = "shutdown";
    await daemon.shutdown();
    return null;
  });
  endpoint.onRequest(SessionOpen, (params) => daemon.openSession(params));
  endpoint.onRequest(SessionShutdown, async (params) => {
    await daemon.shutdownSession(params.sessionId);
    return null;
  });
  endpoint.onRequest(SessionStoredValues, (params) => ({ values: daemon.session(params.sessionId).storedValues() }));
  endpoint.onRequest(CellExecute, (params, signal) => daemon.session(params.sessionId).execute(params, signal));
  endpoint.onRequest(CellWait, (params, signal) =>
    daemon.session(params.sessionId).wait(params.cellId, params.yieldTimeMs, signal),
  );
  endpoint.onRequest(CellTerminate, (params) => daemon.session(params.sessionId).terminate(params.cellId));
  endpoint.onRequest(DaemonStatsRequest, () => daemon.stats());

  endpoint.onNotification(SetTrace, (params) => {
    // As LSP: notifications before `initialize` are dropped (but `exit`).
    if (lifecycle === "uninitialized") return;
    const send = (message: string, verbose?: string) => {
      // vscode-jsonrpc traces the $/logTrace notifications we send, too: do not report those.
      if (message.includes(`'${LogTrace.method}'`)) return;
      endpoint.notify(LogTrace, verbose === undefined ? { message } : { message, verbose });
    };
    void connection.trace(Trace.fromString(params.value), { log: send });
  });

  const exitCode = () => (lifecycle === "shutdown" ? 0 : 1);
  // `exit` ends the input as its end would: what was read before it is still answered.
  connection.onNotification((method: string) => {
    if (method === Exit.method) wire.stopReading();
  });
  wire.onInputEnd(() => {
    hostLink.end();
    void finishAfterInput({ wire, daemon, logger, graceMs: options.eofGraceMs, code: exitCode, exit: options.exit });
  });
  // The host's end of stdout is gone: nothing more can be answered.
  connection.onClose(() => options.exit(exitCode()));
  connection.listen();
  return daemon;
}

function toResponseError(error: unknown, logger: Logger, method: string): ResponseError<unknown> {
  if (error instanceof ResponseError) return error;
  if (error instanceof DaemonError) return new ResponseError(error.code, error.message);
  logger.log("error", "request failed", { method, error: String(error) });
  return new ResponseError(ErrorCode.InternalError, `internal error: ${String(error)}`);
}
