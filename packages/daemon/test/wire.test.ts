// SPEC §5 over real pipes with a hand-written client: both framings, the LSP lifecycle,
// params validation, and a reverse tool/invoke.
import { describe, expect, it } from "vitest";
import { INIT, RawClient } from "./raw-client.js";

describe.each(["content-length", "ndjson"] as const)("a raw client with %s framing", (framing) => {
  it("runs a cell whose tool call round-trips through the host", async () => {
    const client = new RawClient(framing, (m) => {
      const params = m.params as { tool: { name: string }; input: { n: number } };
      return { doubled: params.input.n * 2, tool: params.tool.name };
    });
    expect((await client.request(1, "initialize", INIT)).result).toMatchObject({ protocolVersion: "1.0" });
    client.send({ method: "initialized", params: {} });
    const { result } = await client.request(2, "session/open", { sessionId: "raw-session" });
    expect(result).toEqual({ sessionId: "raw-session" });
    const executed = await client.request(3, "cell/execute", {
      sessionId: "raw-session",
      toolCallId: "call-raw",
      source: `const r = await tools.double({ n: 21 }); text(r.doubled + " from " + r.tool);`,
      enabledTools: [{ name: "double", description: "doubles n" }],
    });
    expect(executed.result).toEqual({
      status: "completed",
      cellId: "1",
      items: [{ type: "text", text: "42 from double" }],
    });
    const invoke = client.received.find((m) => m.method === "tool/invoke");
    expect(invoke?.params).toEqual({
      sessionId: "raw-session",
      cellId: "1",
      callId: "tool-1",
      tool: { name: "double" },
      kind: "function",
      input: { n: 21 },
    });
    const started = client.received.find((m) => m.method === "cell/started");
    expect(started?.params).toEqual({ sessionId: "raw-session", cellId: "1", toolCallId: "call-raw" });
    expect(client.received.indexOf(started as never)).toBeLessThan(client.received.indexOf(invoke as never));
    await client.waitFor((m) => m.method === "cell/closed");
    expect((await client.request(4, "shutdown")).result).toBeNull();
    client.send({ method: "exit" });
    expect(await client.exited).toBe(0);
  });
});

describe("lifecycle", () => {
  it("answers -32002 to requests before initialize, known or not, and drops notifications", async () => {
    const client = new RawClient("ndjson");
    const response = await client.request(1, "session/open", {});
    expect(response.error?.code).toBe(-32002);
    expect((await client.request(2, "no/such", {})).error?.code).toBe(-32002);
    client.send({ method: "$/setTrace", params: { value: "verbose" } });
    await client.request(3, "initialize", INIT);
    await client.request(4, "session/open", { sessionId: "untraced" });
    expect(client.received.some((m) => m.method === "$/logTrace")).toBe(false);
    client.close();
    await client.exited;
  });

  it("answers a second initialize with -32600", async () => {
    const client = new RawClient("ndjson");
    await client.request(1, "initialize", INIT);
    expect((await client.request(2, "initialize", INIT)).error).toEqual({
      code: -32600,
      message: "already initialized",
    });
    client.close();
    await client.exited;
  });

  it("exits with 0 when stdin closes after shutdown", async () => {
    const client = new RawClient("ndjson");
    await client.request(1, "initialize", INIT);
    await client.request(2, "shutdown");
    client.close();
    expect(await client.exited).toBe(0);
  });

  it("exits with 1 on exit without shutdown, and on stdin EOF", async () => {
    const first = new RawClient("ndjson");
    await first.request(1, "initialize", INIT);
    first.send({ method: "exit" });
    expect(await first.exited).toBe(1);
    const second = new RawClient("ndjson");
    await second.request(1, "initialize", INIT);
    second.close();
    expect(await second.exited).toBe(1);
  });

  it("refuses requests after shutdown", async () => {
    const client = new RawClient("ndjson");
    await client.request(1, "initialize", INIT);
    await client.request(2, "shutdown");
    expect((await client.request(3, "session/open", {})).error?.code).toBe(-32600);
    client.send({ method: "exit" });
    expect(await client.exited).toBe(0);
  });

  it("refuses another protocol major version", async () => {
    const client = new RawClient("ndjson");
    expect((await client.request(1, "initialize", { protocolVersion: "2.0" })).error?.code).toBe(-32017);
    client.close();
    await client.exited;
  });
});

