// One live connection to a daemon over a channel (its process's stdio, streams, a WebSocket):
// the JSON-RPC connection, the LSP handshake, and the routing of the daemon's reverse requests.
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
import { Endpoint, type Logger, utf8BytesOver } from "@codemode/wire";
import { CancellationTokenSource, ConnectionError, ErrorCodes, ResponseError } from "vscode-jsonrpc/node";
import type { DaemonChannel, ProcessOptions } from "./daemon-channel.js";
import { CodeModeError } from "./errors.js";

export interface DaemonOptions extends ProcessOptions {
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
  /** When the link was opened; the client resets its restart budget for long-lived links. */
  readonly openedAt = Date.now();

  private constructor(
    private readonly endpoint: Endpoint,
    private readonly channel: DaemonChannel,
    private readonly handlers: LinkHandlers,
    readonly info: InitializeResult,
  ) {}

  /** Initializes the daemon at the other end of `channel` (LSP `initialize`, then `initialized`). */
  static async open(channel: DaemonChannel, handlers: LinkHandlers, logger: Logger): Promise<DaemonLink> {
    const { wire } = channel;
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
    channel.onGone(onGone);
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
      link = new DaemonLink(endpoint, channel, handlers, info);
      return link;
    } catch (error) {
      connection.dispose();
      channel.kill();
      throw CodeModeError.from(error);
    }
  }

  /** See `DaemonChannel.detaches`: whether the daemon may still hold this link's sessions once it is lost. */
  get detaches(): boolean {
    return this.channel.detaches;
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

  /**
   * LSP shutdown then exit, and the end of the channel (a process that does not leave within a
   * grace is killed). Over a network connection, only exit: the daemon keeps the sessions for
   * its reconnect grace, their cells running, for this host or another to re-attach.
   */
  async close(): Promise<void> {
    // Each step may fail because the daemon is already gone (a connection disposed meanwhile
    // throws at once, not in the promise); the wait below copes.
    try {
      if (!this.dead && this.channel.ownsDaemon) await this.endpoint.request(Shutdown);
      if (!this.dead) this.endpoint.notify(Exit, {});
    } catch {}
    await this.channel.ended(EXIT_GRACE_MS);
    this.markGone();
  }

  /** Ends the channel at once (tests use this to simulate a crash). */
  kill(): void {
    this.channel.kill();
  }

  get pid(): number | undefined {
    return this.channel.pid;
  }

  private markGone(): void {
    if (this.dead) return;
    this.dead = true;
    this.endpoint.connection.dispose();
    this.handlers.gone(this);
  }
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
