// SPEC §6 over the real daemon: a corpus of hostile cells. Each runs in its own session of one
// shared daemon while a healthy session runs alongside. After each one: it ended within a
// bound with an errorText naming the limit or the failure (or was terminated by the test when
// it only yields), and the healthy session still answers a cell with a tool call promptly.
import type { JsonValue, ToolDefinitionInput } from "@codemode/protocol";
import { describe, expect, it } from "vitest";
import { eventually, type Harness, texts } from "./harness.js";
import {
  ALL_TEST_TOOLS,
  CPU_BOUND_MS,
  CPU_ERROR,
  CPU_OR_HEAP,
  closeAfterTest,
  corpusDaemon,
  DEFAULT_OUTPUT_BYTES,
  describeAtReleaseSpeed,
  expectFailure,
  expectHealthy,
  expectSuccess,
  FAST_MS,
  HEAP_ERROR,
  HOSTILE_JSON,
  hostile,
  LIMITS,
  MiB,
  OUTPUT_ERROR,
  outputSize,
  report,
  TEST_MS,
  TIMERS_ERROR,
  TOOL_CALLS_ERROR,
  useHostileCorpus,
  WATCHDOG_BOUND_MS,
} from "./hostile-corpus.js";

useHostileCorpus();

describeAtReleaseSpeed("runaway JavaScript ends at the CPU limit", () => {
  it("a synchronous infinite loop ends with the CPU-limit error", { timeout: TEST_MS }, async () => {
    expectFailure(await hostile(`while (true) {}`), CPU_ERROR, CPU_BOUND_MS);
  });

  it("an infinite loop inside a promise job ends with the CPU-limit error", { timeout: TEST_MS }, async () => {
    expectFailure(
      await hostile(`Promise.resolve().then(() => { while (true) {} }); await tools.hang();`),
      CPU_ERROR,
      CPU_BOUND_MS,
    );
  });

  it("an infinite loop inside a timer callback ends with the CPU-limit error", { timeout: TEST_MS }, async () => {
    expectFailure(
      await hostile(`setTimeout(() => { while (true) {} }, 10); await tools.hang();`),
      CPU_ERROR,
      CPU_BOUND_MS,
    );
  });

  it("an endless flood of promise jobs ends with the CPU-limit error", { timeout: TEST_MS }, async () => {
    const run = await hostile(`const f = () => { Promise.resolve().then(f); }; f(); await tools.hang();`);
    expectFailure(run, CPU_ERROR, CPU_BOUND_MS);
  });

  it("an endless flood of promise jobs with nothing else pending ends with the CPU-limit error", {
    timeout: TEST_MS,
  }, async () => {
    const run = await hostile(`const f = () => { Promise.resolve().then(f); }; f(); await new Promise(() => {});`);
    expectFailure(run, CPU_ERROR, CPU_BOUND_MS);
  });

  it("a promise chain that outgrows the heap rejects its own promise; the cell goes on and is terminated", {
    timeout: TEST_MS,
  }, async () => {
    // The out-of-memory is thrown inside a promise job: as in any JS engine it rejects that
    // job's promise, which nothing observes here; the chain's memory is released.
    // A small heap and a CPU limit far past the yield: the chain outgrows the heap long before.
    const run = await hostile(`const f = () => Promise.resolve().then(f); f(); await tools.hang();`, {
      limits: { heapBytes: 8 * MiB, cpuTimeMs: 60_000 },
      yielding: true,
      yieldTimeMs: CPU_BOUND_MS,
    });
    expect(run.outcome.status).toBe("terminated");
  });

  it("catastrophic regex backtracking ends with the CPU-limit error", { timeout: TEST_MS }, async () => {
    expectFailure(await hostile(`/(a+)+$/.test("a".repeat(40) + "b")`), CPU_ERROR, WATCHDOG_BOUND_MS);
  });
});

