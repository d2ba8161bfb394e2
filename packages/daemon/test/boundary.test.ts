// The sandbox boundary (docs/security.md): whatever a cell hands out is exact, accounted,
// bounded and guarded. One kind per block, each with its neighbours; every hostile cell runs
// beside a healthy session that must keep answering, and the daemon's memory returns to its
// baseline afterwards.
import type { CellOutcome, JsonValue } from "@codemode/protocol";
import { describe, expect, it } from "vitest";
import { ResponseError } from "vscode-jsonrpc/node";
import { eventually, type Harness, sleep, startDaemon, texts } from "./harness.js";
import {
  CPU_BOUND_MS,
  CPU_ERROR,
  closeAfterTest,
  corpusDaemon,
  describeAtReleaseSpeed,
  expectFailure,
  expectHealthy,
  expectSuccess,
  FAST_MS,
  hostile,
  MiB,
  TEST_MS,
  useHostileCorpus,
  WATCHDOG_BOUND_MS,
} from "./hostile-corpus.js";

useHostileCorpus();

/** What the daemon may grow by under one attack (its baseline is ≈ 100 MB). */
const RSS_BOUND = 1024 * MiB;

async function expectRssBounded(): Promise<void> {
  const { memory } = await corpusDaemon().stats();
  expect(memory.rss, `daemon RSS ${Math.round(memory.rss / MiB)} MiB`).toBeLessThan(RSS_BOUND);
}

/** Runs a cell in its own session and returns its first outcome. */
async function runCell(daemon: Harness, source: string, options: { limits?: Record<string, number> } = {}) {
  const sessionId = await daemon.open(options.limits ? { limits: options.limits } : {});
  return { sessionId, outcome: await daemon.execute(sessionId, source, { yieldTimeMs: 20_000 }) };
}

describeAtReleaseSpeed("guest code the daemon triggers runs inside the cell's guarded section", () => {
  // Each thrown value below runs guest code when the daemon describes it (SPEC §3: its string
  // `stack`, else its string form). It must count against the cell's CPU limit.
  const spinning: [string, string][] = [
    ["a stack getter", `await null; throw { get stack() { while (true) {} } };`],
    ["a toString with no stack", `await null; throw { toString() { while (true) {} } };`],
    ["Symbol.toPrimitive", `await null; throw { [Symbol.toPrimitive]() { while (true) {} } };`],
    ["a proxy's get trap", `await null; throw new Proxy({}, { get() { while (true) {} } });`],
    [
      "a getter thrown from a timer",
      `setTimeout(() => { throw { get stack() { while (true) {} } }; }); await new Promise(() => {});`,
    ],
    ["a getter thrown synchronously", `throw { get stack() { while (true) {} } };`],
    ["a rejected promise the module awaits", `await Promise.reject({ get stack() { for (;;) {} } });`],
  ];
  it.each(spinning)("describing %s ends at the CPU limit", { timeout: TEST_MS }, async (_what, source) => {
    expectFailure(await hostile(source), CPU_ERROR, CPU_BOUND_MS);
  });

  it("a stack getter stuck in a builtin that ignores interrupts is ended by the watchdog", {
    timeout: TEST_MS,
  }, async () => {
    const source = `await null; throw { get stack() { for (let i = 0; i < 1e6; i++) new Array(2 ** 32 - 1).indexOf(1); return "x"; } };`;
    expectFailure(await hostile(source), CPU_ERROR, WATCHDOG_BOUND_MS);
  });

  it("what a getter returns or throws is the errorText, as for any thrown value", { timeout: TEST_MS }, async () => {
    expectFailure(await hostile(`throw { get stack() { return "custom stack"; } };`), "custom stack", FAST_MS);
    expectFailure(await hostile(`throw { get stack() { throw "no"; } };`), "uncaught exception", FAST_MS);
  });

  it("after a shut-down session's getter spins, the next session on that worker runs at once", {
    timeout: TEST_MS,
  }, async () => {
    const daemon = await startDaemon(["--max-workers", "1"]);
    try {
      const s1 = await daemon.open({ limits: { cpuTimeMs: 60_000 } });
      const source = `await null; throw { get stack() { for (let i = 0; i < 1e6; i++) new Array(2 ** 32 - 1).indexOf(1); return "x"; } };`;
      const first = await daemon.execute(s1, source, { yieldTimeMs: 300 });
      expect(first.status).toBe("yielded");
      await daemon.request("session/shutdown", { sessionId: s1 });
      const s2 = await daemon.open();
      const started = performance.now();
      const next = await daemon.execute(s2, `text("ok")`, { yieldTimeMs: 5_000 });
      expect(next).toMatchObject({ status: "completed", items: [{ text: "ok" }] });
      expect(performance.now() - started).toBeLessThan(2_000);
      expect((await daemon.stats()).cells).toBe(0);
    } finally {
      await daemon.close();
    }
  });
});

