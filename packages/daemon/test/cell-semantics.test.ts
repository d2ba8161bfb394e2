// SPEC §3 over the real daemon: observers, yields, termination, completion order, stored values.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type Harness, sleep, startDaemon, texts } from "./harness.js";

let daemon: Harness;
beforeAll(async () => {
  daemon = await startDaemon();
});
afterAll(async () => {
  await daemon.close();
});

describe("observers and yields", () => {
  it("yields at the deadline and resumes with the next wait", async () => {
    const s = await daemon.open();
    const first = await daemon.execute(s, `text("a"); await tools.sleep({ ms: 1_500 }); text("b");`, {
      yieldTimeMs: 400,
    });
    expect(first).toEqual({ status: "yielded", cellId: "1", items: [{ type: "text", text: "a" }] });
    const second = await daemon.wait(s, "1", 5_000);
    expect(second).toEqual({ status: "completed", cellId: "1", items: [{ type: "text", text: "b" }] });
  });

  it("yield_control hands the accumulated items to the observer at once", async () => {
    const s = await daemon.open();
    const started = Date.now();
    const first = await daemon.execute(s, `text("x"); yield_control(); await tools.sleep({ ms: 200 }); text("y");`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(first.status).toBe("yielded");
    expect(texts(first)).toEqual(["x"]);
    expect(texts(await daemon.wait(s, "1"))).toEqual(["y"]);
  });

  it("a yielded answer may carry no items", async () => {
    const s = await daemon.open();
    const first = await daemon.execute(s, `await tools.sleep({ ms: 200 });`, { yieldTimeMs: 10 });
    expect(first).toEqual({ status: "yielded", cellId: "1", items: [] });
    expect((await daemon.wait(s, "1")).status).toBe("completed");
  });

  it("the deadline beats output still queued", async () => {
    const s = await daemon.open();
    // Output keeps arriving while the deadline passes; what comes after it goes to the next observer.
    const first = await daemon.execute(
      s,
      `for (let i = 0; i < 40; i++) { text(String(i)); await tools.sleep({ ms: 5 }); }`,
      { yieldTimeMs: 60 },
    );
    expect(first.status).toBe("yielded");
    const rest = await daemon.wait(s, "1", 10_000);
    expect(rest.status).toBe("completed");
    const all = [...texts(first), ...texts(rest)];
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    expect(texts(first).length).toBeGreaterThan(0);
    expect(texts(rest).length).toBeGreaterThan(0);
  });

  it("a second observer is rejected without displacing the first", async () => {
    const s = await daemon.open();
    await daemon.execute(s, `await tools.sleep({ ms: 400 }); text("done");`, { yieldTimeMs: 0 });
    const first = daemon.wait(s, "1", 60_000);
    await sleep(50);
    await expect(daemon.wait(s, "1", 60_000)).rejects.toMatchObject({
      code: -32013,
      message: "exec cell 1 already has an active observer",
    });
    expect(await first).toEqual({ status: "completed", cellId: "1", items: [{ type: "text", text: "done" }] });
  });

  it("items are delivered exactly once", async () => {
    const s = await daemon.open();
    const seen: string[] = [];
    let outcome = await daemon.execute(
      s,
      `for (let i = 0; i < 30; i++) { text(String(i)); if (i % 7 === 0) yield_control(); await tools.echo(i); }`,
      { yieldTimeMs: 1 },
    );
    seen.push(...texts(outcome));
    while (outcome.status === "yielded") {
      outcome = await daemon.wait(s, "1", 1);
      seen.push(...texts(outcome));
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
  });

  it("an unobserved cell keeps running and its completion is buffered for the next wait", async () => {
    const s = await daemon.open();
    await daemon.execute(s, `await tools.sleep({ ms: 100 }); text("late"); store("k", 1);`, { yieldTimeMs: 0 });
    // Tools run and output accumulates with no observer; the completion waits for us.
    await eventually(() =>
      daemon.events.some((e) => e.method === "session/stored" && (e.params as { sessionId: string }).sessionId === s),
    );
    const started = Date.now();
    expect(await daemon.wait(s, "1", 60_000)).toEqual({
      status: "completed",
      cellId: "1",
      items: [{ type: "text", text: "late" }],
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    // That wait closed the cell.
    expect((await daemon.wait(s, "1")).status).toBe("missing");
  });

  it("a script error completes the cell with the thrown value's stack", async () => {
    const s = await daemon.open();
    const outcome = await daemon.execute(s, `text("before");\nthrow new TypeError("bad thing");`);
    expect(outcome.status).toBe("completed");
    expect(texts(outcome)).toEqual(["before"]);
    expect(outcome.errorText).toMatch(/^TypeError: bad thing\n {4}at .*exec_main\.mjs:2/);
    const plain = await daemon.execute(s, `throw "plain text";`);
    expect(plain.errorText).toBe("plain text");
    const rejected = await daemon.execute(s, `await Promise.reject({ stack: 42, toString() { return "custom"; } });`);
    expect(rejected.errorText).toBe("custom");
  });

  it("a stack the cell wrote is the errorText as it is", async () => {
    const s = await daemon.open();
    const errorText = async (source: string) => (await daemon.execute(s, source)).errorText;
    expect(await errorText(`throw { stack: "custom stack" };`)).toBe("custom stack");
    expect(await errorText(`const e = new Error("x"); e.stack = "my own stack"; throw e;`)).toBe("my own stack");
    expect(await errorText(`throw { stack: "abc\\n\\n" };`)).toBe("abc\n\n");
    expect(await errorText(`const o = Object.create(null); o.stack = "np"; throw o;`)).toBe("np");
  });
});

describe("missing cells", () => {
  it("a missing cell is reported as missing by wait and terminate", async () => {
    const s = await daemon.open();
    const missing = { status: "missing", cellId: "7", items: [], errorText: "exec cell 7 not found" };
    expect(await daemon.wait(s, "7")).toEqual(missing);
    expect(await daemon.terminate(s, "7")).toEqual(missing);
  });

  it("a closed cell answers missing", async () => {
    const s = await daemon.open();
    expect((await daemon.execute(s, `text(1)`)).status).toBe("completed");
    expect((await daemon.wait(s, "1")).status).toBe("missing");
    expect((await daemon.terminate(s, "1")).status).toBe("missing");
  });

  it("cell ids count up per session and a client-chosen id that exists is refused", async () => {
    const s = await daemon.open();
    await daemon.execute(s, `await tools.sleep({ ms: 300 })`, { yieldTimeMs: 0 });
    expect((await daemon.execute(s, `text(2)`)).cellId).toBe("2");
    expect((await daemon.execute(s, `text(3)`, { cellId: "abc" })).cellId).toBe("abc");
    await expect(daemon.execute(s, `text(4)`, { cellId: "1" })).rejects.toMatchObject({
      code: -32012,
      message: "exec cell 1 already exists",
    });
    expect((await daemon.execute(s, `text(5)`)).cellId).toBe("3");
  });
});

describe("termination", () => {
  it("terminate stops a CPU-bound cell and answers terminated with the undelivered items", async () => {
    const s = await daemon.open();
    const first = await daemon.execute(s, `text("a"); yield_control(); text("b"); while (true) {}`, {
      yieldTimeMs: 5_000,
    });
    expect(texts(first)).toEqual(["a"]);
    const started = Date.now();
    expect(await daemon.terminate(s, "1")).toEqual({
      status: "terminated",
      cellId: "1",
      items: [{ type: "text", text: "b" }],
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await daemon.wait(s, "1")).status).toBe("missing");
  });

  it("a waiting observer gets the same terminated answer", async () => {
    const s = await daemon.open();
    await daemon.execute(s, `text("x"); while (true) {}`, { yieldTimeMs: 0 });
    const waiting = daemon.wait(s, "1", 60_000);
    await sleep(50);
    const terminated = await daemon.terminate(s, "1");
    expect(terminated.status).toBe("terminated");
    expect(await waiting).toEqual(terminated);
  });

  it("observed natural completion wins over termination", async () => {
    const s = await daemon.open();
    const outcome = await daemon.execute(s, `text("done")`);
    expect(outcome.status).toBe("completed");
    expect((await daemon.terminate(s, "1")).status).toBe("missing");
  });

  it("a buffered completion wins over termination", async () => {
    const s = await daemon.open();
    await daemon.execute(s, `await tools.sleep({ ms: 50 }); text("finished")`, { yieldTimeMs: 0 });
    await sleep(300);
    expect(await daemon.terminate(s, "1")).toEqual({
      status: "completed",
      cellId: "1",
      items: [{ type: "text", text: "finished" }],
    });
  });

  it("termination cancels pending callbacks before responding", async () => {
    const s = await daemon.open();
    await daemon.execute(s, `await tools.hang();`, { yieldTimeMs: 0 });
    await eventually(() => daemon.calls.some((c) => c.params.sessionId === s));
    const call = daemon.calls.find((c) => c.params.sessionId === s);
    expect((await daemon.terminate(s, "1")).status).toBe("terminated");
    await eventually(() => call?.cancelled === true && call.settled);
  });

  it("terminate abandons a host that ignores cancellation after the grace", async () => {
    const s = await daemon.open();
    daemon.tools.set("stubborn", () => sleep(2_000).then(() => null));
    await daemon.execute(s, `await tools.stubborn();`, { yieldTimeMs: 0, tools: [{ name: "stubborn" }] });
    await eventually(() => daemon.calls.some((c) => c.params.sessionId === s));
    const started = Date.now();
    expect((await daemon.terminate(s, "1")).status).toBe("terminated");
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("repeated termination is rejected while the first is in progress", async () => {
    const s = await daemon.open();
    daemon.tools.set("stubborn", () => sleep(2_000).then(() => null));
    await daemon.execute(s, `await tools.stubborn();`, { yieldTimeMs: 0, tools: [{ name: "stubborn" }] });
    await eventually(() => daemon.calls.some((c) => c.params.sessionId === s));
    const first = daemon.terminate(s, "1");
    await expect(daemon.terminate(s, "1")).rejects.toMatchObject({
      code: -32014,
      message: "exec cell 1 is already terminating",
    });
    expect((await first).status).toBe("terminated");
  });

  it("termination discards stored writes", async () => {
    const s = await daemon.open();
    await daemon.execute(s, `store("kept", 1);`);
    await daemon.execute(s, `store("dropped", 2); store("kept", 3); while (true) {}`, { yieldTimeMs: 20 });
    await daemon.terminate(s, "2");
    expect(await daemon.request("session/storedValues", { sessionId: s })).toEqual({ values: { kept: 1 } });
  });
});

describe("completion order", () => {
  it("natural completion cancels an un-awaited tool call before responding", async () => {
    const s = await daemon.open();
    const outcome = await daemon.execute(s, `tools.hang(); text("not waiting");`);
    expect(outcome.status).toBe("completed");
    // The cancellation was sent before the answer; the host may take a moment to act on it.
    const call = daemon.calls.find((c) => c.params.sessionId === s);
    await eventually(() => call?.cancelled === true && call.settled);
  });

  it("in-flight notifications finish before the answer, and writes are committed before it", async () => {
    const s = await daemon.open();
    daemon.notifyDelayMs = 150;
    try {
      const outcome = await daemon.execute(s, `notify("working"); store("k", "v");`, { toolCallId: "exec-9" });
      expect(outcome.status).toBe("completed");
      expect(daemon.notifies.filter((n) => n.sessionId === s)).toEqual([
        { sessionId: s, cellId: "1", callId: "exec-9", text: "working" },
      ]);
    } finally {
      daemon.notifyDelayMs = 0;
    }
    await eventually(() =>
      daemon.events.some((e) => e.method === "cell/closed" && (e.params as { sessionId: string }).sessionId === s),
    );
    const mine = daemon.events.filter((e) => (e.params as { sessionId?: string }).sessionId === s).map((e) => e.method);
    expect(mine).toEqual(["cell/started", "session/stored", "cell/closed"]);
  });

  it("terminate cancels in-flight notifications of a running cell within the grace", async () => {
    const s = await daemon.open();
    daemon.notifyDelayMs = 10_000;
    try {
      const running = await daemon.execute(s, `notify("hi"); await tools.hang();`, { yieldTimeMs: 100 });
      expect(running.status).toBe("yielded");
      const terminating = Date.now();
      expect(await daemon.terminate(s, "1")).toEqual({ status: "terminated", cellId: "1", items: [] });
      expect(Date.now() - terminating).toBeLessThan(1_000);
    } finally {
      daemon.notifyDelayMs = 0;
    }
  });

  it("a yield deadline beyond what Node's timers keep is not a yield at once", async () => {
    const s = await daemon.open();
    const outcome = await daemon.execute(s, `await tools.sleep({ ms: 50 }); text("late");`, {
      yieldTimeMs: 3_000_000_000,
    });
    expect(outcome).toEqual({ status: "completed", cellId: "1", items: [{ type: "text", text: "late" }] });
  });

  it("a host that never answers a notification: the observer still yields, terminate and shutdown end within the grace", async () => {
    const s = await daemon.open();
    daemon.notifyDelayMs = 10_000;
    try {
      const started = Date.now();
      const first = await daemon.execute(s, `notify("hi"); text("done");`, { yieldTimeMs: 200 });
      expect(first).toEqual({ status: "yielded", cellId: "1", items: [{ type: "text", text: "done" }] });
      expect(Date.now() - started).toBeLessThan(2_000);
      // Its JS has ended: the completion in progress wins, once the notification is abandoned;
      // a second terminate meanwhile is refused as it is while the cell runs.
      const terminating = Date.now();
      const terminated = daemon.terminate(s, "1");
      await expect(daemon.terminate(s, "1")).rejects.toMatchObject({ message: "exec cell 1 is already terminating" });
      expect(await terminated).toEqual({ status: "completed", cellId: "1", items: [] });
      expect(Date.now() - terminating).toBeLessThan(1_000);

      expect((await daemon.execute(s, `notify("again");`, { cellId: "2", yieldTimeMs: 200 })).status).toBe("yielded");
      const shuttingDown = Date.now();
      await daemon.request("session/shutdown", { sessionId: s });
      expect(Date.now() - shuttingDown).toBeLessThan(1_000);
    } finally {
      daemon.notifyDelayMs = 0;
    }
  });

  it("pending timers and un-awaited promises do not keep a cell alive", async () => {
    const s = await daemon.open();
    const started = Date.now();
    const outcome = await daemon.execute(
      s,
      `setTimeout(() => text("never"), 5_000); new Promise(() => {}); text("done");`,
    );
    expect(outcome).toEqual({ status: "completed", cellId: "1", items: [{ type: "text", text: "done" }] });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("cell/started comes before any other message about the cell and cell/closed after its answer", async () => {
    const s = await daemon.open();
    await daemon.execute(s, `await tools.echo(1); text("ok")`, { toolCallId: "exec-started" });
    await eventually(() =>
      daemon.events.some((e) => e.method === "cell/closed" && (e.params as { sessionId: string }).sessionId === s),
    );
    const mine = daemon.events.filter((e) => (e.params as { sessionId?: string }).sessionId === s);
    expect(mine[0]).toEqual({
      method: "cell/started",
      params: { sessionId: s, cellId: "1", toolCallId: "exec-started" },
    });
    expect(mine.at(-1)).toEqual({ method: "cell/closed", params: { sessionId: s, cellId: "1" } });
  });
});

describe("stored values", () => {
  it("stored values are shared between cells but not sessions", async () => {
    const a = await daemon.open();
    const b = await daemon.open();
    await daemon.execute(a, `store("shared", { n: 1 }); text(load("shared").n);`);
    expect(texts(await daemon.execute(a, `text(JSON.stringify(load("shared")))`))).toEqual(['{"n":1}']);
    expect(texts(await daemon.execute(b, `text(String(load("shared")))`))).toEqual(["undefined"]);
  });

  it("a store is visible in the same cell at once, and load returns a fresh copy", async () => {
    const s = await daemon.open();
    const outcome = await daemon.execute(
      s,
      `store("o", { a: [1] }); const x = load("o"); x.a.push(2); text(load("o").a.length); text(x === load("o"));`,
    );
    expect(texts(outcome)).toEqual(["1", "false"]);
  });

  it("concurrent cells do not see each other's writes before completion", async () => {
    const s = await daemon.open();
    await daemon.execute(s, `store("k", "from 1"); await tools.sleep({ ms: 300 });`, { yieldTimeMs: 0 });
    expect(texts(await daemon.execute(s, `text(String(load("k")))`))).toEqual(["undefined"]);
    await daemon.wait(s, "1");
    expect(texts(await daemon.execute(s, `text(String(load("k")))`))).toEqual(["from 1"]);
  });

  it("writes are merged on completion even with a script error", async () => {
    const s = await daemon.open();
    await daemon.execute(s, `store("a", 1); store("b", 2);`);
    const failed = await daemon.execute(s, `store("b", 20); store("c", 30); throw new Error("late failure");`);
    expect(failed.errorText).toContain("late failure");
    expect(await daemon.request("session/storedValues", { sessionId: s })).toEqual({ values: { a: 1, b: 20, c: 30 } });
  });

  it("session/open seeds the stored values", async () => {
    const s = await daemon.open({ storedValues: { seeded: { deep: [1, 2] } } });
    expect(texts(await daemon.execute(s, `text(load("seeded").deep[1])`))).toEqual(["2"]);
  });
});

describe("concurrency", () => {
  it("cells of one session run concurrently", async () => {
    const s = await daemon.open();
    const started = Date.now();
    const outcomes = await Promise.all(
      [1, 2, 3, 4].map((i) => daemon.execute(s, `await tools.sleep({ ms: 300 }); text(${i});`)),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["completed", "completed", "completed", "completed"]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("Promise.all over several tools resolves each with its own result", async () => {
    const s = await daemon.open();
    const outcome = await daemon.execute(
      s,
      `const r = await Promise.all([tools.echo("a"), tools.sleep({ ms: 30, value: "b" }), tools.echo({ c: [3] })]); text(r);`,
    );
    expect(texts(outcome)).toEqual(['["a","b",{"c":[3]}]']);
  });

  it("a CPU-bound cell does not delay another session's tool results or yields", async () => {
    const spinner = await daemon.open();
    const other = await daemon.open();
    await daemon.execute(spinner, `while (true) {}`, { yieldTimeMs: 0 });
    const started = Date.now();
    const outcome = await daemon.execute(other, `for (let i = 0; i < 20; i++) await tools.echo(i); text("ok");`);
    expect(texts(outcome)).toEqual(["ok"]);
    expect(Date.now() - started).toBeLessThan(1_000);
    const yielded = Date.now();
    expect((await daemon.execute(other, `await tools.sleep({ ms: 500 })`, { yieldTimeMs: 20 })).status).toBe("yielded");
    expect(Date.now() - yielded).toBeLessThan(300);
    expect((await daemon.terminate(spinner, "1")).status).toBe("terminated");
  });
});
