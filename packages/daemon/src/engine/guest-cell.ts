// One cell inside an engine worker: its own QuickJS runtime and context, its timers and its
// pending tool calls. All guest code the engine runs on the cell's behalf (its module, promise
// jobs, timer callbacks, and describing what it threw) runs inside `enter`, the guarded
// section: busy for the watchdog, under the CPU limit. Everything it creates is disposed in
// `finish`, unless the engine was poisoned (then the worker is retired whole).
// Types only from the protocol package: its values pull in zod, which a worker need not load.
import type { CellLimits, ContentItem } from "@codemode/protocol";
import { MAX_VALUE_DEPTH } from "@codemode/protocol/defaults";
import { jsonDepthExceeds } from "@codemode/protocol/json-depth";
import type {
  QuickJSContext,
  QuickJSDeferredPromise,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from "quickjs-emscripten-core";
import { LimitTexts } from "../limit-texts.js";
import { requestSize } from "../memory-budget.js";
import { ErrorText } from "./error-text.js";
import { GuestStrings } from "./guest-strings.js";
import { GuestTimers } from "./guest-timers.js";
import { type HostSide, hostObject } from "./host-primitives.js";
import { PRELUDE_SOURCE } from "./prelude.js";
import { StoredView } from "./stored-view.js";
import type { StartCellMessage } from "./worker-protocol.js";

/** Where a cell's events go: the worker posts them to the main thread. */
export interface CellEvents {
  /** The cell enters (true) or leaves (false) guest code. */
  busy(running: boolean): void;
  item(item: ContentItem): void;
  toolCall(call: number, tool: number, input: string | undefined): void;
  notify(text: string): void;
  yieldControl(): void;
  timersChanged(delta: number): void;
  done(result: { errorText?: string; terminated: boolean; writes: [string, string][] }): void;
  /** The engine failed in a way that may have corrupted it: the worker must be retired. */
  poisoned(reason: string): void;
}

/** What a cell's engine asks of the worker hosting it. */
export interface EngineHooks {
  /** Polled by the interrupt handler so a terminate reaches a cell stuck in a loop. */
  pollControl(): void;
  /** Whether the worker's engine is poisoned: no guest code may run in it any more. */
  poisoned(): boolean;
}

/** The host's answer to one tool call: its JSON result, or the text the JS promise rejects with. */
export type ToolSettlement = { call: number; json: string; error?: undefined } | { call: number; error: string };

type Ending =
  | { kind: "succeeded" }
  | { kind: "failed"; errorText: string }
  | { kind: "terminated" }
  /** A host-side failure escaped the engine (a thread stack overflow, an abort). */
  | { kind: "poisoned"; errorText: string };

interface PendingCall {
  deferred: QuickJSDeferredPromise;
  /** What it counts against `pendingInputBytes`. */
  bytes: number;
}

/** The limits of an engine built ahead of time, until it is given to a cell: none. */
const UNLIMITED: CellLimits = {
  heapBytes: Number.POSITIVE_INFINITY,
  stackBytes: Number.POSITIVE_INFINITY,
  cpuTimeMs: Number.POSITIVE_INFINITY,
  payloadBytes: Number.POSITIVE_INFINITY,
  notifyBytes: Number.POSITIVE_INFINITY,
  outputBytes: Number.POSITIVE_INFINITY,
  timers: Number.POSITIVE_INFINITY,
  pendingToolCalls: Number.POSITIVE_INFINITY,
  storedBytes: Number.POSITIVE_INFINITY,
  pendingInputBytes: Number.POSITIVE_INFINITY,
};

/**
 * What a helper throws once the cell is ending (stopped, past a limit, or after a caught
 * `exit()`): the ending's own outcome stands, and a loop that floods output stops at once
 * instead of at the engine's next interrupt check, which may be thousands of calls away.
 */
const ENDING_REFUSAL = "exec cell is ending";

/** Starts every resolved import name; the cell's own module, `exec_main.mjs`, lacks it. */
const IMPORT_PREFIX = "import:";

/** The events of an engine built ahead of time, until it is given to a cell: none. */
export const UNASSIGNED: CellEvents = {
  busy: () => {},
  item: () => {},
  toolCall: () => {},
  notify: () => {},
  yieldControl: () => {},
  timersChanged: () => {},
  done: () => {},
  poisoned: () => {},
};

/**
 * A cell's engine. It is built ahead of time (runtime, context and prelude, the costly part)
 * and then `start`ed with a cell's source, tools, stored values and limits.
 */
export class GuestCell implements HostSide {
  private readonly runtime: QuickJSRuntime;
  private readonly vm: QuickJSContext;
  limits = UNLIMITED;
  private stored: StoredView | undefined;
  private events = UNASSIGNED;
  private readonly calls = new Map<number, PendingCall>();
  /** What the pending calls hold, against `pendingInputBytes`. */
  private pendingInputBytes = 0;
  private readonly timers = new GuestTimers(
    (delta) => this.events.timersChanged(delta),
    (callback) => this.fireTimer(callback),
  );
  private readonly strings: GuestStrings;
  private readonly errors: ErrorText;
  private readonly installTools: QuickJSHandle;
  private readonly describe: QuickJSHandle;
  private main: QuickJSHandle | undefined;
  private ending: Ending | undefined;
  private finished = false;
  private running = false;
  private nextCall = 1;
  private cpuUsedMs = 0;
  private sliceStart = 0;

  constructor(
    module: QuickJSWASMModule,
    private readonly hooks: EngineHooks,
  ) {
    this.runtime = module.newRuntime();
    this.runtime.setInterruptHandler(() => this.shouldInterrupt());
    // Every import fails with the spec's error, thrown as a plain string (a thrown handle is
    // passed to the guest as is) and naming the specifier as written. Resolved names get a
    // prefix no module has, so that even the cell's own module is not found among those
    // already loaded (that import would wait for the cell itself to finish).
    this.runtime.setModuleLoader(
      (name, context) => {
        throw context.newString(`Unsupported import in exec: ${name.slice(IMPORT_PREFIX.length)}`);
      },
      (_base, name) => IMPORT_PREFIX + name,
    );
    this.vm = this.runtime.newContext();
    const vm = this.vm;
    this.strings = new GuestStrings(vm);
    const prelude = vm.unwrapResult(vm.evalCode(PRELUDE_SOURCE, "prelude.js", { type: "global", strict: true }));
    const host = hostObject(vm, this.strings, this);
    const exports = vm.unwrapResult(vm.callFunction(prelude, vm.undefined, host));
    this.installTools = vm.getProp(exports, "installTools");
    this.describe = vm.getProp(exports, "describeError");
    this.errors = new ErrorText(vm, this.strings, this.describe);
    for (const handle of [prelude, host, exports]) handle.dispose();
  }

  /** Gives this engine to a cell: its limits, stored values and tools, then runs its module. */
  start(start: StartCellMessage, events: CellEvents): void {
    this.limits = start.limits;
    this.stored = new StoredView(start.stored, start.limits, start.accounts);
    this.events = events;
    this.runtime.setMemoryLimit(this.limits.heapBytes);
    this.runtime.setMaxStackSize(this.limits.stackBytes);
    this.enter(() => this.run(start));
  }

  /**
   * Stops the cell: as terminated, or as failed with `errorText` (a limit the main thread
   * enforces). Running JS stops at its next interrupt check; an idle cell ends now.
   */
  stop(errorText: string | undefined): void {
    this.requestStop(errorText);
    if (!this.running && this.ending) this.finish(this.ending);
  }

  /** Marks the cell as ending without finishing it; safe from inside the interrupt handler. */
  requestStop(errorText: string | undefined): void {
    this.end(errorText === undefined ? { kind: "terminated" } : { kind: "failed", errorText });
  }

  /** Settles tool calls with the host's answers, all in one entry into the guest. */
  settleTools(settlements: ToolSettlement[]): void {
    const ready: [QuickJSDeferredPromise, ToolSettlement][] = [];
    for (const settlement of settlements) {
      const pending = this.calls.get(settlement.call);
      if (!pending) continue;
      this.calls.delete(settlement.call);
      this.pendingInputBytes -= pending.bytes;
      ready.push([pending.deferred, settlement]);
    }
    if (ready.length === 0) return;
    this.enter(() => {
      for (const [deferred, settlement] of ready) {
        const value =
          settlement.error !== undefined
            ? { rejection: settlement.error }
            : settlement.json.length > this.limits.payloadBytes
              ? { rejection: LimitTexts.payload("tool result", this.limits.payloadBytes) }
              : { json: settlement.json };
        const result = "json" in value ? this.strings.parseJson(value.json) : this.strings.create(value.rejection);
        // A result the engine could not build (its heap is full) rejects with the engine's error.
        if (result.error || "rejection" in value) deferred.reject(result.error ?? result.value);
        else deferred.resolve(result.value);
        result.dispose();
        deferred.dispose();
      }
    });
  }

  private run(start: StartCellMessage): void {
    const vm = this.vm;
    const tools = vm.newString(JSON.stringify(start.tools));
    const installed = vm.callFunction(this.installTools, vm.undefined, tools);
    tools.dispose();
    vm.unwrapResult(installed).dispose();
    const result = vm.evalCode(start.source, "exec_main.mjs", { type: "module" });
    if (result.error) {
      this.failWith(result.error);
    } else {
      this.main = result.value;
    }
  }

  /**
   * The guarded section: runs guest code, drains the job queue and reads how the module
   * settled (describing a rejection runs guest code too), all while busy and under the CPU
   * limit. A host-side failure out of the engine poisons it. Then the cell ends, if it did.
   */
  private enter(run: () => void): void {
    // Nothing runs in a poisoned engine, not even a cell that was fine: its worker is retiring.
    if (this.finished || this.hooks.poisoned()) return;
    this.sliceStart = performance.now();
    this.running = true;
    this.events.busy(true);
    try {
      run();
      if (!this.ending) this.drainJobs();
      if (!this.ending) this.readSettlement();
    } catch (error) {
      this.ending = { kind: "poisoned", errorText: `exec runtime error: ${String(error)}` };
    } finally {
      this.events.busy(false);
      this.running = false;
      this.cpuUsedMs += performance.now() - this.sliceStart;
    }
    if (this.ending) this.finish(this.ending);
  }

  /** Runs promise jobs until none is left (jobs that jobs enqueue included), or one throws. */
  private drainJobs(): void {
    const result = this.runtime.executePendingJobs(-1);
    if (result.error) this.failWith(result.error);
  }

  /** Ends the cell if its module has settled: fulfilled, or rejected with a described value. */
  private readSettlement(): void {
    if (!this.main) return;
    const state = this.vm.getPromiseState(this.main);
    if (state.type === "pending") return;
    if (state.type === "fulfilled") {
      if (state.value !== this.main) state.value.dispose();
      this.end({ kind: "succeeded" });
    } else {
      this.failWith(state.error);
    }
  }

  /** Records a guest exception as the cell's failure (unless it already ended), disposing it. */
  private failWith(error: QuickJSHandle): void {
    // Describing the value may run guest code: only inside the guarded section.
    if (!this.running) throw new Error("a thrown value was described outside the guarded section");
    if (!this.ending) {
      const errorText = this.errors.of(error, this.limits);
      // Describing it may have ended the cell (its CPU limit, an exit()): that ending stands.
      this.end({ kind: "failed", errorText });
    }
    error.dispose();
  }

  private end(ending: Ending): void {
    if (!this.ending) this.ending = ending;
  }

  private shouldInterrupt(): boolean {
    this.hooks.pollControl();
    if (this.ending) return true;
    if (performance.now() - this.sliceStart + this.cpuUsedMs > this.limits.cpuTimeMs) {
      this.end({ kind: "failed", errorText: LimitTexts.cpu(this.limits.cpuTimeMs) });
      return true;
    }
    return false;
  }

  private finish(ending: Ending): void {
    if (this.finished) return;
    this.finished = true;
    // The answer goes first: freeing the runtime (a third of a trivial cell's time in the
    // engine) is not the cell's time. Its timers go before, so no count outlives the answer.
    this.timers.disposeAll();
    const terminated = ending.kind === "terminated";
    this.events.done({
      ...(ending.kind === "failed" || ending.kind === "poisoned" ? { errorText: ending.errorText } : {}),
      terminated,
      writes: terminated || ending.kind === "poisoned" ? [] : (this.stored?.writes() ?? []),
    });
    // A poisoned engine is not touched again: its worker is retired, memory and all.
    if (ending.kind === "poisoned") {
      this.events.poisoned(ending.errorText);
      return;
    }
    try {
      for (const pending of this.calls.values()) pending.deferred.dispose();
      this.strings[Symbol.dispose]();
      this.describe.dispose();
      this.installTools.dispose();
      this.main?.dispose();
      this.vm.dispose();
      this.runtime.dispose();
    } catch (error) {
      this.events.poisoned(`dispose failed: ${String(error)}`);
    }
    this.calls.clear();
  }

  // ---- the host side of the prelude's primitives (host-primitives.ts) ----

  emit(item: ContentItem): string | undefined {
    if (this.isEnding()) return ENDING_REFUSAL;
    this.events.item(item);
    return undefined;
  }

  notify(text: string): string | undefined {
    if (this.isEnding()) return ENDING_REFUSAL;
    this.events.notify(text);
    return undefined;
  }

  store(key: string, json: string): string | undefined {
    // After exit() (whose throw the cell may have caught), as output, writes are dropped.
    if (this.isEnding()) return ENDING_REFUSAL;
    return this.stored?.store(key, json);
  }

  /** Whether the cell is ending, a stop the main thread just sent included. */
  private isEnding(): boolean {
    this.hooks.pollControl();
    return this.ending !== undefined;
  }

  load(key: string): string | undefined {
    return this.stored?.load(key);
  }

  yieldControl(): void {
    if (!this.ending) this.events.yieldControl();
  }

  exit(): void {
    this.end({ kind: "succeeded" });
  }

  callTool(tool: number, inputJson: string | undefined): QuickJSHandle {
    const deferred = this.vm.newPromise();
    const bytes = requestSize(inputJson);
    const refusal = this.toolCallRefusal(inputJson, bytes);
    if (refusal === undefined) {
      const call = this.nextCall++;
      this.calls.set(call, { deferred, bytes });
      this.pendingInputBytes += bytes;
      this.events.toolCall(call, tool, inputJson);
    } else {
      const text = this.strings.create(refusal);
      deferred.reject(text.error ?? text.value);
      text.dispose();
    }
    return deferred.handle;
  }

  /** Why a tool call is refused at once, if it is. */
  private toolCallRefusal(inputJson: string | undefined, bytes: number): string | undefined {
    if (this.ending) return ENDING_REFUSAL;
    if (this.calls.size >= this.limits.pendingToolCalls)
      return LimitTexts.pendingToolCalls(this.limits.pendingToolCalls);
    if (inputJson !== undefined) {
      if (inputJson.length > this.limits.payloadBytes)
        return LimitTexts.payload("tool input", this.limits.payloadBytes);
      if (jsonDepthExceeds(inputJson, MAX_VALUE_DEPTH)) return LimitTexts.depth("tool input", MAX_VALUE_DEPTH);
    }
    if (this.pendingInputBytes + bytes > this.limits.pendingInputBytes)
      return LimitTexts.pendingInputs(this.limits.pendingInputBytes);
    return undefined;
  }

  setTimer(callback: QuickJSHandle, delayMs: number): number | string {
    if (this.timers.size >= this.limits.timers) return LimitTexts.timers(this.limits.timers);
    return this.timers.set(callback, delayMs);
  }

  clearTimer(id: number): void {
    this.timers.clear(id);
  }

  private fireTimer(callback: QuickJSHandle): void {
    this.enter(() => {
      const result = this.vm.callFunction(callback, this.vm.undefined);
      callback.dispose();
      if (result.error) this.failWith(result.error);
      else result.value.dispose();
    });
  }
}