describe("the engine reads each value a cell hands over once, and only as the prelude made it", () => {
  // Getters that answer a string first and something else later must not reach the host as
  // anything but that string: with one worker, a neighbour's waiting cell shares the engine.
  const shifty: [string, string, Partial<CellOutcome>][] = [
    [
      "a stack getter that answers a string, then an object",
      `let n = 0; throw { get stack() { return n++ ? {} : "x"; } };`,
      { status: "completed", errorText: "x" },
    ],
    [
      "a stack getter that answers a string, then a string-like object",
      `let n = 0; throw { get stack() { return n++ ? { toString() { return "ab"; }, length: 2 } : "ok"; } };`,
      { status: "completed", errorText: "ok" },
    ],
    [
      "an MCP image block whose data getter answers a string, then an object",
      `let n = 0; image({ type: "image", mimeType: "image/png", get data() { return ++n < 2 ? "AAAA" : { toString() { return "AAAA"; } }; } });`,
      { status: "completed", items: [{ type: "image", imageUrl: "data:image/png;base64,AAAA", detail: "high" }] },
    ],
    [
      "an image object whose image_url getter answers a string, then an object",
      `let n = 0; image({ get image_url() { return n++ ? {} : "data:,x"; } });`,
      { status: "completed", items: [{ type: "image", imageUrl: "data:,x", detail: "high" }] },
    ],
    [
      "a text value whose toJSON answers differently each time",
      `let n = 0; text({ toJSON() { return n++ ? { a: 1 } : "first"; } }); text(n);`,
      {
        status: "completed",
        items: [
          { type: "text", text: '"first"' },
          { type: "text", text: "1" },
        ],
      },
    ],
  ];

  it.each(shifty)("%s", { timeout: TEST_MS }, async (_what, source, expected) => {
    const daemon = await startDaemon(["--max-workers", "1"]);
    try {
      const neighbour = await daemon.open();
      const waiting = await daemon.execute(
        neighbour,
        `text("n1"); yield_control(); await tools.sleep({ ms: 300 }); text("n2")`,
        { yieldTimeMs: 30_000 },
      );
      expect(waiting).toMatchObject({ status: "yielded", items: [{ text: "n1" }] });
      const sessionId = await daemon.open();
      expect(await daemon.execute(sessionId, source)).toMatchObject(expected);
      expect(await daemon.wait(neighbour, waiting.cellId, 5_000)).toMatchObject({
        status: "completed",
        items: [{ text: "n2" }],
      });
      const { memory, workers } = await daemon.stats();
      expect(Number.isFinite(memory.chargedBytes)).toBe(true);
      expect(workers).toBeLessThanOrEqual(1);
    } finally {
      await daemon.close();
    }
  });

  it("an uncollected errorText is charged to the budget until it is collected", { timeout: TEST_MS }, async () => {
    const daemon = corpusDaemon();
    const sessionId = await daemon.open();
    closeAfterTest(sessionId);
    const first = await daemon.execute(sessionId, `await tools.sleep({ ms: 200 }); throw "e".repeat(1e6);`, {
      yieldTimeMs: 0,
    });
    expect(first.status).toBe("yielded");
    await eventually(async () => (await daemon.stats()).memory.chargedBytes >= 1e6);
    const last = await daemon.wait(sessionId, first.cellId);
    expect(last.errorText).toHaveLength(1e6);
    await eventually(async () => (await daemon.stats()).memory.chargedBytes === 0);
  });
});

