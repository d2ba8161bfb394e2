// Damaged input at the wire level, raw bytes in and frames out: a mis-sized frame costs at
// most itself, a message nested too deep is refused the same whatever the trace level, and
// a host's stray answers never take the place of real ones.
import { MAX_MESSAGE_DEPTH, MAX_VALUE_DEPTH } from "@codemode/protocol";
import { describe, expect, it } from "vitest";
import { answersTo, frame, INIT, RawClient, type RawMessage, requestJson, UNANSWERED } from "./raw-client.js";

const FRAMINGS = ["content-length", "ndjson"] as const;

/** A `session/open` whose params hold `[[[…]]]` `depth` levels deep, as JSON text (too deep for JSON.stringify here). */
const deepOpen = (id: number, sessionId: string, depth: number) =>
  `{"jsonrpc":"2.0","id":${id},"method":"session/open","params":{"sessionId":"${sessionId}","pad":${"[".repeat(depth)}${"]".repeat(depth)}}}`;

async function initialized(client: RawClient): Promise<void> {
  await client.request(1, "initialize", INIT);
  await client.request(2, "session/open", { sessionId: "s" });
}

/** A client past `initialize` and `session/open`, with the daemon's trace level set. */
async function traced(framing: (typeof FRAMINGS)[number], trace: string): Promise<RawClient> {
  const client = new RawClient(framing);
  await initialized(client);
  client.send({ method: "$/setTrace", params: { value: trace } });
  return client;
}

/** Resolves once every id has an answer; fails the test if one comes twice. */
async function answeredOnce(client: RawClient, ids: (number | string)[]): Promise<RawMessage[]> {
  const answers = await Promise.all(ids.map((id) => client.waitFor((m) => m.method === undefined && m.id === id)));
  // Let a duplicate, if any, arrive.
  await client.request(900, "daemon/stats", {});
  for (const id of ids) expect(answersTo(client.received, id), `answers to ${JSON.stringify(id)}`).toHaveLength(1);
  return answers;
}

describe("a mis-sized Content-Length frame", () => {
  const open = (id: number, sessionId: string) => requestJson(id, "session/open", { sessionId });
  const withLength = (json: string, length: number) => `Content-Length: ${length}\r\n\r\n${json}`;

  it("counting characters instead of bytes loses only that message, answered with its id", async () => {
    const client = new RawClient("content-length");
    await initialized(client);
    const broken = requestJson(3, "cell/execute", { sessionId: "s", toolCallId: "t", source: 'text("éé")' });
    client.writeRaw(withLength(broken, broken.length) + frame("content-length", open(4, "a")));
    client.writeRaw(frame("content-length", open(5, "b")));
    const [three, four, five] = await answeredOnce(client, [3, 4, 5]);
    expect(three?.error?.code).toBe(-32700);
    expect(four?.result).toEqual({ sessionId: "a" });
    expect(five?.result).toEqual({ sessionId: "b" });
    client.close();
    await client.exited;
  });

  it.each([3, 40, 5_000])("a length %i bytes too long still lets the next message through", async (extra) => {
    const client = new RawClient("content-length");
    await initialized(client);
    const json = open(3, "long");
    client.writeRaw(withLength(json, Buffer.byteLength(json) + extra) + frame("content-length", open(4, "next")));
    const [three, four] = await answeredOnce(client, [3, 4]);
    // The frame's own message is whole: it is read as it is.
    expect(three?.result).toEqual({ sessionId: "long" });
    expect(four?.result).toEqual({ sessionId: "next" });
    client.close();
    await client.exited;
  });

  it("stray bytes between frames are skipped with a log line, and the frames after them answered", async () => {
    const client = new RawClient("content-length");
    await initialized(client);
    client.writeRaw(`}garbage\r\n${frame("content-length", open(3, "after"))}`);
    const [three] = await answeredOnce(client, [3]);
    expect(three?.result).toEqual({ sessionId: "after" });
    expect(client.stderr).toContain("not a Content-Length frame");
    client.close();
    await client.exited;
  });
});

describe("a damaged line", () => {
  it("is answered with its id where it can be read, and the lines after it are answered", async () => {
    const client = new RawClient("ndjson");
    await initialized(client);
    const broken = requestJson(3, "session/open", { sessionId: "x" }).replace('"params"', '"params"\u0000junk');
    client.writeRaw(`${broken}\n${requestJson(4, "session/open", { sessionId: "y" })}\n`);
    const [three, four] = await answeredOnce(client, [3, 4]);
    expect(three?.error?.code).toBe(-32700);
    expect(four?.result).toEqual({ sessionId: "y" });
    client.close();
    await client.exited;
  });
});