describeAtReleaseSpeed("the stack is bounded", () => {
  it("deep recursion ends with a stack overflow error", { timeout: TEST_MS }, async () => {
    expectFailure(
      await hostile(`function f(n) { return f(n + 1) + 1; } f(0);`),
      /^(InternalError|RangeError): .*stack overflow/,
      FAST_MS,
    );
  });

  it("a value nested 100,000 deep given to text() fails with a stack overflow", { timeout: TEST_MS }, async () => {
    expectFailure(
      await hostile(`let o = {}; for (let i = 0; i < 1e5; i++) o = { o }; text(o);`),
      /^(InternalError|RangeError): .*stack overflow/,
      FAST_MS,
    );
  });

  it("a value nested 100,000 deep given to store() fails with a stack overflow", { timeout: TEST_MS }, async () => {
    expectFailure(
      await hostile(`let o = []; for (let i = 0; i < 1e5; i++) o = [o]; store("deep", o);`),
      /^(InternalError|RangeError): .*stack overflow/,
      FAST_MS,
    );
  });
});

describeAtReleaseSpeed("memory is bounded by the heap limit", () => {
  it("an array push loop ends with the memory-limit error", { timeout: TEST_MS }, async () => {
    expectFailure(await hostile(`const a = []; for (;;) a.push(a.length);`), HEAP_ERROR, FAST_MS);
  });

  it("an object-graph bomb ends with the memory-limit error", { timeout: TEST_MS }, async () => {
    expectFailure(await hostile(`let o = {}; for (;;) o = { next: o, pad: [1, 2, 3] };`), HEAP_ERROR, FAST_MS);
  });

  it('"x".repeat(2 ** 28) ends with the memory-limit error', { timeout: TEST_MS }, async () => {
    expectFailure(await hostile(`const s = "x".repeat(2 ** 28); text(s.length);`), HEAP_ERROR, FAST_MS);
  });

  it("doubling string concatenation ends with a memory or string-length error", { timeout: TEST_MS }, async () => {
    expectFailure(
      await hostile(`let s = "x"; for (;;) { s += s; text(s.length); }`),
      /^(exec cell exceeded its memory limit \(heapBytes: 32 MiB\)|(InternalError|RangeError): .*(string too long|invalid string length))/,
      FAST_MS,
    );
  });

  it("filling a 1e8-element array ends with the memory-limit error", { timeout: TEST_MS }, async () => {
    expectFailure(await hostile(`new Array(1e8).fill(0);`), HEAP_ERROR, FAST_MS);
  });

  it("Array.from with 2 ** 31 elements ends with the memory-limit error", { timeout: TEST_MS }, async () => {
    expectFailure(await hostile(`Array.from({ length: 2 ** 31 }, (_, i) => i);`), HEAP_ERROR, FAST_MS);
  });

  it("millions of pending promises end with the CPU or memory limit error", { timeout: TEST_MS }, async () => {
    expectFailure(
      await hostile(`const all = []; for (let i = 0; i < 5e6; i++) all.push(new Promise(() => {}));`),
      CPU_OR_HEAP,
      CPU_BOUND_MS,
    );
  });

  it("an unbounded flood of promise jobs ends with the CPU or memory limit error", { timeout: TEST_MS }, async () => {
    expectFailure(await hostile(`for (;;) Promise.resolve().then(() => {});`), CPU_OR_HEAP, CPU_BOUND_MS);
  });
});