describeAtReleaseSpeed("what the daemon keeps for a cell is charged to it, and bounded in total", () => {
  it("large tool inputs left unanswered stop at the pending-input limit; the daemon stays small", {
    timeout: TEST_MS,
  }, async () => {
    const daemon = corpusDaemon();
    const sessionId = await daemon.open();
    closeAfterTest(sessionId);
    const source = `const s = "x".repeat(8 * 1024 * 1024 - 16); let refused = 0, last;
      for (let i = 0; i < 8; i++) tools.hang(s).catch((e) => { refused++; last = e; });
      await null; await null; text(refused + " " + last); yield_control(); await new Promise(() => {});`;
    const first = await daemon.execute(sessionId, source, { yieldTimeMs: 20_000 });
    expect(texts(first)).toEqual(["5 exec cell exceeded its pending tool input limit (pendingInputBytes: 32 MiB)"]);
    await expectHealthy("while a cell holds 24 MiB of tool inputs");
    await expectRssBounded();
    expect((await daemon.terminate(sessionId, first.cellId)).status).toBe("terminated");
  });

  it("many small inputs count their overhead against the pending-input limit", { timeout: TEST_MS }, async () => {
    const run = await hostile(
      `let refused = 0; for (let i = 0; i < 1000; i++) tools.hang().catch(() => refused++);
      await null; text(refused);`,
      { limits: { pendingInputBytes: 64 * 100 } },
    );
    expectSuccess(run, ["900"]);
  });

  it("empty text items count their overhead against the output limit", { timeout: TEST_MS }, async () => {
    const run = await hostile(`for (let i = 0; i < 200000; i++) text("")`, { limits: { outputBytes: 65536 } });
    expectFailure(run, "exec cell exceeded its undelivered output limit (outputBytes: 64 KiB)", FAST_MS);
    // One item may cross the limit: it is what ends the cell.
    expect(run.outcome.items.length).toBeLessThanOrEqual(65536 / 64 + 1);
  });

  it("an endless flood of empty texts ends at the output limit without stalling other sessions", {
    timeout: TEST_MS,
  }, async () => {
    const run = await hostile(`while (true) text("")`, { limits: { cpuTimeMs: 30_000, outputBytes: 8 * MiB } });
    expectFailure(run, "exec cell exceeded its undelivered output limit (outputBytes: 8 MiB)", 20_000);
    expect(run.outcome.items.length).toBeLessThanOrEqual((8 * MiB) / 64 + 1);
    await expectRssBounded();
  });

  it("an endless flood of tiny images ends at the output limit", { timeout: TEST_MS }, async () => {
    const run = await hostile(`while (true) image("data:,")`, { limits: { outputBytes: MiB } });
    expectFailure(run, "exec cell exceeded its undelivered output limit (outputBytes: 1 MiB)", FAST_MS);
  });

  it("a flood of one-character notifications to a slow host ends at the output limit", {
    timeout: TEST_MS,
  }, async () => {
    const daemon = corpusDaemon();
    daemon.notifyDelayMs = 50;
    try {
      const run = await hostile(`for (;;) notify(".")`, { limits: { outputBytes: 64 * 1024 } });
      expectFailure(run, "exec cell exceeded its undelivered output limit (outputBytes: 64 KiB)", FAST_MS);
    } finally {
      daemon.notifyDelayMs = 0;
    }
  });

  it("storing a million small keys stops at the stored-values limit without stalling other sessions", {
    timeout: TEST_MS,
  }, async () => {
    const run = await hostile(`for (let i = 0; i < 1.5e6; i++) store("k" + i, i)`, {
      keepSession: true,
      limits: { cpuTimeMs: 30_000 },
    });
    expectFailure(run, "stored values exceed the session's limit (storedBytes: 16 MiB)", 15_000);
    const { values } = await corpusDaemon().request<{ values: Record<string, JsonValue> }>("session/storedValues", {
      sessionId: run.sessionId,
    });
    const keys = Object.keys(values).length;
    expect(keys).toBeGreaterThan(100_000);
    expect(keys).toBeLessThan((16 * MiB) / 64);
    // Reported in parts of at most 4,096 keys, which together are every key committed.
    const parts = corpusDaemon()
      .events.filter((event) => event.method === "session/stored")
      .map((event) => event.params as { sessionId: string; values: Record<string, JsonValue> })
      .filter((params) => params.sessionId === run.sessionId);
    expect(parts.length).toBeGreaterThan(1);
    expect(Math.max(...parts.map((part) => Object.keys(part.values).length))).toBeLessThanOrEqual(4_096);
    expect(parts.reduce((total, part) => total + Object.keys(part.values).length, 0)).toBe(keys);
    // The next cell of that session starts from all of them, and its neighbour still answers.
    const next = corpusDaemon().execute(run.sessionId, `text(load("k99999"))`);
    await expectHealthy("while a cell starts from 200,000 stored keys");
    expect(texts(await next)).toEqual(["99999"]);
  });

  it("the daemon's memory budget refuses what would go past it, with a clear error", { timeout: TEST_MS }, async () => {
    const budget = 48 * MiB;
    const daemon = await startDaemon(["--memory-budget-bytes", String(budget)]);
    const error = "the daemon's memory budget is exhausted (memoryBudgetBytes: 48 MiB)";
    try {
      // Two cells each hold 24 MiB of unanswered tool inputs: the second reaches the budget.
      const hold = `const s = "x".repeat(6 * 1024 * 1024); const out = [];
        for (let i = 0; i < 4; i++) tools.hang(s).catch((e) => out.push(e));
        await new Promise((resolve) => setTimeout(resolve, 500)); text(out.join("|") || "held"); yield_control(); await new Promise(() => {});`;
      const a = await runCell(daemon, hold);
      expect(texts(a.outcome)).toEqual(["held"]);
      const b = await runCell(daemon, hold);
      expect(texts(b.outcome)[0]).toContain(error);
      // Output past the budget fails the cell; a session seeded past it is refused.
      const c = await runCell(daemon, `for (;;) text("y".repeat(1024 * 1024))`, { limits: { outputBytes: 64 * MiB } });
      expect(c.outcome.errorText).toBe(error);
      await expect(daemon.open({ storedValues: { big: "z".repeat(30 * MiB) } })).rejects.toMatchObject({
        code: -32015,
        message: error,
      });
      const stats = await daemon.stats();
      expect(stats.memory.budgetBytes).toBe(budget);
      expect(stats.memory.chargedBytes).toBeLessThanOrEqual(budget);
      // Once the holders end (and the host answers), everything is released.
      await daemon.request("session/shutdown", { sessionId: a.sessionId });
      await daemon.request("session/shutdown", { sessionId: b.sessionId });
      await daemon.request("session/shutdown", { sessionId: c.sessionId });
      await eventually(async () => (await daemon.stats()).memory.chargedBytes === 0);
      for (const call of daemon.calls) expect(call.cancelled).toBe(true);
      const d = await runCell(daemon, `text(tools ? "fine" : "")`);
      expect(texts(d.outcome)).toEqual(["fine"]);
    } finally {
      await daemon.close();
    }
  });
});

