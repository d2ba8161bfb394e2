// The entry point of the client library: starts a daemon (or connects to one over streams or
// the network), opens sessions on it with their leases in the session store, and hands them out.

import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import {
  type DaemonStats,
  DaemonStatsRequest,
  DEFAULT_HEARTBEAT_MS,
  ErrorCode,
  type JsonObject,
  MAX_TIMER_DELAY_MS,
  Messages,
  SessionOpen,
  SessionStoredValues,
} from "@codemode/protocol";
import { processChannel, streamsChannel, webSocketChannel } from "./daemon-channel.js";
import { type ConnectionSettings, clientClosed, DaemonConnection } from "./daemon-connection.js";
import type { DaemonOptions } from "./daemon-link.js";
import { CodeModeError } from "./errors.js";
import { RemoteSession } from "./remote-session.js";
import { type LineLogger, safeLogger, wireLogger } from "./report.js";
import { type RestartPolicy, restartWithBackoff } from "./restart-policy.js";
import { MemorySessionStore } from "./store/memory-session-store.js";
import { SessionLease } from "./store/session-lease.js";
import type { SessionStore } from "./store/session-store.js";
import { COMMITTED_VALUES, DAEMON_PROCESS, type DaemonProcess } from "./test-hooks.js";
import type { CodeModeSession, OpenSessionOptions } from "./types.js";

/** Where the client keeps its sessions' committed values and leases (both `start` and `connect`). */
export interface SessionStoreOptions {
  /**
   * Default: a `MemorySessionStore` of this client's own (values in this process, as the
   * daemon's restarts need). A `RedisSessionStore` lets a host process on any machine continue
   * a session after this one is gone.
   */
  store?: SessionStore;
  /**
   * Term of a session's lease in the store, ms (default 15,000), renewed every third of it while
   * the session is open: how long another host waits for a session whose host died.
   */
  leaseMs?: number;
}

export interface ClientOptions extends DaemonOptions, SessionStoreOptions {
  /**
   * Whether and when a lost daemon is replaced (default: `restartWithBackoff()`, at most 5
   * restarts in a row, 100 ms doubling to 2 s). A client over `streams` never restarts.
   */
  restartPolicy?: RestartPolicy;
}

export interface ConnectOptions extends SessionStoreOptions {
  /** The bearer token the daemons require (`Authorization: Bearer <token>` on the upgrade). */
  token: string;
  /**
   * One WebSocket per session, carrying the session's id in `X-Codemode-Session`, so that a
   * load balancer hashing on it places each session on one daemon (default false: one
   * connection carries every session, and `stats()` answers for its daemon).
   */
  connectionPerSession?: boolean;
  /**
   * A new policy for each connection, saying whether and when a lost connection is opened
   * again, its sessions reopened (default: `restartWithBackoff` with 12 attempts in a row,
   * 100 ms doubling to 5 s: ≈ 41 s, past the 30 s a daemon may take, at its default heartbeat,
   * to see that a silently dropped connection is gone and free its sessions).
   */
  reconnectPolicy?: () => RestartPolicy;
  /** Longest wait for a WebSocket upgrade, ms (default 10,000). */
  handshakeTimeoutMs?: number;
  /**
   * How often each connection pings its daemon, ms (default 15,000, as the daemon); one silent
   * since the previous ping is taken as lost and replaced, so a half-open connection cannot
   * leave calls waiting.
   */
  heartbeatMs?: number;
  /** Receives the client's warnings and what the host's callbacks threw (default: stderr). */
  logger?: (line: string) => void;
}

/** A session as the client hands it out: the SPEC's session, closed by `await using` too. */
export type ClientSession = CodeModeSession & AsyncDisposable;

const DEFAULT_LEASE_MS = 15_000;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** How the client reaches daemons: one connection for every session, or one per session. */
type Placement =
  | { readonly kind: "shared"; readonly connection: DaemonConnection }
  | { readonly kind: "perSession"; readonly connect: (sessionId: string) => Promise<DaemonConnection> };

/** The client's own lifecycle: open, then closing (its sessions' leases released, its connections closed), closed. */
type ClientState = { readonly kind: "open" } | { readonly kind: "closing"; readonly done: Promise<void> };