describeAtReleaseSpeed("floods are bounded", () => {
  it("an output flood ends at the undelivered output limit and holds no more than it", {
    timeout: TEST_MS,
  }, async () => {
    const run = await hostile(`for (;;) text("x".repeat(1e5));`);
    expectFailure(run, OUTPUT_ERROR, FAST_MS);
    // One item may cross the limit; the daemon must not keep accumulating past it.
    const held = outputSize(run.outcome);
    expect(held, `undelivered output held: ${held} bytes in ${run.outcome.items.length} items`).toBeLessThanOrEqual(
      DEFAULT_OUTPUT_BYTES + 1e5,
    );
  });

  it("a notify flood ends at the undelivered output limit and does not stall other sessions", {
    timeout: TEST_MS,
  }, async () => {
    // At most a few notifications of one cell are in flight; the rest wait in the daemon,
    // counted as undelivered output, and are all sent before the cell's answer.
    const before = corpusDaemon().notifies.length;
    const run = await hostile(`for (let i = 0; ; i++) notify(i + ":" + "x".repeat(1000));`, {
      limits: { outputBytes: 4 * MiB },
    });
    expectFailure(run, "exec cell exceeded its undelivered output limit (outputBytes: 4 MiB)", CPU_BOUND_MS);
    const sent = corpusDaemon()
      .notifies.slice(before)
      .map((notification) => notification.text);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.map((text) => Number(text.split(":")[0]))).toEqual(sent.map((_, i) => i));
  });

  it("a timer flood ends at the live-timer limit", { timeout: TEST_MS }, async () => {
    expectFailure(await hostile(`for (let i = 0; i < 2000; i++) setTimeout(() => {}, 1e6);`), TIMERS_ERROR, FAST_MS);
  });

  it("timers that re-arm themselves twice end at the live-timer limit", { timeout: TEST_MS }, async () => {
    expectFailure(
      await hostile(`const arm = () => setTimeout(() => { arm(); arm(); }, 0); arm(); await tools.hang();`),
      TIMERS_ERROR,
      FAST_MS,
    );
  });

  it("a cell that re-arms a timer forever is terminated and leaves no timer behind", { timeout: TEST_MS }, async () => {
    const run = await hostile(`const tick = () => setTimeout(tick, 1); tick(); await new Promise(() => {});`, {
      yielding: true,
    });
    expect(run.outcome.status).toBe("terminated");
    await eventually(async () => (await corpusDaemon().stats()).timers === 0);
  });

  it("a tool-call flood ends at the pending tool call limit; the host sees at most the limit, all cancelled", {
    timeout: TEST_MS,
  }, async () => {
    const run = await hostile(
      `const all = []; for (let i = 0; i < 1500; i++) all.push(tools.hang()); await Promise.all(all);`,
    );
    expectFailure(run, TOOL_CALLS_ERROR, FAST_MS);
    const calls = corpusDaemon().calls.filter((call) => call.params.sessionId === run.sessionId);
    expect(calls.length).toBeLessThanOrEqual(1_000);
    await eventually(() => calls.every((call) => call.cancelled && call.settled));
  });
});

describe("exit() in odd places ends the cell successfully at once", () => {
  const cases: [string, string, string[]][] = [
    ["inside a getter", `const o = { get x() { exit(); return 1; } }; text("a"); o.x; text("b");`, ["a"]],
    ["inside a finally", `try { text("a"); exit(); } finally { text("b"); }`, ["a"]],
    [
      "in a microtask",
      `Promise.resolve().then(() => exit()); text("a"); await null; text("b"); await tools.hang();`,
      ["a"],
    ],
    [
      "in a microtask, followed by a tool call",
      `Promise.resolve().then(() => exit()); text("a"); await null; tools.echo(1); text("b");`,
      ["a"],
    ],
    ["in a timer callback", `setTimeout(() => exit(), 10); text("a"); await tools.hang(); text("b");`, ["a"]],
    ["swallowed by a catch, then a loop", `text("a"); try { exit(); } catch {} text("b"); while (true) {}`, ["a"]],
    ["inside toJSON during text()", `text("a"); text({ toJSON() { exit(); } }); text("b");`, ["a"]],
    ["inside a sort comparator", `text("a"); [3, 2, 1].sort(() => exit()); text("b");`, ["a"]],
    ["inside a Proxy trap", `text("a"); const p = new Proxy({}, { get() { exit(); } }); p.x; text("b");`, ["a"]],
  ];
  it.each(cases)("exit %s", { timeout: TEST_MS }, async (_where, source, items) => {
    expectSuccess(await hostile(source), items);
  });
});

