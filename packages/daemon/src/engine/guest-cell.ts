// One cell inside an engine worker: its own QuickJS runtime and context, its timers, its
// pending tool calls and its stored-value view. Everything it creates is disposed in `finish`.
// Types only: the protocol package's values pull in zod, which a worker need not load.
import type { CellLimits, ContentItem, ImageDetail } from "@codemode/protocol";
import type {
  QuickJSContext,
  QuickJSDeferredPromise,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from "quickjs-emscripten-core";
import { LimitTexts } from "../limit-texts.js";
import { GuestTimers } from "./guest-timers.js";
import { PRELUDE_SOURCE } from "./prelude.js";
import type { StartCell } from "./worker-protocol.js";

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
  poisoned(reason: string): void;
}

/** The host's answer to one tool call: its JSON result, or the text the JS promise rejects with. */
export type ToolSettlement = { call: number; json: string; error?: undefined } | { call: number; error: string };

type Ending = { kind: "exited" } | { kind: "failed"; errorText: string } | { kind: "terminated" };

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
};

/** What a stored value counts for against `storedBytes`. */
const storedSize = (key: string, json: string) => key.length + json.length;

/** Starts every resolved import name; the cell's own module, `exec_main.mjs`, lacks it. */
const IMPORT_PREFIX = "import:";

/** Room a heap must still have for a thrown `null` not to be read as an out-of-memory. */
const OOM_PROBE = "x".repeat(64 * 1024);

