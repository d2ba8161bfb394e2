// The entry point of the client library: starts (or connects to) a daemon, opens sessions
// on it, and routes the daemon's reverse requests to each session's delegate.
import { type DaemonStats, DaemonStatsRequest, SessionOpen } from "@codemode/protocol";
import { DaemonLink, type DaemonOptions, type LinkHandlers } from "./daemon-link.js";
import { CodeModeError } from "./errors.js";
import { RemoteSession } from "./remote-session.js";
import type { OpenSessionOptions } from "./types.js";

export type ClientOptions = DaemonOptions;

export class CodeModeClient implements AsyncDisposable {
  private readonly sessions = new Map<string, RemoteSession>();
  private link: DaemonLink | undefined;

  /** Starts the daemon (or connects over `options.streams`) and initializes it. */
  static async start(options: ClientOptions = {}): Promise<CodeModeClient> {
    const client = new CodeModeClient();
    client.link = await DaemonLink.open(options, client.handlers());
    return client;
  }

  async openSession(options: OpenSessionOptions): Promise<RemoteSession> {
    const link = await this.current();
    const { sessionId } = await link.request(SessionOpen, {
      ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
      ...(options.storedValues === undefined ? {} : { storedValues: options.storedValues }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    const session = new RemoteSession(
      sessionId,
      options.delegate,
      { current: () => this.current(), forget: (id) => this.sessions.delete(id) },
      options.storedValues ?? {},
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
    const link = this.link;
    this.link = undefined;
    await link?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async current(): Promise<DaemonLink> {
    if (!this.link?.alive) throw new CodeModeError(-32603, "the daemon is not running");
    return this.link;
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
      gone: () => {},
    };
  }
}
