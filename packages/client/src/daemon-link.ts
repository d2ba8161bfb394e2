// One live connection to a daemon: the child process (or the streams) it runs over, the
// JSON-RPC connection, the LSP handshake, and the routing of the daemon's reverse requests.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import {
  CellClosed,
  CellNotify,
  type CellNotifyParams,
  type CellRef,
  CellStarted,
  type CellStartedParams,
  ErrorCode,
  Exit,
  Initialize,
  Initialized,
  type InitializeResult,
  type JsonValue,
  Messages,
  type ParamsInputOf,
  PROTOCOL_VERSION,
  type RequestMethod,
  type ResultOf,
  SessionStored,
  type SessionStoredParams,
  Shutdown,
  ToolInvoke,
  type ToolInvokeParams,
} from "@codemode/protocol";
import { connect, Endpoint, type Logger, utf8BytesOver } from "@codemode/wire";
import { CancellationTokenSource, ConnectionError, ErrorCodes, ResponseError } from "vscode-jsonrpc/node";
import { CodeModeError } from "./errors.js";
import { type LineLogger, safeLogger } from "./report.js";

export interface DaemonOptions {
  /** Program to run (default: this Node binary running the bundled daemon). */
  command?: string;
  /** Arguments (default: the bundled daemon's bin). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Talk over these streams instead of spawning a process. */
  streams?: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream };
  /**
   * Receives the daemon's stderr lines, the client's own warnings (a stray answer from the
   * daemon), and what the host's callbacks threw (default: this process's stderr).
   */
  logger?: (line: string) => void;
}

/** What the link calls back into: the client routes these to its sessions. */
export interface LinkHandlers {
  invokeTool(params: ToolInvokeParams, signal: AbortSignal): Promise<JsonValue>;
  notify(params: CellNotifyParams, signal: AbortSignal): Promise<void>;
  started(params: CellStartedParams): void;
  closed(params: CellRef): void;
  stored(params: SessionStoredParams): void;
  gone(link: DaemonLink): void;
}

const EXIT_GRACE_MS = 2_000;

export class DaemonLink {
  private dead = false;
  private readonly exited: Promise<void>;
  /** When the link was opened; the client resets its restart budget for long-lived links. */
  readonly openedAt = Date.now();

