// One live connection to a daemon: the child process (or the streams) it runs over, the
// JSON-RPC connection, the LSP handshake, and the routing of the daemon's reverse requests.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { ContentLengthMessageWriter, utf8BytesOver } from "@codemode/daemon";
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
  type NotificationMethod,
  type ParamsInputOf,
  type ParamsOf,
  PROTOCOL_VERSION,
  type RequestMethod,
  type ResultOf,
  SessionStored,
  type SessionStoredParams,
  Shutdown,
  ToolInvoke,
  type ToolInvokeParams,
} from "@codemode/protocol";
import {
  type CancellationToken,
  CancellationTokenSource,
  ConnectionError,
  createMessageConnection,
  ErrorCodes,
  type MessageConnection,
  ResponseError,
  type Disposable as RpcDisposable,
  StreamMessageReader,
} from "vscode-jsonrpc/node";
import type { z } from "zod";
import { CodeModeError } from "./errors.js";

export interface DaemonOptions {
  /** Program to run (default: this Node binary running the bundled daemon). */
  command?: string;
  /** Arguments (default: the bundled daemon's bin). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Talk over these streams instead of spawning a process. */
  streams?: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream };
  /** Receives the daemon's stderr lines (default: forwarded to this process's stderr). */
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
    private readonly connection: MessageConnection,
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
    const child = options.streams ? undefined : spawnDaemon(options);
    const input = options.streams?.input ?? child?.stdout;
    const output = options.streams?.output ?? child?.stdin;
    if (!input || !output) throw new CodeModeError(-32603, "daemon streams unavailable");
    const writer = new ContentLengthMessageWriter(output);
    const connection = createMessageConnection(new StreamMessageReader(input), writer);
    let link: DaemonLink | undefined;
    const calls = new DelegateCalls();
    // A daemon that exits before answering `initialize` (a bad flag, a broken install) fails
    // the start instead of leaving it waiting.
    let failStart: (error: CodeModeError) => void = () => {};
    const exitedEarly = new Promise<never>((_, reject) => {
      failStart = reject;
    });
    exitedEarly.catch(() => {});
    const onGone = () => {
      calls.abortAll();
      if (link) link.markGone();
      else failStart(new CodeModeError(ErrorCode.InternalError, "the daemon exited before it was initialized"));
    };
    connection.onClose(onGone);
    connection.onError(() => {});
    child?.once("exit", onGone);
    child?.once("error", onGone);
    registerHandlers(connection, handlers, calls);
    connection.listen();
    try {
      const info = (await Promise.race([
        connection.sendRequest(Initialize.method, {
          protocolVersion: PROTOCOL_VERSION,
          clientInfo: { name: "@codemode/client" },
        }),
        exitedEarly,
      ])) as InitializeResult;
      // A tool result too large for the daemon to read is answered as an error instead.
      writer.peerMaxMessageBytes = info.limits.daemon.maxMessageBytes;
      await connection.sendNotification(Initialized.method, {});
      link = new DaemonLink(connection, child, handlers, info);
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
      const result = source
        ? await this.connection.sendRequest(method.method, params, source.token)
        : await this.connection.sendRequest(method.method, params);
      return result as ResultOf<M>;
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
      if (!this.dead) await this.connection.sendRequest(Shutdown.method);
      if (!this.dead) await this.connection.sendNotification(Exit.method);
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
    this.connection.dispose();
    this.handlers.gone(this);
  }
}

function spawnDaemon(options: DaemonOptions): ChildProcess {
  const command = options.command ?? process.execPath;
  const args = options.args ?? [createRequire(import.meta.url).resolve("@codemode/daemon/bin")];
  // In its own process group: a Ctrl-C in the host's terminal reaches the host, which decides
  // what to stop; the daemon still exits when the host goes (its stdin closes).
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  const log = options.logger ?? ((line: string) => process.stderr.write(`${line}\n`));
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

/**
 * The delegate calls in progress. Each has one AbortController, aborted when the daemon
 * cancels the call or goes away. (`AbortSignal.any` would do the same at several times the
 * cost of all the rest of a tool call's work in the client.)
 */
class DelegateCalls {
  private readonly live = new Map<AbortController, RpcDisposable>();
  private ended = false;

  start(token: CancellationToken): AbortController {
    const controller = new AbortController();
    if (this.ended || token.isCancellationRequested) controller.abort();
    const subscription = token.onCancellationRequested(() => controller.abort());
    this.live.set(controller, subscription);
    return controller;
  }

  end(controller: AbortController): void {
    this.live.get(controller)?.dispose();
    this.live.delete(controller);
  }

  /** The daemon went away: every call still running is aborted. */
  abortAll(): void {
    this.ended = true;
    for (const controller of this.live.keys()) controller.abort();
  }
}

function registerHandlers(connection: MessageConnection, handlers: LinkHandlers, calls: DelegateCalls): void {
  const onRequest = <M extends RequestMethod>(
    method: M,
    handle: (params: ParamsOf<M>, signal: AbortSignal) => Promise<ResultOf<M>>,
  ) =>
    connection.onRequest(method.method, async (params: unknown, token: CancellationToken) => {
      const parsed = parse(method.params, params) as ParamsOf<M>;
      const controller = calls.start(token);
      try {
        return await handle(parsed, controller.signal);
      } finally {
        calls.end(controller);
      }
    });
  const onNotification = <M extends NotificationMethod>(method: M, handle: (params: ParamsOf<M>) => void) =>
    connection.onNotification(method.method, (params: unknown) => handle(parse(method.params, params) as ParamsOf<M>));

  onRequest(ToolInvoke, (params, signal) => handlers.invokeTool(params, signal));
  onRequest(CellNotify, async (params, signal) => {
    await handlers.notify(params, signal);
    return null;
  });
  onNotification(CellStarted, (params) => handlers.started(params));
  onNotification(CellClosed, (params) => handlers.closed(params));
  onNotification(SessionStored, (params) => handlers.stored(params));
}

function parse<S extends z.ZodType>(schema: S, params: unknown): z.infer<S> {
  return schema.parse(params);
}