describe("cells over the wire", () => {
  it("cell/closed comes after the answer that closed the cell", async () => {
    const client = new RawClient("ndjson");
    await client.request(1, "initialize", INIT);
    await client.request(2, "session/open", { sessionId: "s" });
    for (let id = 3; id < 8; id++) {
      await client.request(id, "cell/execute", {
        sessionId: "s",
        cellId: `c${id}`,
        toolCallId: "t",
        source: "text(1)",
      });
    }
    await client.waitFor((m) => m.method === "cell/closed" && (m.params as { cellId: string }).cellId === "c7");
    for (let id = 3; id < 8; id++) {
      const answer = client.received.findIndex((m) => m.id === id && m.method === undefined);
      const closed = client.received.findIndex(
        (m) => m.method === "cell/closed" && (m.params as { cellId: string }).cellId === `c${id}`,
      );
      expect(answer).toBeGreaterThanOrEqual(0);
      expect(closed).toBeGreaterThan(answer);
    }
    client.close();
    await client.exited;
  });

  it("a cancelled cell/execute answers -32800 and its cell keeps running", async () => {
    const client = new RawClient("ndjson");
    await client.request(1, "initialize", INIT);
    await client.request(2, "session/open", { sessionId: "s" });
    const source = `text("one"); await new Promise((resolve) => setTimeout(resolve, 300)); text("two");`;
    const answer = client.request(3, "cell/execute", { sessionId: "s", cellId: "c", toolCallId: "t", source });
    await client.waitFor((m) => m.method === "cell/started");
    client.send({ method: "$/cancelRequest", params: { id: 3 } });
    expect((await answer).error?.code).toBe(-32800);
    const waited = await client.request(4, "cell/wait", { sessionId: "s", cellId: "c" });
    expect(waited.result).toEqual({
      status: "completed",
      cellId: "c",
      items: [
        { type: "text", text: "one" },
        { type: "text", text: "two" },
      ],
    });
    client.close();
    await client.exited;
  });
});

describe("tracing", () => {
  it("$/setTrace makes the daemon report each message with $/logTrace", async () => {
    const client = new RawClient("ndjson");
    await client.request(1, "initialize", INIT);
    client.send({ method: "$/setTrace", params: { value: "verbose" } });
    await client.request(2, "session/open", { sessionId: "traced" });
    const trace = await client.waitFor((m) => m.method === "$/logTrace");
    expect((trace.params as { message: string }).message).toMatch(/session\/open/);
    client.close();
    await client.exited;
  });
});

describe("bad requests", () => {
  it("answers unknown methods with -32601 and bad params with -32602 naming the path", async () => {
    const client = new RawClient("ndjson");
    await client.request(1, "initialize", INIT);
    expect((await client.request(2, "cell/explode", {})).error?.code).toBe(-32601);
    const bad = await client.request(3, "cell/execute", { sessionId: "s", toolCallId: 5, source: "text(1)" });
    expect(bad.error?.code).toBe(-32602);
    expect(bad.error?.message).toContain("params.toolCallId");
    const unknown = await client.request(4, "cell/wait", { sessionId: "nope", cellId: "1" });
    expect(unknown.error).toEqual({ code: -32010, message: "unknown session nope" });
    // Unknown optional fields are tolerated.
    const open = await client.request(5, "session/open", { sessionId: "x", futureField: true });
    expect(open.result).toEqual({ sessionId: "x" });
    expect((await client.request(6, "session/open", { sessionId: "x" })).error?.code).toBe(-32016);
    client.close();
    await client.exited;
  });

  it("ignores a $/cancelRequest without a usable id", async () => {
    const client = new RawClient("ndjson");
    await client.request(1, "initialize", INIT);
    client.send({ jsonrpc: "2.0", method: "$/cancelRequest" });
    client.send({ jsonrpc: "2.0", method: "$/cancelRequest", params: {} });
    client.send({ jsonrpc: "2.0", method: "$/cancelRequest", params: { id: null } });
    client.send({ jsonrpc: "2.0", method: "$/cancelRequest", params: [] });
    expect((await client.request(2, "session/open", { sessionId: "after" })).result).toEqual({ sessionId: "after" });
    client.close();
    expect(await client.exited).toBe(1);
  });
});

describe.each(["content-length", "ndjson"] as const)("large messages in %s framing", (framing) => {
  it("reads a message near the size limit in time linear in its size, and carries on", {
    timeout: 30_000,
  }, async () => {
    const client = new RawClient(framing);
    await client.request(1, "initialize", INIT);
    // 60 MiB arrive in about a thousand chunks; holding them with a copy of everything per
    // chunk took ≈ 15 s of the main thread, reading them linearly takes well under a second.
    const pad = "x".repeat(60 * 1024 * 1024);
    const start = performance.now();
    const answer = await client.request(2, "daemon/stats", { pad });
    expect(performance.now() - start).toBeLessThan(6_000);
    expect(answer.result).toMatchObject({ sessions: 0 });
    expect((await client.request(3, "session/open", { sessionId: "after" })).result).toEqual({ sessionId: "after" });
    client.close();
  });
});
