// End of input, as a one-shot pipe gives it (`printf … | codemode-daemon`, Python's
// `subprocess.run(input=…)`): every message already read is handled in order and answered,
// cells that need nothing from the host finish, and the exit code follows LSP.
import { describe, expect, it } from "vitest";
import { HOST_INPUT_ENDED } from "../src/rpc/host-link.js";
import { answersTo, frame, INIT, oneShot, type RawFraming, requestJson } from "./raw-client.js";

const conversation = (framing: RawFraming, ...messages: string[]) =>
  messages.map((json) => frame(framing, json)).join("");

const execute = (id: number, source: string, extra: Record<string, unknown> = {}) =>
  requestJson(id, "cell/execute", { sessionId: "s", toolCallId: "t", source, ...extra });

const opening = [requestJson(1, "initialize", INIT), requestJson(2, "session/open", { sessionId: "s" })];

describe.each(["content-length", "ndjson"] as const)("end of input, %s framing", (framing) => {
  it("a one-shot conversation gets every answer once and exits 0 after shutdown", async () => {
    const input = conversation(
      framing,
      ...opening,
      execute(3, "text(6*7)"),
      requestJson(4, "shutdown"),
      JSON.stringify({ jsonrpc: "2.0", method: "exit" }),
    );
    const { messages, code } = await oneShot(framing, input);
    for (const id of [1, 2, 3, 4]) expect(answersTo(messages, id), `answers to ${id}`).toHaveLength(1);
    expect(answersTo(messages, 3)[0]?.result).toMatchObject({ cellId: "1" });
    expect(answersTo(messages, 4)[0]?.result).toBeNull();
    expect(code).toBe(0);
  });

  it("without shutdown, a cell that needs nothing from the host finishes, and the exit code is 1", async () => {
    const source = "await new Promise((resolve) => setTimeout(resolve, 200)); text(6*7)";
    const { messages, code } = await oneShot(framing, conversation(framing, ...opening, execute(3, source)));
    expect(answersTo(messages, 3)[0]?.result).toEqual({
      status: "completed",
      cellId: "1",
      items: [{ type: "text", text: "42" }],
    });
    expect(code).toBe(1);
  });

  it("a tool call after the end of input fails at once with a clear text, and the cell goes on", async () => {
    const source = `try { await tools.lookup(); } catch (e) { text(e); }`;
    const input = conversation(framing, ...opening, execute(3, source, { enabledTools: [{ name: "lookup" }] }));
    const { messages } = await oneShot(framing, input);
    expect(answersTo(messages, 3)[0]?.result).toEqual({
      status: "completed",
      cellId: "1",
      items: [{ type: "text", text: HOST_INPUT_ENDED }],
    });
  });

  it("a cell still running at the end of the grace is terminated with its items", async () => {
    const source = `text("before"); await new Promise((resolve) => setTimeout(resolve, 60_000)); text("after")`;
    const input = conversation(framing, ...opening, execute(3, source, { yieldTimeMs: 60_000 }));
    const start = Date.now();
    const { messages, code } = await oneShot(framing, input, ["--framing", framing, "--eof-grace-ms", "300"]);
    expect(answersTo(messages, 3)[0]?.result).toEqual({
      status: "terminated",
      cellId: "1",
      items: [{ type: "text", text: "before" }],
    });
    expect(Date.now() - start).toBeLessThan(10_000);
    expect(code).toBe(1);
  });
});

describe("end of input, framing details", () => {
  it("a last line without its newline is still a message", async () => {
    const input = `${requestJson(1, "initialize", INIT)}\n${requestJson(2, "session/open", { sessionId: "s" })}`;
    const { messages } = await oneShot("ndjson", input);
    expect(answersTo(messages, 2)[0]?.result).toEqual({ sessionId: "s" });
  });

  it("`exit` ends the input as its end would: what was read is still answered", async () => {
    const input = conversation(
      "ndjson",
      ...opening,
      JSON.stringify({ jsonrpc: "2.0", method: "exit" }),
      requestJson(3, "daemon/stats", {}),
    );
    const { messages, code } = await oneShot("ndjson", input);
    expect(answersTo(messages, 2)).toHaveLength(1);
    expect(code).toBe(1);
  });
});