describe("tampering with builtins and helpers does not bend the helpers", () => {
  it("the helpers cannot be assigned or deleted, and rebinding a global name bends no helper", {
    timeout: TEST_MS,
  }, async () => {
    // The originals are kept first, so that what happened is reported even if one was replaced.
    // QuickJS lets Object.defineProperty redefine a non-configurable property of the global
    // object: that only rebinds the name in this cell's own global, like a local declaration.
    const run = await hostile(`
      const emit = text, realTools = tools, realExit = exit, realAll = ALL_TOOLS;
      const attempts = [];
      const attempt = (what, f) => { try { f(); attempts.push(what + ": allowed"); } catch (e) { attempts.push(what + ": " + e.name); } };
      attempt("assign text", () => { globalThis.text = () => {}; });
      attempt("delete text", () => { delete globalThis.text; });
      attempt("assign exit", () => { globalThis.exit = () => {}; });
      attempt("assign tools.echo", () => { realTools.echo = () => "fake"; });
      attempt("define tools.echo", () => Object.defineProperty(realTools, "echo", { value: () => "fake" }));
      attempt("set tools prototype", () => Object.setPrototypeOf(realTools, { echo: () => "fake" }));
      attempt("push ALL_TOOLS", () => { realAll.push({ name: "fake" }); });
      emit(attempts.join(", "));
      emit(String(globalThis.text === emit && globalThis.tools === realTools && globalThis.exit === realExit && globalThis.ALL_TOOLS === realAll));
      Object.defineProperty(globalThis, "tools", { value: { echo: () => "fake" } });
      emit(await tools.echo("rebound"));
      emit(await realTools.echo("real"));
    `);
    const refused = [
      "assign text",
      "delete text",
      "assign exit",
      "assign tools.echo",
      "define tools.echo",
      "set tools prototype",
      "push ALL_TOOLS",
    ].map((what) => `${what}: TypeError`);
    expectSuccess(run, [refused.join(", "), "true", "fake", "real"]);
  });

  it("replacing Function.prototype.call/apply/bind, Reflect.apply and Promise.prototype.then bends no helper", {
    timeout: TEST_MS,
  }, async () => {
    // Promise.prototype.then is restored before the cell awaits: only the helpers are under test.
    const run = await hostile(`
      const realThen = Promise.prototype.then;
      let hijacked = 0;
      Function.prototype.call = function () { hijacked++; throw "call hijacked"; };
      Function.prototype.apply = function () { hijacked++; throw "apply hijacked"; };
      Function.prototype.bind = function () { hijacked++; throw "bind hijacked"; };
      Reflect.apply = function () { hijacked++; throw "Reflect.apply hijacked"; };
      Array.prototype.push = function () { hijacked++; throw "push hijacked"; };
      Promise.prototype.then = function () { hijacked++; throw "then hijacked"; };
      text("one");
      const echoed = tools.echo({ n: 2 });
      store("k", { v: 3 });
      text(load("k").v);
      notify("note");
      image("data:image/png;base64,AAAA", "low");
      Promise.prototype.then = realThen;
      text((await echoed).n);
      text(hijacked);
    `);
    expectSuccess(run, ["one", "3", "[image data:image/png;base64,AAAA]", "2", "0"]);
  });

  it("replacing JSON.parse and JSON.stringify before load/store bends neither", { timeout: TEST_MS }, async () => {
    const run = await hostile(
      `
      JSON.parse = () => ({ hijacked: true });
      JSON.stringify = () => '"hijacked"';
      store("k", { v: 1 });
      text(load("k"));
      text(load("seed"));
      text(await tools.echo({ a: [1, 2] }));
    `,
      { storedValues: { seed: { from: "open" } } },
    );
    expectSuccess(run, ['{"v":1}', '{"from":"open"}', '{"a":[1,2]}']);
  });

  it("replacing the string builtins the helpers use does not defeat their checks", { timeout: TEST_MS }, async () => {
    const run = await hostile(`
      String.prototype.toLowerCase = () => "data:";
      String.prototype.startsWith = () => false;
      String.prototype.trim = () => "not blank";
      Array.isArray = () => false;
      Object.freeze = (o) => o;
      const thrown = (f) => { try { f(); return "no throw"; } catch (e) { return String(e); } };
      text(thrown(() => image("https://example.com/a.png")));
      text(thrown(() => notify("   ")));
      text(thrown(() => image("data:image/png;base64,AAAA", "huge")));
    `);
    expectSuccess(run, [
      "Tool call failed: remote image URLs are not supported in tool outputs. Pass a base64 data URI instead",
      "notify expects non-empty text",
      "image detail must be one of: auto, low, high, original",
    ]);
  });

  it("tampering with Promise[Symbol.species] does not bend tool results", { timeout: TEST_MS }, async () => {
    // After the first await: before it, replacing species or then() changes how the cell's own
    // completion is observed, which can only end the cell early (as exit() does).
    const run = await hostile(`
      await null;
      Object.defineProperty(Promise, Symbol.species, {
        get() { return function (executor) { executor(() => {}, () => {}); }; },
      });
      text(await tools.echo(1));
    `);
    expectSuccess(run, ["1"]);
  });
});

