// The main thread's handle on one engine worker: starts cells in it, routes its events to
// each cell's sink, and turns a worker that died into a failure of the cells it hosted.
import { MessageChannel, Worker } from "node:worker_threads";
import type { ContentItem } from "@codemode/protocol";
import { Messages } from "@codemode/protocol/errors";
import { LimitTexts } from "../limit-texts.js";
import {
  Busy,
  type EngineOptions,
  type FromWorker,
  Shared,
  type StartCellMessage,
  type ToWorker,
  type WorkerInit,
} from "./worker-protocol.js";

export interface CellSink {
  onItem(item: ContentItem): void;
  onToolCall(call: number, tool: number, input: string | undefined): void;
  onNotify(text: string): void;
  onYield(): void;
  onDone(result: { errorText?: string; terminated: boolean; writes: [string, string][] }): void;
}

const WORKER_URL = new URL("./engine-worker.js", import.meta.url);

/**
 * The engine thread's own stack by default, MiB. QuickJS checks a cell's stack (`stackBytes`, at most
 * 1 MiB) against the module's stack in WebAssembly memory, but the same recursion also uses
 * the thread's stack for V8's frames of the WebAssembly functions: measured with the parser
 * (nested parentheses), the deepest user, 1 MiB of QuickJS stack took more than 16 MiB of
 * thread stack. At 64 MiB QuickJS's own check always fires first, with a catchable error in
 * the cell; an overflow of the thread would unwind through the module and corrupt it.
 */
export const ENGINE_STACK_MB = 64;

/** How long a running cell may take to honour a stop before its worker is replaced. */
const STOP_GRACE_MS = 500;
/** How far past its CPU limit a cell may run (stuck in a builtin that ignores interrupts). */
const CPU_GRACE_MS = 1_000;

interface HostedCell {
  sink: CellSink;
  cpuTimeMs: number;
  stopRequestedAt?: number;
  /** Why the first stop was asked for: a limit's errorText, or undefined for a terminate. */
  stopReason?: string | undefined;
}

export class WorkerHandle {
  private readonly worker: Worker;
  private readonly port;
  private readonly flags: Int32Array;
  private readonly hosted = new Map<number, HostedCell>();
  private readonly busy: Float64Array;
  private nextCell = 1;
  private alive = true;
  /** Resolves once the worker has loaded its engine. */
  readonly ready: Promise<void>;
  isReady = false;
  private markReady: () => void = () => {};
  /** A retired worker takes no new cells; set when its engine may be corrupted. */
  retired = false;
  sessions = 0;

  constructor(
    private readonly onGone: (handle: WorkerHandle) => void,
    options: EngineOptions,
  ) {
    this.ready = new Promise<void>((resolve) => {
      this.markReady = () => {
        this.isReady = true;
        resolve();
      };
    });
    const shared = new SharedArrayBuffer(Shared.length * Int32Array.BYTES_PER_ELEMENT);
    this.flags = new Int32Array(shared);
    const busy = new SharedArrayBuffer(Busy.length * Float64Array.BYTES_PER_ELEMENT);
    this.busy = new Float64Array(busy);
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.worker = new Worker(WORKER_URL, {
      workerData: { debug: options.debug, shared, busy, port: channel.port2 } satisfies WorkerInit,
      transferList: [channel.port2],
      resourceLimits: { stackSizeMb: options.stackMb },
      // Anything the engine prints goes to stderr: stdout carries protocol only.
      stdout: true,
      stderr: true,
    });
    this.worker.stdout.pipe(process.stderr);
    this.worker.stderr.pipe(process.stderr);
    this.worker.on("message", (message: FromWorker) => this.dispatch(message));
    this.worker.on("error", () => this.gone());
    this.worker.on("exit", () => this.gone());
    this.worker.unref();
    this.port.unref();
  }

  get timers(): number {
    return Atomics.load(this.flags, Shared.timers);
  }

  get usable(): boolean {
    return this.alive && !this.retired;
  }

