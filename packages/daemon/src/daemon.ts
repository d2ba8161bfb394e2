// The daemon's state: sessions, the engine pool, live counts. Transport-free.
import { randomUUID } from "node:crypto";
import {
  type CellLimits,
  type DaemonLimits,
  type DaemonStats,
  DEFAULT_CELL_LIMITS,
  type SessionOpenParams,
  withOverrides,
} from "@codemode/protocol";
import type { Cell, CellHost } from "./cell.js";
import { Errors } from "./daemon-error.js";
import type { EnginePool } from "./engine/engine-pool.js";
import { MemoryBudget } from "./memory-budget.js";
import { Session, type SessionContext, type SessionEvents } from "./session.js";

const MAX_REMEMBERED_SHUTDOWNS = 10_000;
/** How many cells a capacity error names. */
const MAX_NAMED_HOLDERS = 20;

export interface DaemonOptions {
  host: CellHost;
  events: SessionEvents;
  limits: DaemonLimits;
  cellLimits?: CellLimits;
  /** The engine workers; the bin warms the pool before anything else loads (a cold pool starts its workers on demand). */
  pool: EnginePool;
}

export class Daemon {
  private readonly sessions = new Map<string, Session>();
  private readonly pool: EnginePool;
  private readonly counters = { pending: 0, cells: 0 };
  private readonly budget: MemoryBudget;
  private readonly context: SessionContext;
  private readonly cellLimits: CellLimits;
  private shuttingDown = false;
  /**
   * Ids of sessions that were shut down, so that a late request about one still answers
   * "shutting down" rather than "unknown session". Bounded: the oldest are forgotten.
   */
  private readonly shutDown = new Set<string>();

  constructor(private readonly options: DaemonOptions) {
    this.pool = options.pool;
    this.cellLimits = options.cellLimits ?? DEFAULT_CELL_LIMITS;
    this.budget = new MemoryBudget(options.limits.memoryBudgetBytes);
    this.context = {
      budget: this.budget,
      host: options.host,
      events: options.events,
      counters: this.counters,
      admitCell: () => this.admitCell(),
      engineFor: (sessionId) => this.pool.workerFor(sessionId),
    };
  }

  get limits(): { cell: CellLimits; daemon: DaemonLimits } {
    return { cell: this.cellLimits, daemon: this.options.limits };
  }

  openSession(params: SessionOpenParams): { sessionId: string } {
    if (this.shuttingDown) throw Errors.shuttingDown();
    const sessionId = params.sessionId ?? randomUUID();
    if (this.sessions.has(sessionId)) throw Errors.duplicateSession(sessionId);
    if (this.sessions.size >= this.options.limits.maxSessions) {
      throw Errors.limit(`too many sessions (maxSessions: ${this.options.limits.maxSessions})`);
    }
    this.shutDown.delete(sessionId);
    const limits = withOverrides(this.cellLimits, params.limits);
    this.sessions.set(sessionId, new Session(sessionId, params.storedValues ?? {}, limits, this.context));
    return { sessionId };
  }

  session(sessionId: string): Session {
    const session = this.sessions.get(sessionId);
    if (session) return session;
    throw this.shutDown.has(sessionId) ? Errors.shuttingDown() : Errors.unknownSession(sessionId);
  }

  async shutdownSession(sessionId: string): Promise<void> {
    const session = this.session(sessionId);
    await session.shutdown();
    if (this.sessions.get(sessionId) === session) {
      this.sessions.delete(sessionId);
      session.dispose();
      this.pool.release(sessionId);
      this.rememberShutDown(sessionId);
    }
  }

  /** Daemon shutdown: refuse new sessions and cells, stop every cell. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all([...this.sessions.keys()].map((id) => this.shutdownSession(id)));
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

  private rememberShutDown(sessionId: string): void {
    this.shutDown.add(sessionId);
    if (this.shutDown.size > MAX_REMEMBERED_SHUTDOWNS) {
      const oldest = this.shutDown.values().next().value;
      if (oldest !== undefined) this.shutDown.delete(oldest);
    }
  }

  /**
   * Capacity policy: at `maxCells`, the completion that has waited longest for a `wait` is
   * dropped to make room (finished results nobody collects must not hold slots forever);
   * with none to drop, the error names the cells holding the slots.
   */
  private admitCell(): void {
    const max = this.options.limits.maxCells;
    if (this.counters.cells < max) return;
    let oldest: Cell | undefined;
    for (const session of this.sessions.values()) {
      const candidate = session.oldestBuffered();
      if (candidate && (!oldest || (candidate.bufferedSince ?? 0) < (oldest.bufferedSince ?? 0))) oldest = candidate;
    }
    if (oldest) {
      oldest.discardBuffered();
      return;
    }
    const holders = [...this.sessions.values()].flatMap((session) => session.cellNames());
    const shown = holders.slice(0, MAX_NAMED_HOLDERS).join(", ");
    const more = holders.length > MAX_NAMED_HOLDERS ? ` and ${holders.length - MAX_NAMED_HOLDERS} more` : "";
    throw Errors.limit(`too many live cells (maxCells: ${max}); held by ${shown}${more}`);
  }
}