describe("payloads over their limit are refused with the limit's text", () => {
  const nine = 9 * MiB;
  const cases: [string, string, string][] = [
    ["a text item of 9 MiB", `text("x".repeat(${nine}))`, "text exceeds the payload size limit (8 MiB)"],
    [
      "an image of 9 MiB",
      `image("data:image/png;base64," + "A".repeat(${nine}))`,
      "image exceeds the payload size limit (8 MiB)",
    ],
    [
      "a tool input of 9 MiB",
      `await tools.echo("x".repeat(${nine}))`,
      "tool input exceeds the payload size limit (8 MiB)",
    ],
    ["a tool result of 9 MiB", `await tools.big()`, "tool result exceeds the payload size limit (8 MiB)"],
    [
      "a stored value of 9 MiB",
      `store("k", "x".repeat(${nine}))`,
      "stored value exceeds the payload size limit (8 MiB)",
    ],
    ["a notification over 1 MiB", `notify("x".repeat(${MiB + 1}))`, "notify exceeds the payload size limit (1 MiB)"],
  ];
  it.each(cases)("%s", { timeout: TEST_MS }, async (_what, source, errorText) => {
    expectFailure(await hostile(source), errorText, FAST_MS);
  });
});

describeAtReleaseSpeed("builtins that ignore interrupts still end within a bound", () => {
  const cases: [string, string][] = [
    ['new Array(1e9).join("x")', `new Array(1e9).join("x")`],
    ['new Array(1e9).join("")', `new Array(1e9).join("")`],
    ['new Array(1e9) + ""', `new Array(1e9) + ""`],
    ["new Array(1e9).indexOf(1)", `new Array(1e9).indexOf(1)`],
    ["new Array(1e9).reverse()", `new Array(1e9).reverse()`],
  ];
  it.each(cases)("%s ends with the CPU-limit error", { timeout: TEST_MS }, async (_what, source) => {
    expectFailure(await hostile(source), CPU_ERROR, WATCHDOG_BOUND_MS);
  });

  it("a huge sort ends with the CPU-limit error", { timeout: TEST_MS }, async () => {
    // A heap large enough for the array: the sort itself, not memory, is what runs long.
    const run = await hostile(
      `const a = Array.from({ length: 4e6 }, (_, i) => (i * 7919) % 4e6); a.sort(); text(a[0]);`,
      { limits: { heapBytes: 512 * MiB } },
    );
    expectFailure(run, CPU_ERROR, WATCHDOG_BOUND_MS);
  });

  it("a cell stuck in such a builtin is terminated within a bound", { timeout: TEST_MS }, async () => {
    const run = await hostile(`new Array(1e9).join("")`, { yielding: true, limits: { cpuTimeMs: 60_000 } });
    expect(run.outcome.status).toBe("terminated");
  });
});