describe("strings cross the boundary exactly", () => {
  const cases: [string, string][] = [
    ["U+0000", "a\u0000b"],
    ["a lone high surrogate", "x\ud800y"],
    ["a lone low surrogate", "x\udfffy"],
    ["a genuine U+FFFD beside a lone surrogate", "\ufffd\ud800\u0000"],
    ["a surrogate pair", "😀\u0000"],
    ["only U+0000", "\u0000\u0000"],
    ["only a genuine U+FFFD", "\ufffd"],
  ];
  const literal = (text: string) => JSON.stringify(text);

  it.each(cases)(
    "%s in text, image URLs, notify, error text and stored keys and values",
    {
      timeout: TEST_MS,
    },
    async (_what, value) => {
      const daemon = corpusDaemon();
      const before = daemon.notifies.length;
      const v = literal(value);
      const run = await hostile(
        `text(${v}); image("data:," + ${v}); notify(${v} + "!"); store(${v}, ${v}); store("k" + ${v}, [${v}]);
       text(JSON.stringify([load(${v}), load("k" + ${v})])); throw ${v};`,
        { keepSession: true },
      );
      expect(run.outcome.items).toEqual([
        { type: "text", text: value },
        { type: "image", imageUrl: `data:,${value}`, detail: "high" },
        { type: "text", text: JSON.stringify([value, [value]]) },
      ]);
      expect(run.outcome.errorText).toBe(value);
      expect(daemon.notifies.slice(before).map((n) => n.text)).toEqual([`${value}!`]);
      const { values } = await daemon.request<{ values: Record<string, JsonValue> }>("session/storedValues", {
        sessionId: run.sessionId,
      });
      expect(values).toEqual({ [value]: value, [`k${value}`]: [value] });
    },
  );

  it("keys that differ only in lone surrogates stay distinct", { timeout: TEST_MS }, async () => {
    const run = await hostile(
      `store("t\\ud800", "A"); store("t\\udfff", "B"); store("t\\ud800\\udfff", "C"); store("t", "D");
       text([load("t\\ud800"), load("t\\udfff"), load("t\\ud800\\udfff"), load("t")].join(""));`,
      { keepSession: true },
    );
    expectSuccess(run, ["ABCD"]);
    const { values } = await corpusDaemon().request<{ values: Record<string, JsonValue> }>("session/storedValues", {
      sessionId: run.sessionId,
    });
    expect(Object.keys(values).sort()).toEqual(["t", "t\ud800", "t\ud800\udfff", "t\udfff"].sort());
  });

  it("seeded values, tool results, tool rejections and tool descriptions arrive exactly", {
    timeout: TEST_MS,
  }, async () => {
    const odd = "q\u0000\ud800\udfff\udc00z";
    const daemon = corpusDaemon();
    daemon.tools.set("odd", async (input) => {
      if (input === "reject") throw new ResponseError(-32020, odd);
      return { [odd]: odd };
    });
    try {
      const run = await hostile(
        `const r = await tools.odd("ok"); let e; try { await tools.odd("reject"); } catch (x) { e = x; }
         text(JSON.stringify([load(${literal(odd)}), r, e, ALL_TOOLS[0].description]));`,
        {
          storedValues: { [odd]: odd },
          tools: [{ name: "odd", description: odd }],
        },
      );
      expectSuccess(run, [JSON.stringify([odd, { [odd]: odd }, odd, odd])]);
    } finally {
      daemon.tools.delete("odd");
    }
  });
});

