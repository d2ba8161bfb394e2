// The entry point of the client library: starts (or connects to) a daemon, opens sessions
// on it, routes the daemon's reverse requests to each session's delegate, and replaces a lost
// daemon as its restart policy says.
import { type DaemonStats, DaemonStatsRequest, ErrorCode, MAX_TIMER_DELAY_MS, SessionOpen } from "@codemode/protocol";
import { DaemonLink, type DaemonOptions, type LinkHandlers } from "./daemon-link.js";
import { CodeModeError } from "./errors.js";
import { RemoteSession } from "./remote-session.js";
import { safeLogger } from "./report.js";
import { type RestartPolicy, restartWithBackoff } from "./restart-policy.js";
import { DAEMON_PROCESS, type DaemonProcess } from "./test-hooks.js";
import type { CodeModeSession, OpenSessionOptions } from "./types.js";

export interface ClientOptions extends DaemonOptions {
  /**
   * Whether and when a lost daemon is replaced (default: `restartWithBackoff()`, at most 5
   * restarts in a row, 100 ms doubling to 2 s). A client over `streams` never restarts.
   */
  restartPolicy?: RestartPolicy;
}

/** A session as the client hands it out: the SPEC's session, closed by `await using` too. */
export type ClientSession = CodeModeSession & AsyncDisposable;

/**
 * The client's lifecycle. `transition` is the one place it changes, along the edges of
 * `NEXT_STATES`: starting → running ⇄ restarting (again after a failed start), and either of
 * them → closing → closed, or straight to closed when the restart policy gives up.
 */
type ClientState =
  | { readonly kind: "starting" }
  | { readonly kind: "running"; readonly link: DaemonLink }
  | { readonly kind: "restarting"; readonly next: Promise<DaemonLink> }
  | { readonly kind: "closing"; readonly done: Promise<void> }
  | { readonly kind: "closed"; readonly reason: CodeModeError };

const NEXT_STATES: Record<ClientState["kind"], readonly ClientState["kind"][]> = {
  starting: ["running"],
  running: ["restarting", "closing", "closed"],
  restarting: ["running", "restarting", "closing", "closed"],
  closing: ["closed"],
  closed: [],
};

export class CodeModeClient implements AsyncDisposable {
  private readonly sessions = new Map<string, RemoteSession>();
  private state: ClientState = { kind: "starting" };
  private readonly restartPolicy: RestartPolicy;

  private constructor(private readonly options: ClientOptions) {
    this.restartPolicy = options.restartPolicy ?? restartWithBackoff();
  }

  /** Starts the daemon (or connects over `options.streams`) and initializes it. */
  static async start(options: ClientOptions = {}): Promise<CodeModeClient> {
    const client = new CodeModeClient(options);
    client.transition({ kind: "running", link: await DaemonLink.open(options, client.handlers()) });
    return client;
  }

  /**
   * Opens a session on the daemon (under `options.sessionId` when given, with
   * `options.storedValues` committed). Fails with the daemon's error (-32602 for bad limits,
   * -32011 when `maxSessions` are open) or -32602 for a bad `toolCallTimeoutMs`.
   */
  async openSession(options: OpenSessionOptions): Promise<ClientSession> {
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
        live: () => (this.state.kind === "running" ? this.state.link : undefined),
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

  /** Closes the daemon (LSP shutdown and exit); every caller resolves once it is gone. */
  close(): Promise<void> {
    const state = this.state;
    switch (state.kind) {
      case "starting":
      case "closed":
        return Promise.resolve();
      case "closing":
        return state.done;
      case "running":
        return this.closeAfter(state.link.close());
      case "restarting":
        // The restart sees the client closing, and closes the daemon it started (see restart).
        return this.closeAfter(state.next.then(() => {}));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The live daemon's process, for tests that simulate its crash (`@codemode/client/testing`). */
  [DAEMON_PROCESS](): DaemonProcess | undefined {
    return this.state.kind === "running" ? this.state.link : undefined;
  }

  private closeAfter(stopping: Promise<void>): Promise<void> {
    const done = stopping.catch(() => {}).then(() => this.transition({ kind: "closed", reason: clientClosed() }));
    this.transition({ kind: "closing", done });
    return done;
  }

  private transition(next: ClientState): void {
    if (!NEXT_STATES[this.state.kind].includes(next.kind)) {
      throw new Error(`codemode client: no transition from ${this.state.kind} to ${next.kind}`);
    }
    this.state = next;
  }

  /** The live daemon; while one is being restarted, that one once it has every open session back. */
  private current(): Promise<DaemonLink> {
    const state = this.state;
    switch (state.kind) {
      case "running":
        return Promise.resolve(state.link);
      case "restarting":
        return state.next;
      case "closed":
        return Promise.reject(state.reason);
      default:
        return Promise.reject(clientClosed());
    }
  }

  /** The running daemon was lost: its cells are gone, and the policy says whether another starts. */
  private lost(link: DaemonLink): void {
    if (this.state.kind !== "running" || this.state.link !== link) return;
    for (const session of this.sessions.values()) session.daemonLost();
    this.decide({ uptimeMs: Date.now() - link.openedAt });
  }

  private decide(loss: { uptimeMs: number; error?: Error }): void {
    const decision = this.options.streams
      ? { action: "stop" as const, reason: "the daemon is gone and a stream connection cannot be restarted" }
      : this.restartPolicy.lost(loss);
    if (decision.action === "stop") {
      this.transition({ kind: "closed", reason: new CodeModeError(ErrorCode.InternalError, decision.reason) });
      return;
    }
    const next = this.restart(decision.delayMs);
    // Nobody may be waiting for it; a caller that is sees the failure through current().
    next.catch(() => {});
    this.transition({ kind: "restarting", next });
  }

  /**
   * After `delayMs`, a new daemon with every open session reopened. A start that fails is a
   * loss of its own, for the policy to judge; a client closed meanwhile closes what it started.
   */
  private async restart(delayMs: number): Promise<DaemonLink> {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (this.state.kind !== "restarting") throw clientClosed();
    let link: DaemonLink | undefined;
    try {
      link = await DaemonLink.open(this.options, this.handlers());
      for (const session of this.sessions.values()) await session.reopen(link);
      if (!link.alive) throw new CodeModeError(ErrorCode.InternalError, "the new daemon exited at once");
    } catch (error) {
      await link?.close();
      if (this.state.kind !== "restarting") throw clientClosed();
      this.decide({ uptimeMs: 0, error: CodeModeError.from(error) });
      return this.current();
    }
    if (this.state.kind !== "restarting") {
      await link.close();
      throw clientClosed();
    }
    this.transition({ kind: "running", link });
    return link;
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

const clientClosed = () => new CodeModeError(ErrorCode.InternalError, "the client is closed");
