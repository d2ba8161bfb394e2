// The entry point of the client library: starts (or connects to) a daemon, opens sessions
// on it, and routes the daemon's reverse requests to each session's delegate.
import { type DaemonStats, DaemonStatsRequest, ErrorCode, MAX_TIMER_DELAY_MS, SessionOpen } from "@codemode/protocol";
import { DaemonLink, type DaemonOptions, type LinkHandlers } from "./daemon-link.js";
import { CodeModeError } from "./errors.js";
import { RemoteSession } from "./remote-session.js";
import { safeLogger } from "./report.js";
import type { OpenSessionOptions } from "./types.js";

export interface ClientOptions extends DaemonOptions {
  /**
   * How many times a dead daemon is replaced (default 5), with a backoff of 100 ms doubling
   * to 2 s. The budget refills once a daemon has lived for a minute.
   */
  maxRestarts?: number;
}

const RESTART_BUDGET_REFILL_MS = 60_000;

export class CodeModeClient implements AsyncDisposable {
  private readonly sessions = new Map<string, RemoteSession>();
  private link: DaemonLink | undefined;
  private connecting: Promise<DaemonLink> | undefined;
  private restarts = 0;
  private closed = false;

  private constructor(private readonly options: ClientOptions) {}

  /** Starts the daemon (or connects over `options.streams`) and initializes it. */
  static async start(options: ClientOptions = {}): Promise<CodeModeClient> {
    const client = new CodeModeClient(options);
    client.link = await DaemonLink.open(options, client.handlers());
    return client;
  }

  async openSession(options: OpenSessionOptions): Promise<RemoteSession> {
    const timeout = options.toolCallTimeoutMs;
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 1 && timeout <= MAX_TIMER_DELAY_MS)) {
      throw new CodeModeError(
        ErrorCode.InvalidParams,
        `toolCallTimeoutMs must be a whole number of milliseconds from 1 to ${MAX_TIMER_DELAY_MS}`,
      );
    }
    const link = await this.current();
    const { sessionId } = await link.request(SessionOpen, {
      ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
      ...(options.storedValues === undefined ? {} : { storedValues: options.storedValues }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    const session = new RemoteSession(
      sessionId,
      options.delegate,
      {
        current: () => this.current(),
        live: () => (this.link?.alive ? this.link : undefined),
        forget: (id) => this.sessions.delete(id),
        log: safeLogger(this.options.logger),
      },
      options.storedValues ?? {},
      options,
    );
    this.sessions.set(sessionId, session);
    return session;
  }

  /** Live counts and memory figures of the daemon. */
  async stats(): Promise<DaemonStats> {
    return (await this.current()).request(DaemonStatsRequest, {});
  }

  /** The current daemon connection (tests use it to reach the process). */
  get daemon(): DaemonLink | undefined {
    return this.link;
  }

  async close(): Promise<void> {
    this.closed = true;
    // A restart in progress closes the daemon it starts (see restart).
    await this.connecting?.catch(() => {});
    const link = this.link;
    this.link = undefined;
    await link?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The live daemon; after a crash, a new one with every open session reopened. */
  private current(): Promise<DaemonLink> {
    if (this.link?.alive) return Promise.resolve(this.link);
    this.connecting ??= this.restart().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async restart(): Promise<DaemonLink> {
    if (this.closed) throw new CodeModeError(ErrorCode.InternalError, "the client is closed");
    if (this.options.streams) {
      throw new CodeModeError(
        ErrorCode.InternalError,
        "the daemon is gone and a stream connection cannot be restarted",
      );
    }
    const maxRestarts = this.options.maxRestarts ?? 5;
    if (this.restarts >= maxRestarts) {
      throw new CodeModeError(ErrorCode.InternalError, `the daemon died ${this.restarts} times; not restarting it`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** this.restarts, 2_000)));
    this.restarts++;
    const link = await DaemonLink.open(this.options, this.handlers());
    try {
      for (const session of this.sessions.values()) await session.reopen(link);
      if (this.closed) throw new CodeModeError(ErrorCode.InternalError, "the client is closed");
    } catch (error) {
      // No daemon is left behind: one that could not take the sessions back, or that came up
      // after the client was closed.
      await link.close();
      throw error;
    }
    this.link = link;
    return link;
  }

  private lost(link: DaemonLink): void {
    if (link !== this.link) return;
    if (Date.now() - link.openedAt > RESTART_BUDGET_REFILL_MS) this.restarts = 0;
    for (const session of this.sessions.values()) session.daemonLost();
  }

  private handlers(): LinkHandlers {
    const session = (sessionId: string) => {
      const found = this.sessions.get(sessionId);
      if (!found) throw new CodeModeError(-32010, `unknown session ${sessionId}`);
      return found;
    };
    return {
      invokeTool: ({ sessionId, ...call }, signal) => session(sessionId).invokeTool(call, signal),
      notify: ({ sessionId, ...notification }, signal) => session(sessionId).notify(notification, signal),
      started: ({ sessionId, cellId }) => this.sessions.get(sessionId)?.cellStarted(cellId),
      closed: ({ sessionId, cellId }) => this.sessions.get(sessionId)?.cellClosed(cellId),
      stored: ({ sessionId, values }) => this.sessions.get(sessionId)?.stored(values),
      gone: (link) => this.lost(link),
    };
  }
}
