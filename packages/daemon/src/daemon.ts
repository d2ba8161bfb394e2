// The daemon's state: sessions (their ids daemon-wide), the connection that drives each, the
// engine pool, the memory budget, live counts. Transport-free: a connection is a HostPeer.
import { randomUUID } from "node:crypto";
import {
  type CellLimits,
  type DaemonLimits,
  type DaemonStats,
  DEFAULT_CELL_LIMITS,
  type SessionOpenParams,
  type SessionOpenResult,
  withOverrides,
} from "@codemode/protocol";
import type { Cell } from "./cell.js";
import { Errors } from "./daemon-error.js";
import type { EnginePool } from "./engine/engine-pool.js";
import { MemoryBudget } from "./memory-budget.js";
import { Session, type SessionContext } from "./session.js";
import { type HostPeer, SessionHost } from "./session-host.js";

const MAX_REMEMBERED_SHUTDOWNS = 10_000;
/** How many cells a capacity error names. */
const MAX_NAMED_HOLDERS = 20;

export interface DaemonOptions {
  /** `maxSessions`, `maxCells` and `maxMessageBytes` hold per connection, `memoryBudgetBytes` for the daemon. */
  limits: DaemonLimits;
  cellLimits?: CellLimits;
  /** The engine workers, shared by every connection; the bin warms the pool before anything else loads. */
  pool: EnginePool;
}

interface Entry {
  readonly session: Session;
  /** Where its requests and notifications go: the connection that drives it, if any. */
  readonly host: SessionHost;
  /** Its cells are being stopped before it is closed: it can be neither re-attached nor detached. */
  closing?: boolean;
}

export class Daemon {
  private readonly sessions = new Map<string, Entry>();
  /** The sessions each connection drives. */
  private readonly driven = new Map<HostPeer, Set<Entry>>();
  private readonly pool: EnginePool;
  private readonly counters = { pending: 0, cells: 0 };
  private readonly budget: MemoryBudget;
  private readonly cellLimits: CellLimits;
  private closing = false;
  /**
   * Ids of sessions that were shut down, so that a late request about one still answers
   * "shutting down" rather than "unknown session". Bounded: the oldest are forgotten.
   */
  private readonly shutDown = new Set<string>();

  constructor(private readonly options: DaemonOptions) {
    this.pool = options.pool;
    this.cellLimits = options.cellLimits ?? DEFAULT_CELL_LIMITS;
    this.budget = new MemoryBudget(options.limits.memoryBudgetBytes);
  }

  get limits(): { cell: CellLimits; daemon: DaemonLimits } {
    return { cell: this.cellLimits, daemon: this.options.limits };
  }

  /**
   * Opens a session driven by `peer`, or re-attaches a detached one of that id to it. Throws
   * DuplicateSession (already driven by `peer`), SessionInUse (driven by another connection),
   * LimitExceeded (`maxSessions` of `peer`).
   */
  openSession(params: SessionOpenParams, peer: HostPeer): SessionOpenResult {
    if (this.closing) throw Errors.shuttingDown();
    const sessionId = params.sessionId ?? randomUUID();
    const entry = this.sessions.get(sessionId);
    if (entry?.host.peer === peer) throw Errors.duplicateSession(sessionId);
    if (entry && (entry.closing || entry.host.status !== "detached")) throw this.refusal(entry);
    const maxSessions = this.options.limits.maxSessions;
    if ((this.driven.get(peer)?.size ?? 0) >= maxSessions) {
      throw Errors.limit(`too many sessions (maxSessions: ${maxSessions})`);
    }
    if (entry) {
      entry.host.attach(peer);
      this.bind(entry, peer);
      return { sessionId, reattached: true };
    }
    this.shutDown.delete(sessionId);
    const host = new SessionHost(peer);
    const context: SessionContext = {
      budget: this.budget,
      host,
      events: host.events,
      counters: this.counters,
      admitCell: () => this.admitCell(host.peer),
      engineFor: (id) => this.pool.workerFor(id),
    };
    const limits = withOverrides(this.cellLimits, params.limits);
    const created = { session: new Session(sessionId, params.storedValues ?? {}, limits, context), host };
    this.sessions.set(sessionId, created);
    this.bind(created, peer);
    return { sessionId };
  }

  /** The session `peer` drives; throws UnknownSession, ShuttingDown or SessionInUse. */
  session(sessionId: string, peer: HostPeer): Session {
    return this.driving(sessionId, peer).session;
  }

  async shutdownSession(sessionId: string, peer: HostPeer): Promise<void> {
    await this.closeSession(this.driving(sessionId, peer));
  }

