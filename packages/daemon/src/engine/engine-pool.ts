// The engine workers of the daemon. Each session is pinned to one worker, and sessions are
// spread over up to `maxWorkers` workers, so a CPU-bound cell delays only the sessions that
// share its worker. Workers start lazily; one stays warm.
import { ENGINE_STACK_MB, WorkerHandle } from "./worker-handle.js";
import type { EngineOptions } from "./worker-protocol.js";

const WATCHDOG_INTERVAL_MS = 100;

export class EnginePool {
  private readonly workers = new Set<WorkerHandle>();
  private readonly pinned = new Map<string, WorkerHandle>();

  private readonly watchdog: NodeJS.Timeout;

  constructor(
    private readonly maxWorkers: number,
    private readonly engine: EngineOptions = { stackMb: ENGINE_STACK_MB, debug: false },
  ) {
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const worker of this.workers) worker.checkStuck(now);
    }, WATCHDOG_INTERVAL_MS);
    this.watchdog.unref();
  }

  /** Starts the first worker ahead of the first cell. */
  warm(): void {
    if (this.workers.size === 0) this.spawn();
  }

  workerFor(sessionId: string): WorkerHandle {
    const current = this.pinned.get(sessionId);
    if (current?.usable) return current;
    if (current) current.sessions--;
    const worker = this.pick();
    worker.sessions++;
    this.pinned.set(sessionId, worker);
    this.keepSpare();
    return worker;
  }

  release(sessionId: string): void {
    const worker = this.pinned.get(sessionId);
    if (!worker) return;
    this.pinned.delete(sessionId);
    worker.sessions--;
  }

  get size(): number {
    return this.workers.size;
  }

  get timers(): number {
    let total = 0;
    for (const worker of this.workers) total += worker.timers;
    return total;
  }

  /** Stops the watchdog and every worker (the daemon stops). */
  async close(): Promise<void> {
    clearInterval(this.watchdog);
    await Promise.all([...this.workers].map((worker) => worker.close()));
  }

  private pick(): WorkerHandle {
    let best: WorkerHandle | undefined;
    let usable = 0;
    for (const worker of this.workers) {
      if (!worker.usable) continue;
      usable++;
      if (worker.sessions === 0) return worker;
      if (!best || worker.sessions < best.sessions) best = worker;
    }
    if (!best || usable < this.maxWorkers) return this.spawn();
    return best;
  }

  /**
   * Keeps one idle worker ready for the next session, while under the cap. It is started only
   * once every worker has loaded its engine, so that it never competes with a worker that a
   * session is already waiting for.
   */
  private keepSpare(): void {
    for (const worker of this.workers) {
      if (!worker.usable) continue;
      if (worker.sessions === 0) return;
      if (!worker.isReady) {
        void worker.ready.then(() => this.keepSpare());
        return;
      }
    }
    if (this.workers.size < this.maxWorkers) this.spawn();
  }

  private spawn(): WorkerHandle {
    const worker = new WorkerHandle((gone) => this.workers.delete(gone), this.engine);
    this.workers.add(worker);
    return worker;
  }
}