describe("a cell cannot escape its sandbox", () => {
  it("the Function constructor reached through globalThis.constructor sees no process", {
    timeout: TEST_MS,
  }, async () => {
    const run = await hostile(`
      const F = globalThis.constructor.constructor;
      text(F("return typeof process")());
      text(F("return typeof require")());
      try { F("return process")(); text("reached"); } catch (e) { text(e.name); }
      const AsyncFunction = (async () => {}).constructor;
      text(await AsyncFunction("return typeof process")());
    `);
    expectSuccess(run, ["undefined", "undefined", "ReferenceError", "undefined"]);
  });

  it("every import fails, static or dynamic", { timeout: TEST_MS }, async () => {
    const specifiers = ["fs", "node:fs", "std", "os", "./prelude.js", "data:text/javascript,1", ""];
    const run = await hostile(`
      for (const name of ${JSON.stringify(specifiers)}) {
        try { await import(name); text("imported " + name); } catch (e) { text(typeof e + ": " + e); }
      }
    `);
    expectSuccess(
      run,
      specifiers.map((name) => `string: Unsupported import in exec: ${name}`),
    );
    expectFailure(await hostile(`import fs from "fs"; text("imported");`), "Unsupported import in exec: fs", FAST_MS);
  });

  it("importing the cell's own module fails like any import", { timeout: TEST_MS }, async () => {
    const run = await hostile(
      `try { await import("exec_main.mjs"); text("imported"); } catch (e) { text(typeof e + ": " + e); }`,
      { yieldTimeMs: 5_000 },
    );
    expectSuccess(run, ["string: Unsupported import in exec: exec_main.mjs"]);
  });

  it("the global object has only the standard builtins and the helpers", { timeout: TEST_MS }, async () => {
    const run = await hostile(`
      const g = Function("return this")();
      const probes = ["process", "require", "module", "exports", "console", "WebAssembly", "Atomics",
        "SharedArrayBuffer", "std", "os", "host", "print", "scriptArgs", "setInterval", "Deno", "Bun", "global"];
      text(JSON.stringify({ same: g === globalThis, found: probes.filter((name) => name in g), names: Object.getOwnPropertyNames(g) }));
    `);
    const result = report(run) as { same: boolean; found: string[]; names: string[] };
    expect(result.same).toBe(true);
    expect(result.found).toEqual([]);
    const standard = new Set(
      `Error EvalError RangeError ReferenceError SyntaxError TypeError URIError InternalError AggregateError
      Array Object Function Iterator parseInt parseFloat isNaN isFinite decodeURI decodeURIComponent encodeURI
      encodeURIComponent escape unescape Infinity NaN undefined eval Number Boolean String Math Reflect Symbol
      globalThis BigInt Date RegExp JSON Proxy Map Set WeakMap WeakSet ArrayBuffer Uint8ClampedArray Int8Array
      Uint8Array Int16Array Uint16Array Int32Array Uint32Array BigInt64Array BigUint64Array Float16Array
      Float32Array Float64Array DataView Promise WeakRef FinalizationRegistry`.split(/\s+/),
    );
    const helpers = [
      "text",
      "image",
      "generatedImage",
      "notify",
      "store",
      "load",
      "yield_control",
      "exit",
      "setTimeout",
      "clearTimeout",
      "tools",
      "ALL_TOOLS",
    ];
    expect(result.names.filter((name) => !standard.has(name)).sort()).toEqual([...helpers].sort());
  });

  it("a cell cannot read or change another session's stored values", { timeout: TEST_MS }, async () => {
    const victim = await corpusDaemon().open({ storedValues: { secret: "s3cret" } });
    closeAfterTest(victim);
    const written = await corpusDaemon().execute(
      victim,
      `store("written", "by the victim"); await tools.sleep({ ms: 1500 });`,
      {
        yieldTimeMs: 0,
      },
    );
    const run = await hostile(`
      text(String(load("secret")));
      text(String(load("written")));
      store("secret", "overwritten");
    `);
    expectSuccess(run, ["undefined", "undefined"]);
    await corpusDaemon().wait(victim, written.cellId, 10_000);
    const { values } = await corpusDaemon().request<{ values: Record<string, JsonValue> }>("session/storedValues", {
      sessionId: victim,
    });
    expect(values).toEqual({ secret: "s3cret", written: "by the victim" });
  });

  it("a tool that was not enabled cannot be called", { timeout: TEST_MS }, async () => {
    const run = await hostile(
      `
      text(typeof tools.hang);
      try { tools.hang(); text("called"); } catch (e) { text(e.name); }
      text(Object.keys(tools).join());
      text(ALL_TOOLS.map((t) => t.name).join());
    `,
      { tools: [{ name: "echo" }] },
    );
    expectSuccess(run, ["undefined", "TypeError", "echo", "echo"]);
    expect(corpusDaemon().calls.filter((call) => call.params.sessionId === run.sessionId)).toEqual([]);
  });

  it("tools has no prototype and is frozen; helpers expose no caller", { timeout: TEST_MS }, async () => {
    const run = await hostile(`
      const thrown = (f) => { try { f(); return "no throw"; } catch (e) { return e.name; } };
      text(JSON.stringify({
        proto: typeof tools.__proto__,
        ctor: typeof tools.constructor,
        prototypeOf: Object.getPrototypeOf(tools),
        frozen: Object.isFrozen(tools),
        allFrozen: Object.isFrozen(ALL_TOOLS),
        caller: thrown(() => text.caller),
        args: thrown(() => tools.echo.arguments),
      }));
    `);
    expect(report(run)).toEqual({
      proto: "undefined",
      ctor: "undefined",
      prototypeOf: null,
      frozen: true,
      allFrozen: true,
      caller: "TypeError",
      args: "TypeError",
    });
  });
});

