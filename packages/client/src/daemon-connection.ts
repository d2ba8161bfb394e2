// One connection of the client to a daemon, across daemons: the live link, its replacement
// when it is lost (as the restart policy says), the sessions it carries (reopened on every
// new link), and the routing of the daemon's reverse requests to them.
import { ErrorCode } from "@codemode/protocol";
import type { Logger } from "@codemode/wire";
import type { DaemonChannel } from "./daemon-channel.js";
import { DaemonLink, type LinkHandlers } from "./daemon-link.js";
import { CodeModeError } from "./errors.js";
import type { RemoteSession, SessionLink } from "./remote-session.js";
import type { LineLogger } from "./report.js";
import type { RestartPolicy } from "./restart-policy.js";

export interface ConnectionSettings {
  /** Opens a new channel: spawns a daemon, or connects to one. */
  open(): Promise<DaemonChannel>;
  restartPolicy: RestartPolicy;
  log: LineLogger;
  logger: Logger;
}

/**
 * The connection's lifecycle. `transition` is the one place it changes, along the edges of
 * `NEXT_STATES`: starting → running ⇄ restarting (again after a failed start), and either of
 * them → closing → closed, or straight to closed when the restart policy gives up.
 */
type ConnectionState =
  | { readonly kind: "starting" }
  | { readonly kind: "running"; readonly link: DaemonLink }
  | { readonly kind: "restarting"; readonly next: Promise<DaemonLink> }
  | { readonly kind: "closing"; readonly done: Promise<void> }
  | { readonly kind: "closed"; readonly reason: CodeModeError };

const NEXT_STATES: Record<ConnectionState["kind"], readonly ConnectionState["kind"][]> = {
  starting: ["running"],
  running: ["restarting", "closing", "closed"],
  restarting: ["running", "restarting", "closing", "closed"],
  closing: ["closed"],
  closed: [],
};

export const clientClosed = () => new CodeModeError(ErrorCode.InternalError, "the client is closed");

export class DaemonConnection {
  /** The sessions this connection carries, by id. */
  readonly sessions = new Map<string, RemoteSession>();
  private state: ConnectionState = { kind: "starting" };
  private emptied: (() => void) | undefined;

  private constructor(private readonly settings: ConnectionSettings) {}

  /** Opens the first link; rejects with why it could not (the daemon exited, HTTP 401, ...). */
  static async open(settings: ConnectionSettings): Promise<DaemonConnection> {
    const connection = new DaemonConnection(settings);
    connection.transition({ kind: "running", link: await connection.openLink() });
    return connection;
  }

  /** How a session on this connection reaches the daemon. */
  sessionLink(): SessionLink {
    return {
      current: () => this.current(),
      live: () => this.live(),
      forget: (id) => {
        if (this.sessions.delete(id) && this.sessions.size === 0) this.emptied?.();
      },
      log: this.settings.log,
    };
  }

  /** Calls `listener` each time the last session it carries is forgotten. */
  onEmpty(listener: () => void): void {
    this.emptied = listener;
  }

  /** The running link, if there is one. */
  live(): DaemonLink | undefined {
    return this.state.kind === "running" ? this.state.link : undefined;
  }

  /** The live link; while one is being replaced, that one once it has every open session back. */
  current(): Promise<DaemonLink> {
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

  /** Closes the link (see `DaemonLink.close`); every caller resolves once it is gone. */
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
        // The restart sees the connection closing, and closes the link it opened (see restart).
        return this.closeAfter(state.next.then(() => {}));
    }
  }

  private closeAfter(stopping: Promise<void>): Promise<void> {
    const done = stopping.catch(() => {}).then(() => this.transition({ kind: "closed", reason: clientClosed() }));
    this.transition({ kind: "closing", done });
    return done;
  }

  private transition(next: ConnectionState): void {
    if (!NEXT_STATES[this.state.kind].includes(next.kind)) {
      throw new Error(`codemode client: no transition from ${this.state.kind} to ${next.kind}`);
    }
    this.state = next;
  }

  private async openLink(): Promise<DaemonLink> {
    return DaemonLink.open(await this.settings.open(), this.handlers(), this.settings.logger);
  }

  /** The running link was lost: the sessions learn it, and the policy says whether another is opened. */
  private lost(link: DaemonLink): void {
    if (this.state.kind !== "running" || this.state.link !== link) return;
    for (const session of this.sessions.values()) session.daemonLost(link);
    this.decide({ uptimeMs: Date.now() - link.openedAt });
  }

  private decide(loss: { uptimeMs: number; error?: Error }): void {
    const decision = this.settings.restartPolicy.lost(loss);
    if (decision.action === "stop") {
      this.transition({ kind: "closed", reason: new CodeModeError(ErrorCode.InternalError, decision.reason) });
      for (const session of this.sessions.values()) session.unconfirmedCellsEnded();
      return;
    }
    const next = this.restart(decision.delayMs);
    // Nobody may be waiting for it; a caller that is sees the failure through current().
    next.catch(() => {});
    this.transition({ kind: "restarting", next });
  }

  /**
   * After `delayMs`, a new link with every open session reopened. A start that fails is a
   * loss of its own, for the policy to judge; a connection closed meanwhile closes what it opened.
   */
  private async restart(delayMs: number): Promise<DaemonLink> {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (this.state.kind !== "restarting") throw clientClosed();
    let link: DaemonLink | undefined;
    try {
      link = await this.openLink();
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
      if (!found) throw new CodeModeError(ErrorCode.UnknownSession, `unknown session ${sessionId}`);
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