  private constructor(
    private readonly endpoint: Endpoint,
    private readonly child: ChildProcess | undefined,
    private readonly handlers: LinkHandlers,
    readonly info: InitializeResult,
  ) {
    this.exited = child
      ? new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once("exit", () => resolve());
        })
      : Promise.resolve();
  }

  static async open(options: DaemonOptions, handlers: LinkHandlers): Promise<DaemonLink> {
    const log = safeLogger(options.logger);
    const child = options.streams ? undefined : spawnDaemon(options, log);
    const input = options.streams?.input ?? child?.stdout;
    const output = options.streams?.output ?? child?.stdin;
    if (!input || !output) throw new CodeModeError(-32603, "daemon streams unavailable");
    const logger = clientLogger(log);
    // The daemon's answers are not limited here: it is the host's own process.
    const wire = connect(input, output, {
      framing: "content-length",
      maxMessageBytes: Number.POSITIVE_INFINITY,
      logger,
      atEnd: "close",
    });
    const { connection } = wire;
    const endpoint = new Endpoint(connection, { logger });
    let link: DaemonLink | undefined;
    // A daemon that exits before answering `initialize` (a bad flag, a broken install) fails
    // the start instead of leaving it waiting.
    let failStart: (error: CodeModeError) => void = () => {};
    const exitedEarly = new Promise<never>((_, reject) => {
      failStart = reject;
    });
    exitedEarly.catch(() => {});
    const onGone = () => {
      endpoint.abortAll();
      if (link) link.markGone();
      else failStart(new CodeModeError(ErrorCode.InternalError, "the daemon exited before it was initialized"));
    };
    connection.onClose(onGone);
    connection.onError(() => {});
    child?.once("exit", onGone);
    child?.once("error", onGone);
    registerHandlers(endpoint, handlers);
    connection.listen();
    try {
      const info = await Promise.race([
        endpoint.request(Initialize, { protocolVersion: PROTOCOL_VERSION, clientInfo: { name: "@codemode/client" } }),
        exitedEarly,
      ]);
      // A tool result too large for the daemon to read is answered as an error instead.
      wire.writer.peerMaxMessageBytes = info.limits.daemon.maxMessageBytes;
      endpoint.notify(Initialized, {});
      link = new DaemonLink(endpoint, child, handlers, info);
      return link;
    } catch (error) {
      connection.dispose();
      child?.kill("SIGKILL");
      throw CodeModeError.from(error);
    }
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Sends a request; its result is checked against the method's schema (a bad one fails -32603). */
  async request<M extends RequestMethod>(
    method: M,
    params: ParamsInputOf<M>,
    signal?: AbortSignal,
  ): Promise<ResultOf<M>> {
    if (this.dead) throw new CodeModeError(-32603, "the daemon is gone");
    if (signal?.aborted) throw new CodeModeError(ErrorCode.RequestCancelled, "request cancelled");
    this.checkSize(params);
    const source = signal ? new CancellationTokenSource() : undefined;
    const cancel = () => source?.cancel();
    signal?.addEventListener("abort", cancel, { once: true });
    try {
      return await this.endpoint.request(method, params, source?.token);
    } catch (error) {
      // The pipe broke under this request (the daemon is dying): the daemon is lost, as if
      // its exit had been seen, and the call fails as every call to a lost daemon does.
      if (!this.dead && isTransportFailure(error)) {
        this.kill();
        this.markGone();
        throw new CodeModeError(ErrorCode.InternalError, Messages.runtimeEnded);
      }
      throw CodeModeError.from(error);
    } finally {
      signal?.removeEventListener("abort", cancel);
      source?.dispose();
    }
  }

  /**
   * The daemon cannot read a message over its size limit well enough to answer it (it has no
   * id to answer to): such a request would wait for ever, so it fails here.
   */
  private checkSize(params: unknown): void {
    const limit = this.info.limits.daemon.maxMessageBytes;
    const json = JSON.stringify(params);
    // Room for the envelope: jsonrpc, id, method and the framing header.
    const envelope = 1024;
    const bytes = json === undefined ? undefined : utf8BytesOver(json, limit - envelope);
    if (bytes === undefined) return;
    throw new CodeModeError(
      ErrorCode.InvalidParams,
      `request of ${bytes + envelope} bytes exceeds the daemon's message limit of ${limit} bytes`,
    );
  }

  /** LSP shutdown then exit; kills the process if it does not leave within a grace. */
  async close(): Promise<void> {
    // Each step may fail because the daemon is already gone (a connection disposed meanwhile
    // throws at once, not in the promise); the process wait below copes.
    try {
      if (!this.dead) await this.endpoint.request(Shutdown);
      if (!this.dead) this.endpoint.notify(Exit, {});
    } catch {}
    if (this.child) {
      const timer = setTimeout(() => this.child?.kill("SIGKILL"), EXIT_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    this.markGone();
  }

  /** Kills the daemon process at once (tests use this to simulate a crash). */
  kill(): void {
    this.child?.kill("SIGKILL");
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private markGone(): void {
    if (this.dead) return;
    this.dead = true;
    this.endpoint.connection.dispose();
    this.handlers.gone(this);
  }
}

/** The wire's structured log lines, as text lines for the host's logger. */
function clientLogger(log: LineLogger): Logger {
  return {
    log(level, message, fields) {
      if (level === "debug" || level === "info") return;
      log(`codemode client: ${level}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}`);
    },
  };
}

function spawnDaemon(options: DaemonOptions, log: LineLogger): ChildProcess {
  const command = options.command ?? process.execPath;
  const args = options.args ?? [createRequire(import.meta.url).resolve("@codemode/daemon/bin")];
  // In its own process group: a Ctrl-C in the host's terminal reaches the host, which decides
  // what to stop; the daemon still exits when the host goes (its stdin closes).
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  let pending = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
      log(pending.slice(0, end));
      pending = pending.slice(end + 1);
    }
  });
  return child;
}

/** A failure of the connection itself (vscode-jsonrpc's own codes), not an answer of the daemon. */
function isTransportFailure(error: unknown): boolean {
  if (error instanceof ConnectionError) return true;
  // From -32099 (a write failed) to -32096 (the connection is not active).
  return (
    error instanceof ResponseError &&
    error.code >= ErrorCodes.MessageWriteError &&
    error.code <= ErrorCodes.ConnectionInactive
  );
}

function registerHandlers(endpoint: Endpoint, handlers: LinkHandlers): void {
  endpoint.onRequest(ToolInvoke, (params, signal) => handlers.invokeTool(params, signal));
  endpoint.onRequest(CellNotify, async (params, signal) => {
    await handlers.notify(params, signal);
    return null;
  });
  endpoint.onNotification(CellStarted, (params) => handlers.started(params));
  endpoint.onNotification(CellClosed, (params) => handlers.closed(params));
  endpoint.onNotification(SessionStored, (params) => handlers.stored(params));
}