describe("hostile tool names are ordinary own properties", () => {
  it("__proto__, constructor, empty, unicode and Object.prototype names reach the host as named", {
    timeout: TEST_MS,
  }, async () => {
    const names = ["__proto__", "constructor", "", "名前", "ünï", "toString", "hasOwnProperty", "valueOf", "then"];
    for (const name of names)
      corpusDaemon().tools.set(name, async (input, _signal, call) => ({ got: call.tool.name, input: input ?? null }));
    const run = await hostile(
      `
      const results = [];
      for (const name of Object.keys(tools)) results.push(await tools[name]({ via: name }));
      text(JSON.stringify({
        names: Object.keys(tools),
        listed: ALL_TOOLS.map((t) => t.name),
        results,
        nullPrototype: Object.getPrototypeOf(tools) === null,
        clean: ({}).constructor === Object && typeof ({}).toString === "function" && ({}).__proto__ === Object.prototype,
      }));
    `,
      { tools: names.map((name) => ({ name })) },
    );
    const jsNames = ["__proto__", "constructor", "_", "__", "_n_", "toString", "hasOwnProperty", "valueOf", "then"];
    const result = report(run) as Record<string, unknown>;
    expect(result.names).toEqual(jsNames);
    expect(result.listed).toEqual(jsNames);
    expect(result.nullPrototype).toBe(true);
    expect(result.clean).toBe(true);
    expect(JSON.stringify(result.results)).toBe(
      JSON.stringify(names.map((name, i) => ({ got: name, input: { via: jsNames[i] } }))),
    );
  });
});

