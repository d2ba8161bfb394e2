// Where a session's reverse requests and notifications go: the connection that drives it, or,
// while the session is detached (its connection closed, within the reconnect grace), the next
// one. Meanwhile requests wait and notifications are held, in order; both go to the connection
// that re-attaches the session, after the answer to its `session/open`. A request whose
// connection closed before answering is sent again there: the host may see it twice.
import type { CellNotifyParams, JsonValue, ToolInvokeParams } from "@codemode/protocol";
import type { CancellationToken } from "vscode-jsonrpc/node";
import type { CellHost } from "./cell.js";
import { Errors } from "./daemon-error.js";
import type { SessionEvents } from "./session.js";
import { timerDelay } from "./timer-delay.js";

/** One connection as the daemon sees it: where its sessions' requests and notifications go. */
export interface HostPeer {
  readonly host: CellHost;
  readonly events: SessionEvents;
}

/** What a peer's requests reject with once its connection closed: the request was not answered. */
export class PeerGone extends Error {
  constructor() {
    super("the connection closed before answering");
    this.name = "PeerGone";
  }
}

type Send = (events: SessionEvents) => void;

type State =
  /** Requests and notifications go to `peer` at once. */
  | { kind: "attached"; peer: HostPeer }
  /** Re-attached to `peer`; what was held goes there once the answer that re-attached it is written. */
  | { kind: "attaching"; peer: HostPeer; held: Send[] }
  | { kind: "detached"; held: Send[]; grace: NodeJS.Timeout }
  | { kind: "closed" };

interface Waiter {
  resolve(peer: HostPeer): void;
  reject(error: unknown): void;
}

export class SessionHost implements CellHost {
  private state: State;
  private readonly waiting = new Set<Waiter>();

  readonly events: SessionEvents = {
    cellStarted: (sessionId, cellId, toolCallId) => this.emit((to) => to.cellStarted(sessionId, cellId, toolCallId)),
    cellClosed: (sessionId, cellId) => this.emit((to) => to.cellClosed(sessionId, cellId)),
    stored: (sessionId, cellId, values) => this.emit((to) => to.stored(sessionId, cellId, values)),
  };

  constructor(peer: HostPeer) {
    this.state = { kind: "attached", peer };
  }

  /** The connection that drives the session, if any. */
  get peer(): HostPeer | undefined {
    return this.state.kind === "attached" || this.state.kind === "attaching" ? this.state.peer : undefined;
  }

  /** Attached or attaching: driven by `peer`; detached: waiting for one; closed: being shut down. */
  get status(): State["kind"] {
    return this.state.kind;
  }

  invokeTool(params: ToolInvokeParams, token: CancellationToken): Promise<JsonValue> {
    return this.request((host) => host.invokeTool(params, token), token);
  }

  notify(params: CellNotifyParams, token: CancellationToken): Promise<void> {
    return this.request((host) => host.notify(params, token), token);
  }

  /** The connection closed: hold everything until `attach`, or call `expired` after `graceMs`. */
  detach(graceMs: number, expired: () => void): void {
    if (this.state.kind === "detached" || this.state.kind === "closed") return;
    const held = this.state.kind === "attaching" ? this.state.held : [];
    this.state = { kind: "detached", held, grace: setTimeout(expired, timerDelay(graceMs)) };
  }

  /**
   * `peer` drives the session from now on. What was held is sent after the current turn of the
   * event loop, once the answer to the `session/open` that re-attached it is written.
   */
  attach(peer: HostPeer): void {
    if (this.state.kind !== "detached") return;
    clearTimeout(this.state.grace);
    this.state = { kind: "attaching", peer, held: this.state.held };
    setImmediate(() => this.release(peer));
  }

  /** The session is closing: nothing more is sent, and requests still waiting are cancelled. */
  close(): void {
    if (this.state.kind === "detached") clearTimeout(this.state.grace);
    this.state = { kind: "closed" };
    for (const waiter of this.waiting) waiter.reject(Errors.cancelled());
    this.waiting.clear();
  }

  private release(peer: HostPeer): void {
    if (this.state.kind !== "attaching" || this.state.peer !== peer) return;
    const { held } = this.state;
    this.state = { kind: "attached", peer };
    for (const send of held) send(peer.events);
    for (const waiter of this.waiting) waiter.resolve(peer);
    this.waiting.clear();
  }

  private emit(send: Send): void {
    if (this.state.kind === "attached") send(this.state.peer.events);
    else if (this.state.kind !== "closed") this.state.held.push(send);
  }

  /** Sends on the attached connection; waits for one, and sends again if it closes unanswered. */
  private async request<T>(send: (host: CellHost) => Promise<T>, token: CancellationToken): Promise<T> {
    for (;;) {
      const peer = this.state.kind === "attached" ? this.state.peer : await this.attached(token);
      try {
        return await send(peer.host);
      } catch (error) {
        if (!(error instanceof PeerGone) || token.isCancellationRequested || this.peer === peer) throw error;
      }
    }
  }

  private attached(token: CancellationToken): Promise<HostPeer> {
    if (this.state.kind === "closed" || token.isCancellationRequested) return Promise.reject(Errors.cancelled());
    return new Promise((resolve, reject) => {
      const subscription = token.onCancellationRequested(() => waiter.reject(Errors.cancelled()));
      const waiter: Waiter = {
        resolve: (peer) => {
          subscription.dispose();
          resolve(peer);
        },
        reject: (error) => {
          subscription.dispose();
          this.waiting.delete(waiter);
          reject(error);
        },
      };
      this.waiting.add(waiter);
    });
  }
}
