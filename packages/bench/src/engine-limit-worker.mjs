// One thread of the engine's own limit: QuickJS loaded as an engine worker loads it, then, on
// each request, as many fresh engines (runtime, context and prelude) built, given an empty cell
// and freed as fit in the time asked for.
import { setFlagsFromString } from "node:v8";
import { parentPort } from "node:worker_threads";
import { DEFAULT_CELL_LIMITS } from "@codemode/protocol/defaults";
import variant from "@jitl/quickjs-wasmfile-release-sync";
import { newQuickJSWASMModuleFromVariant, newVariant } from "quickjs-emscripten-core";

// The daemon's own engine class, from its build (it is internal to the daemon): the baseline
// builds exactly what a cell gets.
const daemonDist = new URL("./dist/", import.meta.resolve("@codemode/daemon/package.json"));
const { GuestCell, UNASSIGNED } = await import(new URL("engine/guest-cell.js", daemonDist).href);

// As the engine worker: the same tiering budget and pre-grown memory (engine-worker.ts).
setFlagsFromString("--wasm-tiering-budget=100000000");
const wasmMemory = new WebAssembly.Memory({ initial: 4096, maximum: 32768 });
const module = await newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmMemory }));

const hooks = { pollControl: () => {}, poisoned: () => false };
const events = {
  ...UNASSIGNED,
  poisoned: (reason) => {
    throw new Error(`engine poisoned: ${reason}`);
  },
};
const counter = () => new SharedArrayBuffer(8);
const emptyCell = {
  type: "start",
  cell: 0,
  source: "",
  tools: [],
  stored: [],
  accounts: {
    budget: counter(),
    budgetBytes: Number.MAX_SAFE_INTEGER,
    session: counter(),
    growth: counter(),
    charged: counter(),
  },
  limits: DEFAULT_CELL_LIMITS,
};

parentPort.on("message", (ms) => {
  const end = performance.now() + ms;
  let engines = 0;
  while (performance.now() < end) {
    new GuestCell(module, hooks).start(emptyCell, events);
    engines++;
  }
  parentPort.postMessage(engines);
});
parentPort.postMessage(0);
