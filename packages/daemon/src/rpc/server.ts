// The JSON-RPC adapter of one connection (stdio, or one WebSocket): LSP lifecycle, routing of
// every SPEC §5 method to the Daemon that all connections share, the reverse requests and
// notifications of the sessions it drives, and the end of its input. Thin by design:
// validation and transport are the wire's.
import {
  CellClosed,
  CellExecute,
  CellNotify,
  CellStarted,
  CellTerminate,
  CellWait,
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
import type { Daemon } from "../daemon.js";
import { DaemonError } from "../daemon-error.js";
import type { Logger } from "../logger.js";
import type { HostPeer } from "../session-host.js";
import { VERSION } from "../version.js";
import { finishAfterInput } from "./end-of-input.js";
import { HostLink } from "./host-link.js";

export interface ServerOptions {
  wire: Wire;
  logger: Logger;
  /** The daemon every connection shares (sessions, engine workers, memory budget). */
  daemon: Daemon;
  /** What the end of this connection's input means. */
  atEnd: InputEnd;
}

/**
 * `exit-process` (stdio): the host closed its input or sent `exit`; what was read is answered,
 * cells may run on for `graceMs` (then are terminated), and the process exits with LSP's code.
 * `detach-sessions` (a network connection): the connection closed or sent `exit`; its sessions
 * are detached for `graceMs` (daemon.ts), and `close` closes the connection.
 */
export type InputEnd =
  | { kind: "exit-process"; graceMs: number; exit(code: number): void }
  | { kind: "detach-sessions"; graceMs: number; close(): void };

type Lifecycle = "uninitialized" | "running" | "shutdown";

export function startServer(options: ServerOptions): void {
  const { wire, logger, daemon, atEnd } = options;
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
  const peer: HostPeer = {
    host: {
      invokeTool: (params, token) => hostLink.request(ToolInvoke, params, token),
      notify: async (params, token) => {
        await hostLink.request(CellNotify, params, token);
      },
    },
    events: {
      cellStarted: (sessionId, cellId, toolCallId) => endpoint.notify(CellStarted, { sessionId, cellId, toolCallId }),
      // After the answer that closed the cell: responses are written in order, from setImmediate.
      cellClosed: (sessionId, cellId) => setImmediate(() => endpoint.notify(CellClosed, { sessionId, cellId })),
      stored: (sessionId, cellId, values) => endpoint.notify(SessionStored, { sessionId, cellId, values }),
    },
  };
  const session = (sessionId: string) => daemon.session(sessionId, peer);

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
    await daemon.shutdownPeer(peer);
    return null;
  });
  endpoint.onRequest(SessionOpen, (params) => {
    const opened = daemon.openSession(params, peer);
    if (opened.reattached) logger.log("info", "session re-attached", { sessionId: opened.sessionId });
    return opened;
  });
  endpoint.onRequest(SessionShutdown, async (params) => {
    await daemon.shutdownSession(params.sessionId, peer);
    return null;
  });
  endpoint.onRequest(SessionStoredValues, (params) => ({ values: session(params.sessionId).storedValues() }));
  endpoint.onRequest(CellExecute, (params, signal) => session(params.sessionId).execute(params, signal));
  endpoint.onRequest(CellWait, (params, signal) =>
    session(params.sessionId).wait(params.cellId, params.yieldTimeMs, signal),
  );
  endpoint.onRequest(CellTerminate, (params) => session(params.sessionId).terminate(params.cellId));
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
  if (atEnd.kind === "exit-process") {
    wire.onInputEnd(() => {
      hostLink.end("input");
      void finishAfterInput({
        wire,
        shutdown: () => daemon.shutdownPeer(peer),
        logger,
        graceMs: atEnd.graceMs,
        code: exitCode,
        exit: atEnd.exit,
      });
    });
    // The host's end of stdout is gone: nothing more can be answered.
    connection.onClose(() => atEnd.exit(exitCode()));
  } else {
    wire.onInputEnd(() => {
      // Detached first, so that the requests failing below wait for the next connection.
      daemon.detach(peer, atEnd.graceMs);
      hostLink.end("connection");
      endpoint.abortAll();
      atEnd.close();
      connection.dispose();
    });
  }
  connection.listen();
}

function toResponseError(error: unknown, logger: Logger, method: string): ResponseError<unknown> {
  if (error instanceof ResponseError) return error;
  if (error instanceof DaemonError) return new ResponseError(error.code, error.message);
  logger.log("error", "request failed", { method, error: String(error) });
  return new ResponseError(ErrorCode.InternalError, `internal error: ${String(error)}`);
}
