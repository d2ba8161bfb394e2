// The client library over the real daemon: the CodeModeSession contract of SPEC §2.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CodeModeClient, CodeModeError, type CodeModeSessionDelegate, type NestedToolCall } from "../src/index.js";
import { committedValues } from "../src/testing.js";

const tools = [
  { name: "add", description: "adds a and b" },
  { name: "explode", description: "always fails" },
  { name: "shout", description: "throws a string" },
  { name: "slow", description: "waits for its signal" },
];

function recordingDelegate() {
  const calls: NestedToolCall[] = [];
  const closed: string[] = [];
  const notes: string[] = [];
  const aborted: string[] = [];
  const delegate: CodeModeSessionDelegate = {
    async invokeTool(call, signal) {
      calls.push(call);
      const input = call.input as { a: number; b: number } | undefined;
      switch (call.tool.name) {
        case "add":
          return (input?.a ?? 0) + (input?.b ?? 0);
        case "explode":
          throw new Error("kaboom");
        case "shout":
          throw "plain string failure";
        default:
          return new Promise((_, reject) =>
            signal.addEventListener("abort", () => {
              aborted.push(call.callId);
              reject(new Error("aborted"));
            }),
          );
      }
    },
    async notify(notification) {
      notes.push(`${notification.callId}: ${notification.text}`);
    },
    cellClosed(cellId) {
      closed.push(cellId);
    },
  };
  return { delegate, calls, closed, notes, aborted };
}

let client: CodeModeClient;
beforeAll(async () => {
  client = await CodeModeClient.start();
});
afterAll(async () => {
  await client.close();
});

