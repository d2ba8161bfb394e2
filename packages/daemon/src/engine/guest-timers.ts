// A cell's timers: host timeouts that each hold a reference to a guest callback and call it
// once, through the cell, when they fire.
import type { QuickJSHandle } from "quickjs-emscripten-core";
import { timerDelay } from "../timer-delay.js";

interface Timer {
  timeout: NodeJS.Timeout;
  callback: QuickJSHandle;
}

export class GuestTimers {
  private readonly live = new Map<number, Timer>();
  private nextId = 1;

  constructor(
    /** Told of every change in the number of live timers. */
    private readonly changed: (delta: number) => void,
    /** Runs a fired timer's callback in the guest; the callback handle is then the caller's. */
    private readonly fire: (callback: QuickJSHandle) => void,
  ) {}

  get size(): number {
    return this.live.size;
  }

  /** Arms a timer with its own reference to `callback`; returns the timer's id. */
  set(callback: QuickJSHandle, ms: number): number {
    const id = this.nextId++;
    const timeout = setTimeout(() => {
      if (!this.live.delete(id)) return;
      this.changed(-1);
      this.fire(timer.callback);
    }, timerDelay(ms));
    const timer: Timer = { timeout, callback: callback.dup() };
    this.live.set(id, timer);
    this.changed(1);
    return id;
  }

  clear(id: number): void {
    const timer = this.live.get(id);
    if (!timer) return;
    this.live.delete(id);
    clearTimeout(timer.timeout);
    this.changed(-1);
    timer.callback.dispose();
  }

  /** Cancels every timer; their callbacks are released last, as that may fail in a broken engine. */
  disposeAll(): void {
    const timers = [...this.live.values()];
    this.live.clear();
    for (const timer of timers) clearTimeout(timer.timeout);
    if (timers.length > 0) this.changed(-timers.length);
    for (const timer of timers) timer.callback.dispose();
  }
}