describeAtReleaseSpeed("a host-side failure out of the engine ends cells clearly, never hangs them", () => {
  const deep = (open: string, close: string, n = 100_000) => open.repeat(n) + "1" + close.repeat(n);
  const overflows: [string, string, number | undefined][] = [
    ["nested parentheses", deep("(", ")"), undefined],
    ["nested array literals", deep("[", "]"), undefined],
    ["nested blocks", `${"{".repeat(100_000)}${"}".repeat(100_000)}`, undefined],
    ["nested arrow functions", `${"(() => ".repeat(5_000)}1${")".repeat(5_000)}`, undefined],
    ["nested parentheses at the largest stack", deep("(", ")"), 1024 * 1024],
    ["JSON.parse at the largest stack", `JSON.parse("[".repeat(100000) + "]".repeat(100000))`, 1024 * 1024],
    ["recursion at the largest stack", `function f(n) { return n === 0 ? 0 : 1 + f(n - 1); } f(1e7);`, 1024 * 1024],
  ];

  it.each(overflows)(
    "%s fail in the cell, and a neighbour's waiting cell resumes",
    {
      timeout: TEST_MS,
    },
    async (_what, source, stackBytes) => {
      const daemon = await startDaemon(["--max-workers", "1"]);
      try {
        let answer: (value: JsonValue) => void = () => {};
        daemon.tools.set("slow", () => new Promise<JsonValue>((resolve) => (answer = resolve)));
        const s1 = await daemon.open();
        const tools = [{ name: "slow", description: "answers when the test says" }];
        const first = await daemon.execute(s1, `text("a1"); const v = await tools.slow({}); text("a2 " + v)`, {
          yieldTimeMs: 200,
          tools,
        });
        expect(texts(first)).toEqual(["a1"]);
        const s2 = await daemon.open(stackBytes === undefined ? {} : { limits: { stackBytes } });
        for (let i = 0; i < 2; i++) {
          const outcome = await daemon.execute(s2, source);
          // The engine's own, catchable error: never a host error out of the engine.
          expect(outcome.errorText).toMatch(/^(SyntaxError|InternalError|RangeError): /);
        }
        answer("ok");
        const resumed = await daemon.wait(s1, first.cellId, 5_000);
        expect(resumed).toMatchObject({ status: "completed", items: [{ text: "a2 ok" }] });
      } finally {
        await daemon.close();
      }
    },
  );

  it("a thread stack overflow retires the worker: its other cells end as the runtime ending", {
    timeout: TEST_MS,
  }, async () => {
    // A thread stack far smaller than the engine needs lets the overflow escape QuickJS.
    const daemon = await startDaemon(["--max-workers", "1", "--engine-stack-mb", "2"]);
    try {
      const s1 = await daemon.open();
      const first = await daemon.execute(s1, `text("a1"); await tools.hang(); text("never")`, { yieldTimeMs: 200 });
      const s2 = await daemon.open();
      const broken = await daemon.execute(s2, deep("(", ")"));
      expect(broken.errorText).toBe("exec runtime error: RangeError: Maximum call stack size exceeded");
      const lost: CellOutcome = await daemon.wait(s1, first.cellId, 5_000);
      expect(lost).toMatchObject({ status: "completed", errorText: "exec runtime ended unexpectedly" });
      // A new worker takes the sessions' next cells.
      expect(texts(await daemon.execute(s1, `text("fresh")`))).toEqual(["fresh"]);
      expect(texts(await daemon.execute(s2, `text("fresh")`))).toEqual(["fresh"]);
      await eventually(async () => (await daemon.stats()).pendingReverseRequests === 0);
    } finally {
      await daemon.close();
    }
  });
});

