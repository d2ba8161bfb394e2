// Limits over the real daemon: per-cell limits with session overrides, daemon capacity and
// its policy, and the watchdog for builtins that ignore interrupts.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DAEMON_BIN, startDaemon, texts } from "./harness.js";

describe("per-cell limits", () => {
  it("each limit ends the cell with an errorText naming it, and a session may override it", async () => {
    const daemon = await startDaemon();
    const s = await daemon.open({
      limits: {
        cpuTimeMs: 300,
        heapBytes: 8 * 1024 * 1024,
        timers: 3,
        pendingToolCalls: 2,
        payloadBytes: 1024,
        outputBytes: 4096,
        storedBytes: 2048,
      },
    });
    const error = async (source: string) => (await daemon.execute(s, source)).errorText;
    expect(await error(`while (true) {}`)).toBe("exec cell exceeded its CPU time limit (cpuTimeMs: 300)");
    expect(await error(`const a = []; for (;;) a.push({ n: a.length })`)).toBe(
      "exec cell exceeded its memory limit (heapBytes: 8 MiB)",
    );
    expect(await error(`for (let i = 0; i < 4; i++) setTimeout(() => {}, 1000)`)).toBe(
      "exec cell exceeded its live timer limit (timers: 3)",
    );
    expect(await error(`tools.hang(); tools.hang(); await tools.hang();`)).toBe(
      "exec cell exceeded its pending tool call limit (pendingToolCalls: 2)",
    );
    expect(await error(`text("x".repeat(2000))`)).toBe("text exceeds the payload size limit (1 KiB)");
    expect(await error(`await tools.echo("x".repeat(2000))`)).toBe("tool input exceeds the payload size limit (1 KiB)");
    expect(await error(`for (let i = 0; i < 10; i++) text("y".repeat(1000)); await tools.sleep({ ms: 50 });`)).toBe(
      "exec cell exceeded its undelivered output limit (outputBytes: 4 KiB)",
    );
    expect(await error(`store("a", "x".repeat(900)); store("b", "y".repeat(900)); store("c", "z".repeat(900));`)).toBe(
      "stored values exceed the session's limit (storedBytes: 2 KiB)",
    );
    // What a cell stored before the refusal is kept, and replacing a value with a smaller one
    // is always allowed.
    expect((await daemon.request("session/storedValues", { sessionId: s })) as unknown).toEqual({
      values: { a: "x".repeat(900), b: "y".repeat(900) },
    });
    expect(await error(`store("a", "small"); text(load("a"));`)).toBeUndefined();
    const deep = await error(`function f(n) { return n === 0 ? 0 : 1 + f(n - 1); } f(1e6);`);
    expect(deep).toMatch(/^(InternalError|RangeError): .*stack/);
    // A stack past what the engine thread holds is refused when the session opens.
    await expect(daemon.open({ limits: { stackBytes: 2 * 1024 * 1024 } })).rejects.toMatchObject({ code: -32602 });
    // The defaults apply to a session that sets nothing.
    const other = await daemon.open();
    expect(texts(await daemon.execute(other, `text("x".repeat(2000).length)`))).toEqual(["2000"]);
    await daemon.close();
  });
});

describe("daemon limits", () => {
  it("refuses sessions beyond --max-sessions", async () => {
    const daemon = await startDaemon(["--max-sessions", "2"]);
    await daemon.open();
    await daemon.open();
    await expect(daemon.open()).rejects.toMatchObject({ code: -32015, message: "too many sessions (maxSessions: 2)" });
    await daemon.close();
  });

  it("at --max-cells an uncollected completion gives its slot, else the error names the holders", async () => {
    const daemon = await startDaemon(["--max-cells", "2"]);
    const s = await daemon.open();
    await daemon.execute(s, `await tools.hang()`, { yieldTimeMs: 0 });
    await daemon.execute(s, `await tools.sleep({ ms: 20 }); text("never collected")`, { yieldTimeMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Cell 2's completion is buffered: it gives way to the new cell, and is gone.
    expect((await daemon.execute(s, `await tools.hang()`, { yieldTimeMs: 0 })).cellId).toBe("3");
    expect((await daemon.wait(s, "2")).status).toBe("missing");
    await expect(daemon.execute(s, `text(1)`)).rejects.toMatchObject({
      code: -32015,
      message: `too many live cells (maxCells: 2); held by ${s}/1, ${s}/3`,
    });
    await daemon.close();
  });
});

describe("watchdog", () => {
  it("replaces a worker stuck in a builtin that ignores interrupts; only its cells are affected", async () => {
    const daemon = await startDaemon(["--max-workers", "4"]);
    const stuck = await daemon.open({ limits: { cpuTimeMs: 500 } });
    const healthy = await daemon.open();
    const sibling = await daemon.execute(stuck, `await tools.sleep({ ms: 10_000 })`, { yieldTimeMs: 0 });
    const started = Date.now();
    const outcome = await daemon.execute(stuck, `text("before"); new Array(1e9).join("")`, { yieldTimeMs: 60_000 });
    expect(outcome).toEqual({
      status: "completed",
      cellId: "2",
      items: [{ type: "text", text: "before" }],
      errorText: "exec cell exceeded its CPU time limit (cpuTimeMs: 500)",
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await daemon.wait(stuck, sibling.cellId)).errorText).toMatch(
      /^exec runtime ended unexpectedly: its engine worker was replaced/,
    );
    expect(texts(await daemon.execute(healthy, `text(await tools.echo("fine"))`))).toEqual(["fine"]);
    expect(texts(await daemon.execute(stuck, `text("the session goes on")`))).toEqual(["the session goes on"]);
    await daemon.close();
  });

  it("terminate stops a cell stuck in such a builtin within a bounded time", async () => {
    const daemon = await startDaemon();
    const s = await daemon.open();
    await daemon.execute(s, `new Array(1e9).join("")`, { yieldTimeMs: 100 });
    const started = Date.now();
    expect((await daemon.terminate(s, "1")).status).toBe("terminated");
    expect(Date.now() - started).toBeLessThan(2_000);
    await daemon.close();
  });
});

describe("the command line", () => {
  it("prints --help and --version and refuses unknown flags", () => {
    expect(execFileSync(process.execPath, [DAEMON_BIN, "--help"]).toString()).toContain(
      "--framing <content-length|ndjson>",
    );
    expect(execFileSync(process.execPath, [DAEMON_BIN, "--version"]).toString()).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(() => execFileSync(process.execPath, [DAEMON_BIN, "--bogus"], { stdio: "pipe" })).toThrow();
  });
});