describe.each(FRAMINGS)("nesting depth, %s framing", (framing) => {
  it.each(["off", "verbose"])(
    "with trace %s, a request past the depth limit is refused with a clear error; one at the limit is answered",
    async (trace) => {
      const client = await traced(framing, trace);
      // The message is level 1, its params level 2.
      client.sendJson(deepOpen(3, "deep", MAX_MESSAGE_DEPTH - 2));
      client.sendJson(deepOpen(4, "deeper", MAX_MESSAGE_DEPTH - 1));
      client.sendJson(deepOpen(5, "deepest", 6_000));
      const [atLimit, over, far] = await answeredOnce(client, [3, 4, 5]);
      expect(atLimit?.result).toEqual({ sessionId: "deep" });
      const refused = { code: -32600, message: `message nests deeper than ${MAX_MESSAGE_DEPTH} levels` };
      expect(over?.error).toEqual(refused);
      expect(far?.error).toEqual(refused);
      expect((await client.request(6, "session/open", { sessionId: "after" })).result).toEqual({ sessionId: "after" });
      client.close();
      await client.exited;
    },
  );

  it.each(["off", "verbose"])(
    "with trace %s, a tool call whose input nests past the limit fails unsent",
    async (trace) => {
      const client = await traced(framing, trace);
      for (const [id, depth] of [
        [3, 1_500],
        [4, 5_000],
      ] as const) {
        const answer = await client.request(id, "cell/execute", {
          sessionId: "s",
          toolCallId: "t",
          enabledTools: [{ name: "x" }],
          source: `let v = []; for (let i = 1; i < ${depth}; i++) v = [v]; try { await tools.x(v); } catch (e) { text(e); }`,
        });
        expect(answer.result).toMatchObject({
          status: "completed",
          // The cell's own nesting limit, below the message's, refuses it before the wire sees it.
          items: [{ type: "text", text: `tool input nests deeper than ${MAX_VALUE_DEPTH} levels` }],
        });
      }
      expect(client.received.filter((m) => m.method === "tool/invoke")).toEqual([]);
      client.close();
      await client.exited;
    },
  );
});

describe.each(FRAMINGS)("answers matched to requests by exact id, %s framing", (framing) => {
  const answer = (id: unknown, result: unknown) => frame(framing, JSON.stringify({ jsonrpc: "2.0", id, result }));

  async function toolCall(client: RawClient, id: number) {
    const outcome = client.request(id, "cell/execute", {
      sessionId: "s",
      toolCallId: "t",
      source: "text(await tools.lookup())",
      enabledTools: [{ name: "lookup" }],
    });
    // The `id`-th request's tool call: the first tool/invoke after those of earlier cells.
    const calls = () => client.received.filter((m) => m.method === "tool/invoke");
    const call = await client.waitFor((m) => m.method === "tool/invoke" && calls().indexOf(m) === id - 3);
    return { outcome, id: call.id as number };
  }

  it("a stray answer with the same id as text never takes the place of the real one, in either order", async () => {
    const client = new RawClient(framing, () => UNANSWERED);
    await initialized(client);
    const first = await toolCall(client, 3);
    expect(typeof first.id).toBe("number");
    client.writeRaw(answer(first.id, "real") + answer(String(first.id), "stray"));
    expect((await first.outcome).result).toMatchObject({ items: [{ type: "text", text: "real" }] });
    const second = await toolCall(client, 4);
    client.writeRaw(answer(String(second.id), "stray") + answer(second.id, "real"));
    expect((await second.outcome).result).toMatchObject({ items: [{ type: "text", text: "real" }] });
    expect(client.stderr).toContain("an answer that matches no request in progress was ignored");
    client.close();
    await client.exited;
  });

  it("of two answers to one request, the first wins", async () => {
    const client = new RawClient(framing, () => UNANSWERED);
    await initialized(client);
    const call = await toolCall(client, 3);
    client.writeRaw(answer(call.id, "first") + answer(call.id, "second"));
    expect((await call.outcome).result).toMatchObject({ items: [{ type: "text", text: "first" }] });
    client.close();
    await client.exited;
  });
});
