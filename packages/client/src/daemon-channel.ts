// What a daemon link runs over: a daemon process the client spawned (its stdio), streams the
// host supplied, or a WebSocket to a daemon's listener (or to the balancer in front of many).
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { ErrorCode, SESSION_HEADER } from "@codemode/protocol";
import { connect, connectWebSocket, keepAlive, type Logger, type Wire } from "@codemode/wire";
import WebSocket from "ws";
import { CodeModeError } from "./errors.js";
import type { LineLogger } from "./report.js";

/** One open channel to a daemon, and what ending it means. */
export interface DaemonChannel {
  readonly wire: Wire;
  /**
   * Whether the daemon keeps this channel's sessions, their cells running, when the channel is
   * lost, for another connection to re-attach them (a network connection: see the daemon's
   * reconnect grace). Otherwise the sessions' cells end with the channel.
   */
  readonly detaches: boolean;
  /** Whether the client's `close()` stops the daemon's cells (LSP `shutdown`), or only leaves. */
  readonly ownsDaemon: boolean;
  /** The daemon process's id, when the client spawned it. */
  readonly pid: number | undefined;
  /** Calls `listener` once the other end is gone (the process exited, the socket closed). */
  onGone(listener: () => void): void;
  /** Resolves once the other end is gone; forces it after `graceMs`. */
  ended(graceMs: number): Promise<void>;
  /** Ends it at once: SIGKILL to a spawned daemon, a dropped socket. */
  kill(): void;
}

/** Waits for `gone`, calling `force` if it has not come after `graceMs`. */
async function forcedAfter(gone: Promise<void>, graceMs: number, force: () => void): Promise<void> {
  const timer = setTimeout(force, graceMs);
  await gone;
  clearTimeout(timer);
}

/** The daemon's answers are not limited here: the host trusts its own daemon. */
const UNLIMITED = Number.POSITIVE_INFINITY;

/** JSON-RPC over a pair of streams, in LSP's Content-Length framing. */
const streamWire = (input: NodeJS.ReadableStream, output: NodeJS.WritableStream, logger: Logger): Wire =>
  connect(input, output, { framing: "content-length", maxMessageBytes: UNLIMITED, logger, atEnd: "close" });

export interface ProcessOptions {
  /** Program to run (default: this Node binary running the bundled daemon). */
  command?: string;
  /** Arguments (default: the bundled daemon's bin). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** A daemon process of the client's own, over its stdin and stdout; its stderr lines go to `log`. */
export function processChannel(options: ProcessOptions, log: LineLogger, logger: Logger): DaemonChannel {
  const child = spawnDaemon(options, log);
  const { stdout, stdin } = child;
  if (!stdout || !stdin) throw new CodeModeError(ErrorCode.InternalError, "daemon streams unavailable");
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  return {
    wire: streamWire(stdout, stdin, logger),
    detaches: false,
    ownsDaemon: true,
    pid: child.pid,
    onGone: (listener) => {
      child.once("exit", listener);
      child.once("error", listener);
    },
    ended: (graceMs) => forcedAfter(exited, graceMs, () => child.kill("SIGKILL")),
    kill: () => child.kill("SIGKILL"),
  };
}

/** Streams the host supplied: the connection is all there is of the daemon. */
export function streamsChannel(
  streams: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream },
  logger: Logger,
): DaemonChannel {
  return {
    wire: streamWire(streams.input, streams.output, logger),
    detaches: false,
    ownsDaemon: true,
    pid: undefined,
    onGone: () => {},
    ended: async () => {},
    kill: () => {},
  };
}

export interface WebSocketTarget {
  /** `ws://` or `wss://` URL of a daemon's listener (path `/`) or of the balancer before it. */
  url: string;
  /** The bearer token the daemon requires. */
  token: string;
  /** The one session this connection drives, sent percent-encoded as `X-Codemode-Session`. */
  sessionId?: string;
  /** Longest wait for the upgrade to be answered, milliseconds. */
  handshakeTimeoutMs: number;
  /** How often the daemon is pinged; a connection silent since the previous ping is lost (ms). */
  heartbeatMs: number;
}

/** A WebSocket to a daemon; rejects with why it could not connect (HTTP 401: the token). */
export async function webSocketChannel(target: WebSocketTarget, logger: Logger): Promise<DaemonChannel> {
  const socket = await openWebSocket(target);
  // A half-open connection would leave every observation waiting: it is cut, and the
  // connection's restart policy opens another.
  keepAlive(socket, {
    intervalMs: target.heartbeatMs,
    onSilent: () => logger.log("warn", "the daemon's connection was silent since the last ping: closing it"),
  });
  const closed = new Promise<void>((resolve) => {
    if (socket.readyState === socket.CLOSED) resolve();
    else socket.once("close", () => resolve());
  });
  return {
    wire: connectWebSocket(socket, { maxMessageBytes: UNLIMITED, logger }),
    detaches: true,
    ownsDaemon: false,
    pid: undefined,
    onGone: (listener) => void closed.then(listener),
    ended: (graceMs) => {
      socket.close(1000);
      return forcedAfter(closed, graceMs, () => socket.terminate());
    },
    kill: () => socket.terminate(),
  };
}

function openWebSocket(target: WebSocketTarget): Promise<WebSocket> {
  const headers: Record<string, string> = { Authorization: `Bearer ${target.token}` };
  if (target.sessionId !== undefined) headers[SESSION_HEADER] = encodeURIComponent(target.sessionId);
  const socket = new WebSocket(target.url, {
    headers,
    handshakeTimeout: target.handshakeTimeoutMs,
    // JSON-RPC messages: compression would cost both ends CPU for little.
    perMessageDeflate: false,
    // The daemon's answers are not limited (as over stdio): an outcome within the cell's limits
    // may be larger than ws's default of 100 MiB once written as JSON. 0: no limit.
    maxPayload: 0,
  });
  return new Promise((resolve, reject) => {
    const fail = (message: string) => {
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.terminate();
      reject(new CodeModeError(ErrorCode.InternalError, message));
    };
    socket.once("open", () => {
      socket.removeAllListeners();
      resolve(socket);
    });
    socket.once("unexpected-response", (_, response) => {
      response.resume();
      fail(
        response.statusCode === 401
          ? `${target.url} refused the connection: the bearer token was not accepted (HTTP 401)`
          : `${target.url} refused the connection (HTTP ${response.statusCode})`,
      );
    });
    socket.once("error", (error) => fail(`cannot connect to ${target.url}: ${error.message}`));
  });
}

function spawnDaemon(options: ProcessOptions, log: LineLogger): ChildProcess {
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
