// One open session's hold on the session store: its lease, renewed while the session is open;
// its committed writes, sent in order; and the end of both when the session ends.
import { ErrorCode, type JsonObject } from "@codemode/protocol";
import { CodeModeError } from "../errors.js";
import type { LineLogger } from "../report.js";
import type { SessionStore } from "./session-store.js";

/** Where the lease stands: held (possibly behind on its writes), lost to another host, or given up. */
type LeaseState = { kind: "held"; behind: boolean } | { kind: "lost"; error: CodeModeError } | { kind: "ended" };

export interface LeaseSettings {
  store: SessionStore;
  /** This client's holder id. */
  holder: string;
  /** The lease's term, milliseconds; it is renewed every third of it. */
  leaseMs: number;
  log: LineLogger;
}

export class SessionLease {
  private state: LeaseState = { kind: "held", behind: false };
  /** The writes and renewals in flight, one after the other. */
  private queue: Promise<void> = Promise.resolve();
  private readonly renewal: NodeJS.Timeout;

  private constructor(
    private readonly sessionId: string,
    private readonly settings: LeaseSettings,
    /** The session's values as they stand: written whole when a part failed to reach the store. */
    private readonly current: () => JsonObject,
  ) {
    this.renewal = setInterval(() => this.renew(), Math.max(1, Math.floor(settings.leaseMs / 3)));
    // An open session does not keep the host process alive.
    this.renewal.unref();
  }

  /**
   * Takes the session's lease; resolves with the lease and the values the store holds for the
   * session (undefined: none). Rejects with `ErrorCode.SessionInUse` when another host holds it.
   */
  static async acquire(
    sessionId: string,
    settings: LeaseSettings,
    current: () => JsonObject,
  ): Promise<{ lease: SessionLease; values: JsonObject | undefined }> {
    const values = await settings.store.acquire(sessionId, settings.holder, settings.leaseMs);
    return { lease: new SessionLease(sessionId, settings, current), values };
  }

  /** Why the session may no longer be driven from here: another host took its lease. */
  get lost(): CodeModeError | undefined {
    return this.state.kind === "lost" ? this.state.error : undefined;
  }

  /** A cell's committed writes (one `session/stored` part), queued behind the earlier ones. */
  write(values: JsonObject): void {
    this.enqueue(async () => {
      if (this.state.kind !== "held") return;
      if (this.state.behind) await this.catchUp();
      else await this.settings.store.write(this.sessionId, this.settings.holder, values);
    });
  }

  /** Resolves once every write queued so far has reached the store (or failed and been reported). */
  written(): Promise<void> {
    return this.queue;
  }

  /** Stops renewing and gives the lease up, keeping the values: another host may continue. */
  release(): Promise<void> {
    return this.end((store, id, holder) => store.release(id, holder));
  }

  /** The session was shut down: its values and lease are deleted. */
  delete(): Promise<void> {
    return this.end((store, id, holder) => store.delete(id, holder));
  }

  private async end(step: (store: SessionStore, sessionId: string, holder: string) => Promise<void>): Promise<void> {
    clearInterval(this.renewal);
    const held = this.state.kind === "held";
    this.enqueue(async () => {
      try {
        if (held && this.state.kind === "held") await step(this.settings.store, this.sessionId, this.settings.holder);
      } finally {
        this.state = { kind: "ended" };
      }
    });
    await this.queue;
  }

  private renew(): void {
    this.enqueue(async () => {
      if (this.state.kind !== "held") return;
      await this.settings.store.renew(this.sessionId, this.settings.holder, this.settings.leaseMs);
      if (this.state.behind) await this.catchUp();
    });
  }

  /** After a failed write: the whole of the session's values, then writes are parts again. */
  private async catchUp(): Promise<void> {
    await this.settings.store.write(this.sessionId, this.settings.holder, this.current());
    if (this.state.kind === "held") this.state = { kind: "held", behind: false };
  }

  /**
   * Runs `step` after the steps before it. A lost lease ends the lease; any other failure (the
   * store unreachable) is reported and leaves the store behind, to be caught up by the next
   * write or renewal.
   */
  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch((error: unknown) => {
      const failure = CodeModeError.from(error);
      if (failure.code === ErrorCode.SessionInUse) {
        clearInterval(this.renewal);
        this.state = { kind: "lost", error: failure };
        this.settings.log(`codemode client: ${failure.message}`);
        return;
      }
      if (this.state.kind === "held") this.state = { kind: "held", behind: true };
      this.settings.log(`codemode client: session ${this.sessionId}: the session store failed: ${failure.message}`);
    });
  }
}