describe("hostile JSON pollutes nothing and stays plain own data", () => {
  it("__proto__ keys in a tool result are own data and do not pollute Object.prototype", {
    timeout: TEST_MS,
  }, async () => {
    const run = await hostile(`
      const r = await tools.evil();
      const own = (o) => Object.getOwnPropertyDescriptor(o, "__proto__")?.value ?? null;
      text(JSON.stringify({
        clean: ({}).polluted === undefined && Object.prototype.polluted === undefined && [].polluted === undefined,
        keys: Object.keys(r),
        plain: Object.getPrototypeOf(r) === Object.prototype && Object.getPrototypeOf(r.nested) === Object.prototype,
        top: own(r),
        nested: own(r.nested),
        inList: own(r.list[0]),
        notInherited: r.nested.polluted === undefined,
      }));
    `);
    expect(report(run)).toEqual({
      clean: true,
      keys: ["__proto__", "nested", "list"],
      plain: true,
      top: { polluted: true },
      nested: { polluted: true },
      inList: { polluted: true },
      notInherited: true,
    });
  });

  it("a __proto__ key in a tool input reaches the host as own data", { timeout: TEST_MS }, async () => {
    const run = await hostile(
      `const r = await tools.echo(JSON.parse('{"__proto__":{"polluted":true},"v":1}'));
       text(JSON.stringify({ keys: Object.keys(r), clean: ({}).polluted === undefined }));`,
    );
    expect(report(run)).toEqual({ keys: ["__proto__", "v"], clean: true });
    const call = corpusDaemon().calls.find((c) => c.params.sessionId === run.sessionId);
    expect(JSON.stringify(call?.params.input)).toBe('{"__proto__":{"polluted":true},"v":1}');
  });

  it("stored values seeded with __proto__ keys load as plain own data", { timeout: TEST_MS }, async () => {
    const seeded = JSON.parse(`{"__proto__":{"polluted":true},"k":{"__proto__":{"polluted":true},"v":1}}`) as Record<
      string,
      JsonValue
    >;
    const run = await hostile(
      `
      const own = (o) => o === undefined ? "missing" : Object.getOwnPropertyDescriptor(o, "__proto__")?.value ?? null;
      const top = load("__proto__");
      const k = load("k");
      text(JSON.stringify({
        clean: ({}).polluted === undefined && Object.prototype.polluted === undefined,
        top: top === undefined ? "missing" : top,
        kKeys: k === undefined ? "missing" : Object.keys(k),
        kPlain: k !== undefined && Object.getPrototypeOf(k) === Object.prototype,
        kProto: own(k),
      }));
    `,
      { storedValues: seeded, keepSession: true },
    );
    expect(report(run)).toEqual({
      clean: true,
      top: { polluted: true },
      kKeys: ["__proto__", "v"],
      kPlain: true,
      kProto: { polluted: true },
    });
    const { values } = await corpusDaemon().request<{ values: JsonValue }>("session/storedValues", {
      sessionId: run.sessionId,
    });
    expect(JSON.stringify(values)).toBe(JSON.stringify(seeded));
  });

  it("__proto__ keys a cell stores are committed, reported and loaded as own data", { timeout: TEST_MS }, async () => {
    const run = await hostile(
      `store("__proto__", { polluted: true }); store("obj", JSON.parse('{"__proto__":{"polluted":true}}'));`,
      { keepSession: true },
    );
    expectSuccess(run, []);
    const stored = corpusDaemon().events.find(
      (e) => e.method === "session/stored" && (e.params as { sessionId: string }).sessionId === run.sessionId,
    );
    expect(JSON.stringify((stored?.params as { values?: unknown } | undefined)?.values)).toBe(
      '{"__proto__":{"polluted":true},"obj":{"__proto__":{"polluted":true}}}',
    );
    const { values } = await corpusDaemon().request<{ values: JsonValue }>("session/storedValues", {
      sessionId: run.sessionId,
    });
    expect(JSON.stringify(values)).toBe('{"__proto__":{"polluted":true},"obj":{"__proto__":{"polluted":true}}}');
    const next = await corpusDaemon().execute(
      run.sessionId,
      `text(JSON.stringify({ top: load("__proto__") ?? "missing", objKeys: Object.keys(load("obj")), clean: ({}).polluted === undefined }));`,
    );
    expect(JSON.parse(texts(next)[0] ?? "null")).toEqual({
      top: { polluted: true },
      objKeys: ["__proto__"],
      clean: true,
    });
  });
});

describe("after the corpus", () => {
  it("nothing a hostile cell registered outlives it", { timeout: TEST_MS }, async () => {
    let last: Awaited<ReturnType<Harness["stats"]>> | undefined;
    await eventually(async () => {
      last = await corpusDaemon().stats();
      return last.cells === 0 && last.pendingReverseRequests === 0 && last.timers === 0;
    }, 10_000).catch(() => {});
    expect({
      sessions: last?.sessions,
      cells: last?.cells,
      pendingReverseRequests: last?.pendingReverseRequests,
      timers: last?.timers,
    }).toEqual({ sessions: 1, cells: 0, pendingReverseRequests: 0, timers: 0 });
    expect(corpusDaemon().calls.every((call) => call.settled)).toBe(true);
    // Every cell's runtime was freed cleanly: a handle left alive makes QuickJS abort there.
    expect(corpusDaemon().stderr).not.toContain("Assertion failed");
    await expectHealthy("after the corpus");
  });
});