  /** LSP `shutdown` of one connection: stops every cell of the sessions it drives, and closes them. */
  async shutdownPeer(peer: HostPeer): Promise<void> {
    await Promise.all([...(this.driven.get(peer) ?? [])].map((entry) => this.closeSession(entry)));
  }

  /**
   * `peer`'s connection closed: its sessions are detached, their cells running on, until a
   * `session/open` from another connection re-attaches them; those still detached after
   * `graceMs` have their cells terminated and are closed.
   */
  detach(peer: HostPeer, graceMs: number): void {
    for (const entry of this.driven.get(peer) ?? []) {
      if (entry.closing) continue;
      entry.host.detach(graceMs, () => {
        entry.host.close();
        void this.closeSession(entry);
      });
    }
    this.driven.delete(peer);
  }

  /** The daemon stops: refuses new sessions, stops every cell, closes every session and the engine workers. */
  async stop(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.sessions.values()].map((entry) => this.closeSession(entry)));
    await this.pool.close();
  }

  stats(): DaemonStats {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      sessions: this.sessions.size,
      cells: this.counters.cells,
      pendingReverseRequests: this.counters.pending,
      timers: this.pool.timers,
      workers: this.pool.size,
      memory: {
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        external: memory.external,
        arrayBuffers: memory.arrayBuffers,
        budgetBytes: this.budget.limitBytes,
        chargedBytes: this.budget.chargedBytes,
      },
      cpu: { userMicros: cpu.user, systemMicros: cpu.system },
    };
  }

  /** Stops the session's cells, then forgets it: its committed values are the host's now. */
  private async closeSession(entry: Entry): Promise<void> {
    entry.closing = true;
    await entry.session.shutdown();
    const { id } = entry.session;
    if (this.sessions.get(id) !== entry) return;
    this.sessions.delete(id);
    this.unbind(entry);
    entry.host.close();
    entry.session.dispose();
    this.pool.release(id);
    this.rememberShutDown(id);
  }

  private driving(sessionId: string, peer: HostPeer): Entry {
    const entry = this.sessions.get(sessionId);
    if (!entry) throw this.shutDown.has(sessionId) ? Errors.shuttingDown() : Errors.unknownSession(sessionId);
    if (entry.host.peer === peer) return entry;
    throw this.refusal(entry);
  }

  /** Why a connection other than the session's own may not drive it. */
  private refusal({ session, host, closing }: Entry): Error {
    if (closing || host.status === "closed") return Errors.shuttingDown();
    return host.status === "detached" ? Errors.sessionDetached(session.id) : Errors.sessionInUse(session.id);
  }

  private bind(entry: Entry, peer: HostPeer): void {
    let entries = this.driven.get(peer);
    if (!entries) {
      entries = new Set();
      this.driven.set(peer, entries);
    }
    entries.add(entry);
  }

  private unbind(entry: Entry): void {
    const peer = entry.host.peer;
    if (peer) this.driven.get(peer)?.delete(entry);
  }

  private rememberShutDown(sessionId: string): void {
    this.shutDown.add(sessionId);
    if (this.shutDown.size > MAX_REMEMBERED_SHUTDOWNS) {
      const oldest = this.shutDown.values().next().value;
      if (oldest !== undefined) this.shutDown.delete(oldest);
    }
  }

  /**
   * Capacity policy, per connection: at `maxCells` live cells in the sessions `peer` drives,
   * the completion that has waited longest for a `wait` is dropped to make room (finished
   * results nobody collects must not hold slots forever); with none to drop, the error names
   * the cells holding the slots.
   */
  private admitCell(peer: HostPeer | undefined): void {
    const max = this.options.limits.maxCells;
    const sessions = [...(peer ? (this.driven.get(peer) ?? []) : [])].map((entry) => entry.session);
    if (sessions.reduce((cells, session) => cells + session.liveCells, 0) < max) return;
    let oldest: Cell | undefined;
    for (const session of sessions) {
      const candidate = session.oldestBuffered();
      if (candidate && (!oldest || (candidate.bufferedSince ?? 0) < (oldest.bufferedSince ?? 0))) oldest = candidate;
    }
    if (oldest) {
      oldest.discardBuffered();
      return;
    }
    const holders = sessions.flatMap((session) => session.cellNames());
    const shown = holders.slice(0, MAX_NAMED_HOLDERS).join(", ");
    const more = holders.length > MAX_NAMED_HOLDERS ? ` and ${holders.length - MAX_NAMED_HOLDERS} more` : "";
    throw Errors.limit(`too many live cells (maxCells: ${max}); held by ${shown}${more}`);
  }
}