  /** Starts a cell in this worker; returns the key that names it in later calls. */
  start(init: Omit<StartCellMessage, "type" | "cell">, sink: CellSink): number {
    const cell = this.nextCell++;
    this.hosted.set(cell, { sink, cpuTimeMs: init.limits.cpuTimeMs });
    this.send({ type: "start", cell, ...init });
    return cell;
  }

  /** Whether the cell is executing guest code right now (rather than idle or queued). */
  isRunning(cell: number): boolean {
    return this.busy[Busy.since] !== 0 && this.busy[Busy.cell] === cell;
  }

  settle(cell: number, call: number, result: { json: string } | { error: string }): void {
    if (!this.hosted.has(cell)) return;
    this.send(
      "json" in result
        ? { type: "toolResult", cell, call, json: result.json }
        : { type: "toolError", cell, call, error: result.error },
    );
  }

  /** Stops a cell (terminated, or failed with `errorText`), even one spinning in JS. */
  stop(cell: number, errorText?: string): void {
    const hosted = this.hosted.get(cell);
    if (!hosted) return;
    if (hosted.stopRequestedAt === undefined) {
      hosted.stopRequestedAt = Date.now();
      hosted.stopReason = errorText;
    }
    this.send(errorText === undefined ? { type: "stop", cell } : { type: "stop", cell, errorText });
    Atomics.add(this.flags, Shared.control, 1);
  }

  /**
   * The watchdog: a cell that keeps running guest code well past a stop request or its CPU
   * limit is stuck in a builtin that ignores interrupts. Only replacing the worker stops it;
   * the cells that lived in it end with a clear error.
   */
  checkStuck(now: number): void {
    const since = this.busy[Busy.since] ?? 0;
    if (!this.alive || since === 0) return;
    const key = this.busy[Busy.cell] ?? 0;
    const cell = this.hosted.get(key);
    if (!cell) return;
    const stopOverdue =
      cell.stopRequestedAt !== undefined && now - Math.max(cell.stopRequestedAt, since) > STOP_GRACE_MS;
    if (!stopOverdue && now - since <= cell.cpuTimeMs + CPU_GRACE_MS) return;
    this.retired = true;
    this.endAll((hostedKey, hosted) =>
      hostedKey === key ? (hosted.stopReason ?? LimitTexts.cpu(hosted.cpuTimeMs)) : LimitTexts.workerReplaced,
    );
    void this.worker.terminate();
  }

  async close(): Promise<void> {
    this.retired = true;
    await this.worker.terminate();
  }

  private send(message: ToWorker): void {
    if (this.alive) this.port.postMessage(message);
  }

  private dispatch(message: FromWorker): void {
    if (message.type === "ready") {
      this.markReady();
      return;
    }
    if (message.type === "poisoned") {
      // The engine may be corrupted: none of its cells can go on, nor can any start in it.
      this.retired = true;
      this.endAll(() => Messages.runtimeEnded);
      void this.worker.terminate();
      return;
    }
    const sink = this.hosted.get(message.cell)?.sink;
    if (!sink) return;
    switch (message.type) {
      case "item":
        sink.onItem(message.item);
        return;
      case "toolCall":
        sink.onToolCall(message.call, message.tool, message.input);
        return;
      case "notify":
        sink.onNotify(message.text);
        return;
      case "yield":
        sink.onYield();
        return;
      case "done":
        this.hosted.delete(message.cell);
        sink.onDone(message);
        if (this.retired && this.hosted.size === 0) void this.close();
        return;
    }
  }

  /** The worker exited or crashed: every cell it hosted ends as the engine ending. */
  private gone(): void {
    if (!this.alive) return;
    this.endAll(() => Messages.runtimeEnded);
  }

  private endAll(errorText: (key: number, cell: HostedCell) => string): void {
    this.alive = false;
    const hosted = [...this.hosted];
    this.hosted.clear();
    for (const [key, cell] of hosted) {
      cell.sink.onDone({ errorText: errorText(key, cell), terminated: false, writes: [] });
    }
    this.onGone(this);
  }
}