describe("whatever store accepts is committed, reported and restorable", () => {
  const nested = (depth: number, open = "[", close = "]") => `${open.repeat(depth)}${close.repeat(depth)}`;

  /** Stores a value nested `depth` deep, catching the refusal, then a flat one; returns the run. */
  async function storeDeepThenFlat(depth: number) {
    const daemon = corpusDaemon();
    const run = await hostile(
      `let a = 0; for (let i = 0; i < ${depth}; i++) a = [a];
       try { store("deep", a); } catch (e) { text(e); } store("flat", 1);`,
      { keepSession: true },
    );
    expectSuccess(run, ["stored value nests deeper than 512 levels"]);
    const stored = daemon.events.find(
      (event) =>
        event.method === "session/stored" && (event.params as { sessionId: string }).sessionId === run.sessionId,
    );
    expect(stored?.params).toMatchObject({ values: { flat: 1 } });
    expect(await daemon.request("session/storedValues", { sessionId: run.sessionId })).toEqual({ values: { flat: 1 } });
  }

  it("a value nested past the limit is refused at once; the cell's other writes are committed", {
    timeout: TEST_MS,
  }, async () => {
    await storeDeepThenFlat(600);
  });

  describeAtReleaseSpeed("deeper than the daemon's own JSON writer goes", () => {
    // QuickJS's release build serializes about 16,000 levels, V8's writer about 4,000.
    it("8,000 levels are refused the same way", { timeout: TEST_MS }, async () => {
      await storeDeepThenFlat(8_000);
    });
  });

  const depths: [string, string, string | undefined][] = [
    ["512 nested arrays", nested(512), undefined],
    ["513 nested arrays", nested(513), "stored value nests deeper than 512 levels"],
    ["513 nested objects", `${'{"a":'.repeat(512)}{}${"}".repeat(512)}`, "stored value nests deeper than 512 levels"],
    ["brackets inside strings", JSON.stringify(["[".repeat(10_000), "{".repeat(10_000)]), undefined],
  ];
  it.each(depths)("%s", { timeout: TEST_MS }, async (_what, json, refusal) => {
    const run = await hostile(
      `store("v", JSON.parse(${JSON.stringify(json)})); text(JSON.stringify(load("v")) === ${JSON.stringify(json)});`,
      {
        keepSession: true,
      },
    );
    if (refusal === undefined) {
      expectSuccess(run, ["true"]);
      const { values } = await corpusDaemon().request<{ values: Record<string, JsonValue> }>("session/storedValues", {
        sessionId: run.sessionId,
      });
      expect(JSON.stringify(values.v)).toBe(json);
    } else expectFailure(run, refusal, FAST_MS);
  });

  it("concurrent cells of one session share storedBytes: together they cannot pass it", {
    timeout: TEST_MS,
  }, async () => {
    const daemon = corpusDaemon();
    const sessionId = await daemon.open({ limits: { storedBytes: 1024 * 1024 } });
    closeAfterTest(sessionId);
    const write = (key: string) =>
      `await tools.sleep({ ms: 300 }); store(${JSON.stringify(key)}, "v".repeat(600 * 1024)); await tools.sleep({ ms: 300 });`;
    const [a, b] = await Promise.all([daemon.execute(sessionId, write("a")), daemon.execute(sessionId, write("b"))]);
    const errors = [a.errorText, b.errorText].filter((text) => text !== undefined);
    expect(errors).toEqual(["stored values exceed the session's limit (storedBytes: 1 MiB)"]);
    const { values } = await daemon.request<{ values: Record<string, JsonValue> }>("session/storedValues", {
      sessionId,
    });
    expect(Object.keys(values)).toHaveLength(1);
    // What the refused and the terminated wrote no longer counts: the session has room again.
    const replaced = await daemon.execute(
      sessionId,
      `store(${JSON.stringify(Object.keys(values)[0])}, 1); store("c", "w".repeat(900 * 1024));`,
    );
    expect(replaced.errorText).toBeUndefined();
  });

  it("a terminated cell's writes are dropped and release what they were counted for", {
    timeout: TEST_MS,
  }, async () => {
    const daemon = corpusDaemon();
    const sessionId = await daemon.open({ limits: { storedBytes: 1024 * 1024 } });
    closeAfterTest(sessionId);
    const before = (await daemon.stats()).memory.chargedBytes;
    const first = await daemon.execute(
      sessionId,
      `store("a", "v".repeat(900 * 1024)); yield_control(); await new Promise(() => {});`,
      { yieldTimeMs: 30_000 },
    );
    expect((await daemon.stats()).memory.chargedBytes).toBeGreaterThan(before + 900 * 1024);
    expect((await daemon.terminate(sessionId, first.cellId)).status).toBe("terminated");
    await eventually(async () => (await daemon.stats()).memory.chargedBytes === before);
    const next = await daemon.execute(sessionId, `store("b", "w".repeat(900 * 1024)); text(load("a") === undefined);`);
    expect(next).toMatchObject({ status: "completed", items: [{ text: "true" }] });
  });

  it("stored values are charged to the daemon's budget as they are written", { timeout: TEST_MS }, async () => {
    const daemon = await startDaemon(["--memory-budget-bytes", String(16 * MiB)]);
    try {
      const holder = await daemon.open();
      const held = await daemon.execute(
        holder,
        `store("a", "v".repeat(6 * 1024 * 1024)); store("b", "v".repeat(6 * 1024 * 1024)); text("held"); yield_control(); await new Promise(() => {});`,
        { yieldTimeMs: 30_000 },
      );
      expect(held).toMatchObject({ status: "yielded", items: [{ text: "held" }] });
      const other = await daemon.open();
      const refused = await daemon.execute(other, `store("b", "w".repeat(6 * 1024 * 1024));`);
      expect(refused.errorText).toBe("the daemon's memory budget is exhausted (memoryBudgetBytes: 16 MiB)");
      await daemon.terminate(holder, held.cellId);
      const fits = await daemon.execute(other, `store("b", "w".repeat(6 * 1024 * 1024));`);
      expect(fits.errorText).toBeUndefined();
    } finally {
      await daemon.close();
    }
  });

  it("a tool input nested past the limit rejects the call; the host never sees it", { timeout: TEST_MS }, async () => {
    const daemon = corpusDaemon();
    const run = await hostile(
      `let a = 0; for (let i = 0; i < 600; i++) a = { a }; try { await tools.echo(a); } catch (e) { text(e); }`,
    );
    expectSuccess(run, ["tool input nests deeper than 512 levels"]);
    expect(daemon.calls.filter((call) => call.params.sessionId === run.sessionId)).toEqual([]);
  });
});

describe("after the boundary corpus", () => {
  it("the daemon's memory returns to its baseline", { timeout: TEST_MS }, async () => {
    const daemon = corpusDaemon();
    await eventually(async () => {
      const stats = await daemon.stats();
      return stats.cells === 0 && stats.pendingReverseRequests === 0 && stats.timers === 0;
    }, 10_000);
    // Only the healthy session is open; it stored nothing.
    await eventually(async () => (await daemon.stats()).memory.chargedBytes === 0, 5_000);
    await sleep(0);
    expect(daemon.stderr).not.toContain("Assertion failed");
  });
});
