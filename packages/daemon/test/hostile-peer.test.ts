// A host that answers in ways no well-behaved host would, and requests that race: the daemon
// stays up, answers every request once, and no session disturbs another.
import { MAX_MESSAGE_DEPTH } from "@codemode/protocol";
import { describe, expect, it } from "vitest";
import { INIT, RawClient, type RawMessage, RawResult, UNANSWERED } from "./raw-client.js";

/** `[[[…]]]`, `depth` levels deep, as JSON text. */
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

async function started(client: RawClient): Promise<void> {
  await client.request(1, "initialize", INIT);
  await client.request(2, "session/open", { sessionId: "s" });
}

const execute = (client: RawClient, id: number, cellId: string, source: string, sessionId = "s") =>
  client.request(id, "cell/execute", {
    sessionId,
    cellId,
    toolCallId: "t",
    source,
    enabledTools: [{ name: "answer" }],
  });

const texts = (answer: RawMessage) =>
  ((answer.result as { items: { text: string }[] }).items ?? []).map((item) => item.text);

describe("a host's odd answers to tool calls", () => {
  it("a result nested deeper than the message depth limit rejects the call; the daemon stays up", async () => {
    const client = new RawClient("ndjson", () => new RawResult(nested(100_000)));
    await started(client);
    const answer = await execute(client, 3, "1", `try { await tools.answer(); } catch (e) { text(e); }`);
    expect(texts(answer)).toEqual([`the peer's answer nests deeper than ${MAX_MESSAGE_DEPTH} levels`]);
    expect(texts(await execute(client, 4, "2", `text("still here")`))).toEqual(["still here"]);
    client.close();
    expect(await client.exited).toBe(1);
  });

  it("an error that is not { code, message } rejects the call with a clear text instead of hanging it", async () => {
    const client = new RawClient("ndjson", () => UNANSWERED);
    await started(client);
    const answer = execute(client, 3, "1", `try { await tools.answer(); } catch (e) { text(e); }`);
    const call = await client.waitFor((m) => m.method === "tool/invoke");
    client.sendJson(`{"jsonrpc":"2.0","id":${JSON.stringify(call.id)},"error":{"code":1,"message":${nested(20_000)}}}`);
    expect(texts(await answer)).toEqual(["the peer answered with a malformed error"]);
    client.close();
    await client.exited;
  });
});

describe("a host's answers in other libraries' shapes", () => {
  it('a result beside "error": null is a result', async () => {
    const client = new RawClient("ndjson", () => UNANSWERED);
    await started(client);
    const answer = execute(client, 3, "1", `text(await tools.answer());`);
    const call = await client.waitFor((m) => m.method === "tool/invoke");
    client.sendJson(`{"jsonrpc":"2.0","id":${JSON.stringify(call.id)},"result":"ok","error":null}`);
    expect(texts(await answer)).toEqual(["ok"]);
    client.close();
    await client.exited;
  });
});

describe("requests that race", () => {
  it("a request reusing the id of one in progress is refused, and the first is still answered", async () => {
    const client = new RawClient("ndjson");
    await client.request(1, "initialize", INIT);
    client.writeRaw(
      `${JSON.stringify({ jsonrpc: "2.0", id: 7, method: "session/open", params: { sessionId: "x" } })}\n` +
        `${JSON.stringify({ jsonrpc: "2.0", id: "7", method: "session/open", params: { sessionId: "y" } })}\n`,
    );
    await client.waitFor((m) => m.id === 7 && m.result !== undefined);
    await client.waitFor((m) => m.id === "7" && m.error !== undefined);
    const answers = client.received.filter((m) => m.id === 7 || m.id === "7");
    expect(answers).toHaveLength(2);
    expect(answers.find((m) => m.error)?.error).toEqual({
      code: -32600,
      message: "request id 7 is in use by a request in progress",
    });
    // Session x was opened; y was not.
    expect((await client.request(8, "session/open", { sessionId: "x" })).error?.code).toBe(-32016);
    expect((await client.request(9, "session/open", { sessionId: "y" })).result).toEqual({ sessionId: "y" });
    client.close();
    await client.exited;
  });

  it("a spinning cell terminated in the same breath as its start ends alone: its worker's other cells live on", async () => {
    // One worker for every session, so that a replaced worker would take the other cell with it.
    const client = new RawClient("ndjson", () => null, ["--max-workers", "1"]);
    await started(client);
    await client.request(3, "session/open", { sessionId: "other" });
    await client.request(4, "session/open", { sessionId: "busy" });
    const other = execute(client, 5, "o", `await new Promise((r) => setTimeout(r, 2_000)); text("alive");`, "other");
    // A builtin that does not check for interrupts keeps the worker from its messages for a
    // while, so that the start and the stop below reach it together.
    const busy = execute(client, 6, "b", `new Array(3e7).indexOf(1); text("done");`, "busy");
    await new Promise((resolve) => setTimeout(resolve, 30));
    client.writeRaw(
      `${JSON.stringify({ jsonrpc: "2.0", id: 7, method: "cell/execute", params: { sessionId: "s", cellId: "spin", toolCallId: "t", source: "while (true) {}", yieldTimeMs: 60_000 } })}\n` +
        `${JSON.stringify({ jsonrpc: "2.0", id: 8, method: "cell/terminate", params: { sessionId: "s", cellId: "spin" } })}\n`,
    );
    const terminated = await client.waitFor((m) => m.id === 8);
    expect((terminated.result as { status: string }).status).toBe("terminated");
    expect(texts(await busy)).toEqual(["done"]);
    expect(texts(await other)).toEqual(["alive"]);
    client.close();
    await client.exited;
  });
});