export class CodeModeClient implements AsyncDisposable {
  private state: ClientState = { kind: "open" };
  private readonly store: SessionStore;
  private readonly leaseMs: number;
  /** This client's id as a lease holder: readable in Redis, unique across processes. */
  private readonly holder = `${hostname()}/${process.pid}/${randomUUID()}`;
  /** Ids of the sessions being opened: a second open of one fails at once (-32016). */
  private readonly opening = new Set<string>();
  /** The connections of `perSession` placement, by session id. */
  private readonly ownConnections = new Map<string, DaemonConnection>();

  private constructor(
    private readonly placement: Placement,
    options: SessionStoreOptions,
    private readonly log: LineLogger,
  ) {
    this.store = options.store ?? new MemorySessionStore();
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** Starts the daemon (or connects over `options.streams`) and initializes it. */
  static async start(options: ClientOptions = {}): Promise<CodeModeClient> {
    const log = safeLogger(options.logger);
    const logger = wireLogger(log);
    const { streams } = options;
    const connection = await DaemonConnection.open({
      open: async () => (streams ? streamsChannel(streams, logger) : processChannel(options, log, logger)),
      restartPolicy: streams ? neverRestart : (options.restartPolicy ?? restartWithBackoff()),
      log,
      logger,
    });
    return new CodeModeClient({ kind: "shared", connection }, options, log);
  }

  /**
   * Connects to a daemon's WebSocket listener, or to the load balancer in front of many
   * (`ws://host:port/` or `wss://…`), with the bearer token; the same API as `start()`. A lost
   * connection is opened again with backoff and its sessions reopened with their committed
   * values. Rejects when the first connection fails (HTTP 401: the token was refused); with
   * `connectionPerSession`, connections are opened by `openSession`.
   */
  static async connect(url: string, options: ConnectOptions): Promise<CodeModeClient> {
    const log = safeLogger(options.logger);
    const logger = wireLogger(log);
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    checkTimerMs("heartbeatMs", heartbeatMs);
    const settings = (sessionId?: string): ConnectionSettings => ({
      open: () =>
        webSocketChannel(
          {
            url,
            token: options.token,
            handshakeTimeoutMs,
            heartbeatMs,
            ...(sessionId === undefined ? {} : { sessionId }),
          },
          logger,
        ),
      restartPolicy: (options.reconnectPolicy ?? defaultReconnectPolicy)(),
      log,
      logger,
    });
    const placement: Placement = options.connectionPerSession
      ? { kind: "perSession", connect: (sessionId) => DaemonConnection.open(settings(sessionId)) }
      : { kind: "shared", connection: await DaemonConnection.open(settings()) };
    return new CodeModeClient(placement, options, log);
  }

  /**
   * Opens a session (under `options.sessionId`, else a new UUID): takes its lease in the
   * session store, starts from the values the store holds for it (else `options.storedValues`),
   * and opens it on the daemon, which re-attaches it when it still holds it. Fails with
   * -32018 when another host holds its lease or another connection drives it, with the
   * daemon's error (-32602 for bad limits, -32011 when `maxSessions` are open), or -32602 for
   * a bad `toolCallTimeoutMs`.
   */
  async openSession(options: OpenSessionOptions): Promise<ClientSession> {
    if (options.toolCallTimeoutMs !== undefined) checkTimerMs("toolCallTimeoutMs", options.toolCallTimeoutMs);
    if (this.state.kind !== "open") throw clientClosed();
    const sessionId = options.sessionId ?? randomUUID();
    // Before the lease: the same holder's two opens would share it, and the loser release it.
    if (this.opening.has(sessionId) || this.connectionOf(sessionId)?.sessions.has(sessionId)) {
      throw new CodeModeError(ErrorCode.DuplicateSession, Messages.duplicateSession(sessionId));
    }
    this.opening.add(sessionId);
    try {
      return await this.openOnce(sessionId, options);
    } finally {
      this.opening.delete(sessionId);
    }
  }

  private async openOnce(sessionId: string, options: OpenSessionOptions): Promise<ClientSession> {
    let session: RemoteSession | undefined;
    const { lease, values } = await SessionLease.acquire(
      sessionId,
      { store: this.store, holder: this.holder, leaseMs: this.leaseMs, log: this.log },
      () => session?.[COMMITTED_VALUES]() ?? {},
    );
    const storedValues: JsonObject = values ?? options.storedValues ?? {};
    try {
      const connection = await this.connectionFor(sessionId);
      const link = await connection.current();
      const { reattached } = await link.request(SessionOpen, {
        sessionId,
        storedValues,
        ...(options.limits === undefined ? {} : { limits: options.limits }),
      });
      // At once, before the daemon's held messages for a re-attached session are read.
      session = new RemoteSession(sessionId, options.delegate, connection.sessionLink(), lease, storedValues, options);
      connection.sessions.set(sessionId, session);
      if (reattached) {
        // The daemon's values are the session's: the last writes of the host before may not
        // have reached the store. Asked after the held notifications, so the newest of all (a
        // link lost meanwhile reopens the session with the values it has).
        const current = await link.request(SessionStoredValues, { sessionId }).catch(() => undefined);
        if (current) session.stored(current.values);
      } else if (values === undefined && Object.keys(storedValues).length > 0) {
        // A session another host starts from is exactly this one.
        lease.write(storedValues);
      }
      // Closed meanwhile: close() did not see this session, so it lets go of it here.
      if (this.state.kind !== "open") {
        connection.sessions.delete(sessionId);
        throw clientClosed();
      }
      return session;
    } catch (error) {
      await lease.release();
      if (this.placement.kind === "perSession") await this.dropConnection(sessionId);
      throw error;
    }
  }

  /** Live counts and memory figures of the daemon (of the shared connection). */
  async stats(): Promise<DaemonStats> {
    if (this.placement.kind !== "shared") {
      throw new CodeModeError(
        ErrorCode.InvalidRequest,
        "stats() needs the shared connection: this client opens one connection per session",
      );
    }
    return (await this.placement.connection.current()).request(DaemonStatsRequest, {});
  }

  /**
   * Releases every open session's lease (its values stay in the store, for this host or
   * another to continue) and closes the connections: a daemon this client started is shut
   * down; over the network the daemon keeps the sessions for its reconnect grace. Every caller
   * resolves once all is done.
   */
  close(): Promise<void> {
    if (this.state.kind === "closing") return this.state.done;
    const done = this.closeAll();
    this.state = { kind: "closing", done };
    return done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The live daemon's process, for tests that simulate its crash (`@codemode/client/testing`). */
  [DAEMON_PROCESS](): DaemonProcess | undefined {
    return this.placement.kind === "shared" ? this.placement.connection.live() : undefined;
  }

  private async closeAll(): Promise<void> {
    const connections =
      this.placement.kind === "shared" ? [this.placement.connection] : [...this.ownConnections.values()];
    this.ownConnections.clear();
    await Promise.all(
      connections.map(async (connection) => {
        await Promise.all([...connection.sessions.values()].map((session) => session.release()));
        await connection.close();
      }),
    );
  }

  private connectionOf(sessionId: string): DaemonConnection | undefined {
    return this.placement.kind === "shared" ? this.placement.connection : this.ownConnections.get(sessionId);
  }

  private async connectionFor(sessionId: string): Promise<DaemonConnection> {
    if (this.placement.kind === "shared") return this.placement.connection;
    const connection = await this.placement.connect(sessionId);
    if (this.state.kind !== "open") {
      await connection.close();
      throw clientClosed();
    }
    this.ownConnections.set(sessionId, connection);
    // A session's own connection ends with it.
    connection.onEmpty(() => void this.dropConnection(sessionId));
    return connection;
  }

  private async dropConnection(sessionId: string): Promise<void> {
    const connection = this.ownConnections.get(sessionId);
    this.ownConnections.delete(sessionId);
    await connection?.close();
  }
}

/** A timer option: a whole number of ms from 1 to Node's longest timer, else -32602. */
function checkTimerMs(name: string, value: number): void {
  if (Number.isInteger(value) && value >= 1 && value <= MAX_TIMER_DELAY_MS) return;
  throw new CodeModeError(
    ErrorCode.InvalidParams,
    `${name} must be a whole number of milliseconds from 1 to ${MAX_TIMER_DELAY_MS}`,
  );
}

const defaultReconnectPolicy = () => restartWithBackoff({ maxRestarts: 12, maxDelayMs: 5_000 });

/** Caller-supplied streams cannot be opened again. */
const neverRestart: RestartPolicy = {
  lost: () => ({ action: "stop", reason: "the daemon is gone and a stream connection cannot be restarted" }),
};