describe("CodeModeSession over the daemon", () => {
  it("execute resolves once the cell is admitted and initialResponse carries the first observation", async () => {
    const { delegate, calls } = recordingDelegate();
    const session = await client.openSession({ delegate });
    const started = await session.execute({
      toolCallId: "exec-1",
      source: `text(await tools.add({ a: 2, b: 3 }));`,
      enabledTools: tools,
    });
    expect(started.cellId).toBe("1");
    expect(await started.initialResponse).toEqual({
      status: "completed",
      cellId: "1",
      items: [{ type: "text", text: "5" }],
    });
    expect(calls).toEqual([
      { cellId: "1", callId: "tool-1", tool: { name: "add" }, kind: "function", input: { a: 2, b: 3 } },
    ]);
    await session.shutdown();
  });

  it("a thrown Error becomes its message in the JS rejection, a thrown string itself", async () => {
    const { delegate } = recordingDelegate();
    const session = await client.openSession({ delegate });
    const started = await session.execute({
      toolCallId: "exec-2",
      source: `for (const t of [tools.explode, tools.shout]) { try { await t(); } catch (e) { text(typeof e + ": " + e); } }`,
      enabledTools: tools,
    });
    expect((await started.initialResponse).items).toEqual([
      { type: "text", text: "string: kaboom" },
      { type: "text", text: "string: plain string failure" },
    ]);
    await session.shutdown();
  });

  it("wait and terminate observe the cell, and the delegate's signal aborts when the daemon cancels", async () => {
    const { delegate, aborted, notes } = recordingDelegate();
    const session = await client.openSession({ delegate });
    const started = await session.execute({
      toolCallId: "exec-3",
      source: `notify("begin"); text("waiting"); await tools.slow();`,
      enabledTools: tools,
      yieldTimeMs: 200,
    });
    expect(await started.initialResponse).toEqual({
      status: "yielded",
      cellId: "1",
      items: [{ type: "text", text: "waiting" }],
    });
    expect(await session.wait({ cellId: "1", yieldTimeMs: 50 })).toEqual({ status: "yielded", cellId: "1", items: [] });
    expect(await session.terminate("1")).toEqual({ status: "terminated", cellId: "1", items: [] });
    expect(aborted).toEqual(["tool-1"]);
    expect(notes).toEqual(["exec-3: begin"]);
    expect(await session.wait({ cellId: "1" })).toEqual({
      status: "missing",
      cellId: "1",
      items: [],
      errorText: "exec cell 1 not found",
    });
    await session.shutdown();
  });

  it("cellClosed is called once per cell, after its answer", async () => {
    const { delegate, closed } = recordingDelegate();
    const session = await client.openSession({ delegate });
    for (let i = 0; i < 3; i++) {
      const started = await session.execute({ toolCallId: `exec-${i}`, source: `text(${i})` });
      await started.initialResponse;
    }
    const spinning = await session.execute({ toolCallId: "spin", source: `while (true) {}`, yieldTimeMs: 10 });
    await spinning.initialResponse;
    await session.terminate(spinning.cellId);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toEqual(["1", "2", "3", "4"]);
    await session.shutdown();
  });

  it("shutdown closes every live cell once, and a concurrent shutdown waits for the same end", async () => {
    const { delegate, closed } = recordingDelegate();
    const session = await client.openSession({ delegate });
    await (await session.execute({ toolCallId: "a", source: "text(1)" })).initialResponse;
    const spinning = await session.execute({ toolCallId: "spin", source: "while (true) {}", yieldTimeMs: 10 });
    await spinning.initialResponse;
    const first = session.shutdown();
    await session.shutdown();
    expect(closed).toEqual(["1", "2"]);
    await first;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toEqual(["1", "2"]);
  });

  it("a tool call past the session's toolCallTimeoutMs fails in the cell, and the delegate's signal aborts", async () => {
    const { delegate, aborted } = recordingDelegate();
    const session = await client.openSession({ delegate, toolCallTimeoutMs: 200 });
    const started = await session.execute({
      toolCallId: "t",
      source: `try { await tools.slow(); } catch (e) { text(e); } text(await tools.add({ a: 1, b: 2 }));`,
      enabledTools: tools,
    });
    expect(await started.initialResponse).toEqual({
      status: "completed",
      cellId: "1",
      items: [
        { type: "text", text: "tool call timed out after 200 ms" },
        { type: "text", text: "3" },
      ],
    });
    expect(aborted).toEqual(["tool-1"]);
    await session.shutdown();
  });

  it("bad options, refused cells and aborted waits fail at once, and a refused cell keeps its id free", async () => {
    const { delegate } = recordingDelegate();
    for (const toolCallTimeoutMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 3_000_000_000]) {
      await expect(client.openSession({ delegate, toolCallTimeoutMs })).rejects.toMatchObject({ code: -32602 });
    }
    const session = await client.openSession({ delegate });
    await expect(session.execute({ toolCallId: "t", source: "text(1)", yieldTimeMs: -1 })).rejects.toMatchObject({
      code: -32602,
    });
    const started = await session.execute({
      toolCallId: "t",
      source: "await tools.slow()",
      enabledTools: tools,
      yieldTimeMs: 0,
    });
    expect(started.cellId).toBe("1");
    await started.initialResponse;
    const waiting = Date.now();
    await expect(session.wait({ cellId: "1", yieldTimeMs: 5_000, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: -32800,
    });
    expect(Date.now() - waiting).toBeLessThan(1_000);
    await session.shutdown();
  });

  it("a tool result JSON cannot hold at the top is null; one it cannot hold at all fails the call", async () => {
    const session = await client.openSession({
      delegate: {
        invokeTool: async (call) =>
          (call.tool.name === "explode" ? { big: 10n } : () => "a function") as unknown as null,
        notify: async () => {},
      },
    });
    const started = await session.execute({
      toolCallId: "t",
      source: `text(await tools.add()); try { await tools.explode(); } catch (e) { text(e); }`,
      enabledTools: tools,
    });
    const outcome = await started.initialResponse;
    expect(outcome.items[0]).toEqual({ type: "text", text: "null" });
    expect(outcome.items[1]).toMatchObject({ type: "text", text: expect.stringMatching(/^result is not JSON: /) });
    await session.shutdown();
  });

  it("with a deadline, calls the daemon cancelled before they were dispatched reach the delegate aborted", async () => {
    const signals: boolean[] = [];
    const session = await client.openSession({
      toolCallTimeoutMs: 5_000,
      delegate: {
        invokeTool: async (_call, signal) => {
          signals.push(signal.aborted);
          return null;
        },
        notify: async () => {},
      },
    });
    // Calls nobody awaits are cancelled as the cell ends, most before the host dispatched them.
    const started = await session.execute({
      toolCallId: "t",
      source: `for (let i = 0; i < 100; i++) tools.add({});`,
      enabledTools: tools,
    });
    await started.initialResponse;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(signals.filter((aborted) => aborted).length).toBeGreaterThan(0);
    await session.shutdown();
  });

  it("errors are CodeModeErrors carrying the protocol code", async () => {
    const { delegate } = recordingDelegate();
    const session = await client.openSession({ delegate });
    const started = await session.execute({
      toolCallId: "busy",
      source: `await tools.slow()`,
      enabledTools: tools,
      yieldTimeMs: 0,
    });
    await started.initialResponse;
    const first = session.wait({ cellId: started.cellId, yieldTimeMs: 60_000 });
    const second = session.wait({ cellId: started.cellId });
    await expect(second).rejects.toBeInstanceOf(CodeModeError);
    await expect(second).rejects.toMatchObject({ code: -32013, message: "exec cell 1 already has an active observer" });
    await session.terminate(started.cellId);
    expect((await first).status).toBe("terminated");
    await session.shutdown();
    expect(session.isAlive()).toBe(false);
    await expect(session.execute({ toolCallId: "late", source: "text(1)" })).rejects.toMatchObject({ code: -32011 });
  });

  it("a cancelled wait answers -32800 and leaves the cell running", async () => {
    const { delegate } = recordingDelegate();
    const session = await client.openSession({ delegate });
    const started = await session.execute({
      toolCallId: "c",
      source: `text("x"); await tools.slow();`,
      enabledTools: tools,
      yieldTimeMs: 0,
    });
    await started.initialResponse;
    const controller = new AbortController();
    const waiting = session.wait({ cellId: started.cellId, yieldTimeMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(waiting).rejects.toMatchObject({ code: -32800 });
    expect(await session.wait({ cellId: started.cellId, yieldTimeMs: 10 })).toMatchObject({ status: "yielded" });
    await session.shutdown();
  });

  it("a second open of an id still being opened fails at once (-32016), and the first session keeps its lease", async () => {
    const { delegate } = recordingDelegate();
    const [first, second] = await Promise.allSettled([
      client.openSession({ delegate, sessionId: "opened-twice" }),
      client.openSession({ delegate, sessionId: "opened-twice" }),
    ]);
    expect(second).toMatchObject({ status: "rejected", reason: { code: -32016 } });
    if (first.status !== "fulfilled") throw first.reason;
    const started = await first.value.execute({ toolCallId: "t", source: `text("still mine")` });
    expect(await started.initialResponse).toMatchObject({
      status: "completed",
      items: [{ type: "text", text: "still mine" }],
    });
    await first.value.shutdown();
  });

  it("stored values committed by cells are kept by the client", async () => {
    const { delegate } = recordingDelegate();
    const session = await client.openSession({ delegate, storedValues: { seed: 1 } });
    const started = await session.execute({ toolCallId: "s", source: `store("count", load("seed") + 1)` });
    await started.initialResponse;
    expect(committedValues(session)).toEqual({ seed: 1, count: 2 });
    await session.shutdown();
  });

  it("a stored value under the key __proto__ is kept as an own property", async () => {
    const { delegate } = recordingDelegate();
    const session = await client.openSession({ delegate });
    const started = await session.execute({ toolCallId: "s", source: `store("__proto__", { polluted: true })` });
    await started.initialResponse;
    expect(Object.keys(committedValues(session))).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(committedValues(session))).toBe(Object.prototype);
    expect(JSON.stringify(committedValues(session))).toBe('{"__proto__":{"polluted":true}}');
    await session.shutdown();
  });
});

describe("connecting", () => {
  it("connects over any pair of streams and disposes with await using", async () => {
    const bin = createRequire(import.meta.url).resolve("@codemode/daemon/bin");
    const child = spawn(process.execPath, [bin], { stdio: ["pipe", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    {
      await using streamed = await CodeModeClient.start({ streams: { input: child.stdout, output: child.stdin } });
      await using session = await streamed.openSession({ delegate: recordingDelegate().delegate });
      const started = await session.execute({ toolCallId: "s", source: `text("over streams")` });
      expect((await started.initialResponse).items).toEqual([{ type: "text", text: "over streams" }]);
    }
    expect(await exited).toBe(0);
  });
});
