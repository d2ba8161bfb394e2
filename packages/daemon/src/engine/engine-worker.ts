// Entry of an engine worker thread: one QuickJS module (sync build, pre-grown memory) hosting
// many cells, each in its own runtime. Commands arrive on a MessagePort; a busy interrupt
// handler drains that port synchronously when the main thread bumps the shared control slot,
// so a terminate reaches a cell spinning in `while (true) {}`.
import { setFlagsFromString } from "node:v8";
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import * as releaseSync from "@jitl/quickjs-wasmfile-release-sync";
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSSyncVariant } from "quickjs-emscripten-core";
import { type CellEvents, type EngineHooks, GuestCell, type ToolSettlement } from "./guest-cell.js";
import { Busy, type FromWorker, Shared, type ToWorker, type WorkerInit } from "./worker-protocol.js";

const WASM_PAGE = 64 * 1024;
/** Pre-grown so that growth (which detaches cached heap views, quickjs-emscripten #240) is rare. */
const INITIAL_MEMORY = (256 * 1024 * 1024) / WASM_PAGE;
const MAXIMUM_MEMORY = (2048 * 1024 * 1024) / WASM_PAGE;

const { debug, shared, busy, port } = workerData as WorkerInit;
const flags = new Int32Array(shared);
const busyState = new Float64Array(busy);
const out = parentPort;
if (!out) throw new Error("engine-worker must run in a worker thread");

// The package's typings describe its CommonJS shape; as an ES module its default is the variant.
const syncVariant = (debug
  ? (await import("@jitl/quickjs-wasmfile-debug-sync")).default
  : releaseSync.default) as unknown as QuickJSSyncVariant;
/**
 * How much WebAssembly code a function runs before V8 recompiles it with its optimizing
 * compiler (V8's default is 1.8 million bytes executed). At the default, building the first
 * engines of a worker is enough to start that work, which stalls the worker for about 50 ms
 * and so delays the first cell of every new worker. At this budget only guest code that
 * computes for a while gets there, and it reaches full speed after tens of milliseconds.
 * A process-wide V8 setting; it must be set before the module is compiled.
 */
setFlagsFromString("--wasm-tiering-budget=100000000");

const wasmMemory = new WebAssembly.Memory({ initial: INITIAL_MEMORY, maximum: MAXIMUM_MEMORY });
const module = await newQuickJSWASMModuleFromVariant(newVariant(syncVariant, { wasmMemory }));

const cells = new Map<number, GuestCell>();
/**
 * One engine built ahead of the next cell, when the worker is idle: a cell then starts
 * without paying for its runtime, context and prelude.
 */
let spare: GuestCell | undefined;
let spareScheduled = false;
/** Commands drained by the interrupt handler, handled once the running cell returns. */
const deferred: ToWorker[] = [];
/**
 * Stops drained by the interrupt handler and not yet handled. A cell that starts from the
 * deferred queue while its own stop waits behind it would otherwise spin with no one to stop it.
 */
const drainedStops = new Map<number, string | undefined>();
let seenControl = 0;
/** Set once the engine may be corrupted: nothing runs in it again, and the worker waits to be retired. */
let poisoned = false;

const post = (message: FromWorker) => out.postMessage(message);
const hooks: EngineHooks = { pollControl, poisoned: () => poisoned };

function eventsFor(cell: number): CellEvents {
  return {
    busy: (running) => {
      busyState[Busy.cell] = cell;
      busyState[Busy.since] = running ? Date.now() : 0;
    },
    item: (item) => post({ type: "item", cell, item }),
    toolCall: (call, tool, input) =>
      post(
        input === undefined ? { type: "toolCall", cell, call, tool } : { type: "toolCall", cell, call, tool, input },
      ),
    notify: (text) => post({ type: "notify", cell, text }),
    yieldControl: () => post({ type: "yield", cell }),
    timersChanged: (delta) => Atomics.add(flags, Shared.timers, delta),
    done: (result) => {
      cells.delete(cell);
      post({ type: "done", cell, ...result });
    },
    poisoned: (reason) => {
      poisoned = true;
      post({ type: "poisoned", reason });
    },
  };
}

function pollControl(): void {
  const current = Atomics.load(flags, Shared.control);
  if (current === seenControl) return;
  seenControl = current;
  for (let received = receiveMessageOnPort(port); received; received = receiveMessageOnPort(port)) {
    const message = received.message as ToWorker;
    // Only mark here: finishing a cell means disposing a runtime, never done mid-call.
    if (message.type === "stop") {
      drainedStops.set(message.cell, message.errorText);
      cells.get(message.cell)?.requestStop(message.errorText);
    }
    deferred.push(message);
  }
  if (deferred.length > 0) queueMicrotask(flushDeferred);
}

function scheduleSpare(): void {
  if (spare || spareScheduled || poisoned) return;
  spareScheduled = true;
  setImmediate(() => {
    spareScheduled = false;
    if (!poisoned) spare ??= new GuestCell(module, hooks);
  });
}

function flushDeferred(): void {
  for (let message = deferred.shift(); message; message = deferred.shift()) handle(message);
}

function handle(message: ToWorker): void {
  if (poisoned) return;
  switch (message.type) {
    case "start": {
      const cell = spare ?? new GuestCell(module, hooks);
      spare = undefined;
      cells.set(message.cell, cell);
      if (drainedStops.has(message.cell)) cell.requestStop(drainedStops.get(message.cell));
      cell.start(message, eventsFor(message.cell));
      scheduleSpare();
      return;
    }
    case "toolResult":
      cells.get(message.cell)?.settleTools([{ call: message.call, json: message.json }]);
      return;
    case "toolError":
      cells.get(message.cell)?.settleTools([{ call: message.call, error: message.error }]);
      return;
    case "stop":
      drainedStops.delete(message.cell);
      cells.get(message.cell)?.stop(message.errorText);
      return;
  }
}

/**
 * Handles messages in order, but tool answers that arrived together settle in one entry into
 * each cell's guest (one job drain instead of one per answer, e.g. for `Promise.all`).
 */
function handleAll(messages: ToWorker[]): void {
  if (poisoned) return;
  let answers = new Map<number, ToolSettlement[]>();
  const settle = () => {
    if (poisoned) return;
    for (const [cell, settlements] of answers) cells.get(cell)?.settleTools(settlements);
    answers = new Map();
  };
  for (const message of messages) {
    if (message.type !== "toolResult" && message.type !== "toolError") {
      settle();
      handle(message);
      continue;
    }
    const list = answers.get(message.cell) ?? [];
    list.push(
      message.type === "toolResult"
        ? { call: message.call, json: message.json }
        : { call: message.call, error: message.error },
    );
    answers.set(message.cell, list);
  }
  settle();
}

port.on("message", (message: ToWorker) => {
  flushDeferred();
  const waiting = [message];
  for (let next = receiveMessageOnPort(port); next; next = receiveMessageOnPort(port))
    waiting.push(next.message as ToWorker);
  // A stop that arrived with its cell's start is known before the start: the cell then ends
  // at once, instead of spinning with its stop queued behind it.
  for (const received of waiting) if (received.type === "stop") drainedStops.set(received.cell, received.errorText);
  handleAll(waiting);
});

spare = new GuestCell(module, hooks);
out.postMessage({ type: "ready" } satisfies FromWorker);