/** The events of an engine built ahead of time, until it is given to a cell: none. */
const UNASSIGNED: CellEvents = {
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
export class GuestCell {
  private readonly runtime: QuickJSRuntime;
  private readonly vm: QuickJSContext;
  private limits = UNLIMITED;
  private stored = new Map<string, string>();
  /** What `stored` holds, in `storedSize` units. */
  private storedTotal = 0;
  private events = UNASSIGNED;
  private readonly writes = new Map<string, string>();
  private readonly calls = new Map<number, QuickJSDeferredPromise>();
  private readonly timers = new GuestTimers(
    (delta) => this.events.timersChanged(delta),
    (callback) => this.fireTimer(callback),
  );
  private readonly installTools: QuickJSHandle;
  private readonly describe: QuickJSHandle;
  private readonly parseJson: QuickJSHandle;
  private main: QuickJSHandle | undefined;
  private ending: Ending | undefined;
  private finished = false;
  private running = false;
  private nextCall = 1;
  private cpuUsedMs = 0;
  private sliceStart = 0;

  constructor(
    module: QuickJSWASMModule,
    /** Polled by the interrupt handler so a terminate reaches a cell stuck in a loop. */
    private readonly pollControl: () => void,
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
    const prelude = vm.unwrapResult(vm.evalCode(PRELUDE_SOURCE, "prelude.js", { type: "global", strict: true }));
    const host = this.hostObject();
    const exports = vm.unwrapResult(vm.callFunction(prelude, vm.undefined, host));
    this.installTools = vm.getProp(exports, "installTools");
    this.describe = vm.getProp(exports, "describeError");
    this.parseJson = vm.getProp(exports, "parseJson");
    for (const handle of [prelude, host, exports]) handle.dispose();
  }

  /** Gives this engine to a cell: its limits, stored values and tools, then runs its module. */
  start(start: StartCell, events: CellEvents): void {
    this.limits = start.limits;
    this.stored = new Map(start.stored);
    for (const [key, json] of start.stored) this.storedTotal += storedSize(key, json);
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
    if (!this.running) this.checkSettled();
  }

  /** Marks the cell as ending without finishing it; safe from inside the interrupt handler. */
  requestStop(errorText: string | undefined): void {
    this.end(errorText === undefined ? { kind: "terminated" } : { kind: "failed", errorText });
  }

  /** Settles tool calls with the host's answers, all in one entry into the guest. */
  settleTools(settlements: ToolSettlement[]): void {
    const ready: [QuickJSDeferredPromise, ToolSettlement][] = [];
    for (const settlement of settlements) {
      const deferred = this.calls.get(settlement.call);
      if (!deferred) continue;
      this.calls.delete(settlement.call);
      ready.push([deferred, settlement]);
    }
    if (ready.length === 0) return;
    this.enter(() => {
      for (const [deferred, settlement] of ready) {
        if (settlement.error !== undefined) {
          this.withString(settlement.error, deferred.reject);
        } else if (settlement.json.length > this.limits.payloadBytes) {
          this.withString(LimitTexts.payload("tool result", this.limits.payloadBytes), deferred.reject);
        } else {
          this.withString(settlement.json, (json) => {
            const parsed = this.vm.callFunction(this.parseJson, this.vm.undefined, json);
            if (parsed.error) deferred.reject(parsed.error);
            else deferred.resolve(parsed.value);
            (parsed.error ?? parsed.value).dispose();
          });
        }
        deferred.dispose();
      }
    });
  }

  private run(start: StartCell): void {
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

  /** Runs guest code, accounts its CPU time, drains the job queue, then checks for the end. */
  private enter(run: () => void): void {
    if (this.finished) return;
    this.sliceStart = performance.now();
    this.running = true;
    this.events.busy(true);
    try {
      run();
      if (!this.ending) this.drainJobs();
    } catch (error) {
      // A host-side failure while running guest code (e.g. the engine ran out of memory).
      if (!this.ending) this.end({ kind: "failed", errorText: `exec runtime error: ${String(error)}` });
    } finally {
      this.events.busy(false);
      this.running = false;
      this.cpuUsedMs += performance.now() - this.sliceStart;
    }
    this.checkSettled();
  }

  /** Runs promise jobs until none is left (jobs that jobs enqueue included), or one throws. */
  private drainJobs(): void {
    const result = this.runtime.executePendingJobs(-1);
    if (result.error) this.failWith(result.error);
  }

  private checkSettled(): void {
    if (this.finished) return;
    if (this.ending) {
      this.finish(this.ending);
      return;
    }
    if (!this.main) return;
    const state = this.vm.getPromiseState(this.main);
    if (state.type === "pending") return;
    if (state.type === "fulfilled") {
      if (state.value !== this.main) state.value.dispose();
      this.finish(undefined);
    } else {
      this.failWith(state.error);
      this.finish(this.ending);
    }
  }

  /** Records a guest exception as the cell's failure (unless it already ended), disposing it. */
  private failWith(error: QuickJSHandle): void {
    if (!this.ending) {
      const text = this.errorText(error);
      this.end({ kind: "failed", errorText: this.isOutOfMemory(text) ? LimitTexts.heap(this.limits.heapBytes) : text });
    }
    error.dispose();
  }

  /**
   * QuickJS reports an exhausted heap as an InternalError, or, when even that error cannot be
   * allocated, by throwing `null`. A `null` is told apart from a cell's own `throw null` by
   * whether the heap still has room for a small string.
   */
  private isOutOfMemory(text: string): boolean {
    if (text.startsWith("InternalError: out of memory")) return true;
    if (text !== "null") return false;
    const probe = this.vm.newString(OOM_PROBE);
    const allocated = this.vm.typeof(probe) === "string";
    probe.dispose();
    return !allocated;
  }

  private errorText(error: QuickJSHandle): string {
    const described = this.vm.callFunction(this.describe, this.vm.undefined, error);
    if (described.error) {
      described.error.dispose();
      return "uncaught exception";
    }
    const text = this.vm.getString(described.value);
    described.value.dispose();
    return text;
  }

  private end(ending: Ending): void {
    if (!this.ending) this.ending = ending;
  }

  private shouldInterrupt(): boolean {
    this.pollControl();
    if (this.ending) return true;
    if (performance.now() - this.sliceStart + this.cpuUsedMs > this.limits.cpuTimeMs) {
      this.end({ kind: "failed", errorText: LimitTexts.cpu(this.limits.cpuTimeMs) });
      return true;
    }
    return false;
  }

  private finish(ending: Ending | undefined): void {
    if (this.finished) return;
    this.finished = true;
    // The answer goes first: freeing the runtime (a third of a trivial cell's time in the
    // engine) is not the cell's time. Its timers go before, so no count outlives the answer.
    this.dispose(() => this.timers.disposeAll());
    const terminated = ending?.kind === "terminated";
    this.events.done({
      ...(ending?.kind === "failed" ? { errorText: ending.errorText } : {}),
      terminated,
      writes: terminated ? [] : [...this.writes],
    });
    this.dispose(() => {
      for (const deferred of this.calls.values()) deferred.dispose();
      this.describe.dispose();
      this.parseJson.dispose();
      this.installTools.dispose();
      this.main?.dispose();
      this.vm.dispose();
      this.runtime.dispose();
    });
    this.calls.clear();
  }

  /** Frees QuickJS resources; a failure may have corrupted the module, so the worker retires. */
  private dispose(free: () => void): void {
    try {
      free();
    } catch (error) {
      this.events.poisoned(`dispose failed: ${String(error)}`);
    }
  }

  private withString(text: string, use: (handle: QuickJSHandle) => void): void {
    const handle = this.vm.newString(text);
    use(handle);
    handle.dispose();
  }

  // ---- host primitives handed to the prelude ----

  private hostObject(): QuickJSHandle {
    const vm = this.vm;
    const host = vm.newObject();
    const define = (name: string, fn: (...args: QuickJSHandle[]) => QuickJSHandle | undefined) => {
      const handle = vm.newFunction(name, fn);
      vm.setProp(host, name, handle);
      handle.dispose();
    };
    const str = (handle: QuickJSHandle | undefined) => (handle ? vm.getString(handle) : "");
    const returnError = (text: string | undefined) => (text === undefined ? undefined : vm.newString(text));

    define("emitText", (text) => returnError(this.emit({ type: "text", text: str(text) })));
    define("emitImage", (url, detail) =>
      returnError(this.emit({ type: "image", imageUrl: str(url), detail: str(detail) as ImageDetail })),
    );
    define("notify", (text) => returnError(this.notify(str(text))));
    define("store", (key, json) => returnError(this.store(str(key), str(json))));
    define("load", (key) => {
      const json = this.stored.get(str(key));
      return json === undefined ? undefined : vm.newString(json);
    });
    define("yieldControl", () => {
      if (!this.ending) this.events.yieldControl();
      return undefined;
    });
    define("exit", () => {
      this.end({ kind: "exited" });
      return undefined;
    });
    define("callTool", (tool, input) => this.callTool(tool, input));
    define("setTimeout", (callback, delay) => this.setTimer(callback, delay));
    define("clearTimeout", (id) => {
      if (id) this.timers.clear(vm.getNumber(id));
      return undefined;
    });
    return host;
  }

  private emit(item: ContentItem): string | undefined {
    if (this.ending) return undefined;
    const size = item.type === "text" ? item.text.length : item.imageUrl.length;
    if (size > this.limits.payloadBytes) return LimitTexts.payload(item.type, this.limits.payloadBytes);
    this.events.item(item);
    return undefined;
  }

  private notify(text: string): string | undefined {
    if (this.ending) return undefined;
    if (text.length > this.limits.notifyBytes) return LimitTexts.payload("notify", this.limits.notifyBytes);
    this.events.notify(text);
    return undefined;
  }

  private store(key: string, json: string): string | undefined {
    // After exit() (whose throw the cell may have caught), as output, writes are dropped.
    if (this.ending) return undefined;
    if (json.length > this.limits.payloadBytes) return LimitTexts.payload("stored value", this.limits.payloadBytes);
    const previous = this.stored.get(key);
    const total = this.storedTotal - (previous === undefined ? 0 : storedSize(key, previous)) + storedSize(key, json);
    // Only growth is refused: a session already over (seeded, or the limit lowered) can shrink.
    if (total > this.limits.storedBytes && total > this.storedTotal) return LimitTexts.stored(this.limits.storedBytes);
    this.storedTotal = total;
    this.stored.set(key, json);
    this.writes.set(key, json);
    return undefined;
  }

  private callTool(tool: QuickJSHandle | undefined, input: QuickJSHandle | undefined): QuickJSHandle {
    const vm = this.vm;
    const deferred = vm.newPromise();
    const inputJson = input && vm.typeof(input) === "string" ? vm.getString(input) : undefined;
    const refusal = this.toolCallRefusal(inputJson);
    if (refusal === undefined) {
      const call = this.nextCall++;
      this.calls.set(call, deferred);
      this.events.toolCall(call, tool ? vm.getNumber(tool) : -1, inputJson);
    } else {
      this.withString(refusal, deferred.reject);
    }
    return deferred.handle;
  }

  /** Why a tool call is refused at once, if it is. */
  private toolCallRefusal(inputJson: string | undefined): string | undefined {
    // No guest code runs once the cell is ending: the promise is settled only to release it.
    if (this.ending) return "";
    if (this.calls.size >= this.limits.pendingToolCalls)
      return LimitTexts.pendingToolCalls(this.limits.pendingToolCalls);
    if (inputJson !== undefined && inputJson.length > this.limits.payloadBytes)
      return LimitTexts.payload("tool input", this.limits.payloadBytes);
    return undefined;
  }

  private setTimer(callback: QuickJSHandle | undefined, delay: QuickJSHandle | undefined): QuickJSHandle {
    const vm = this.vm;
    if (!callback) return vm.newString("setTimeout expects a function callback");
    if (this.timers.size >= this.limits.timers) return vm.newString(LimitTexts.timers(this.limits.timers));
    return vm.newNumber(this.timers.set(callback, delay ? vm.getNumber(delay) : 0));
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
