import type { JsonValue, ToolInvokeParams } from "@codemode/protocol";
import { describe, expect, it } from "vitest";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import type { CellHost } from "./cell.js";
import { type HostPeer, PeerGone, SessionHost } from "./session-host.js";

const call: ToolInvokeParams = { sessionId: "s", cellId: "1", callId: "tool-1", tool: { name: "t" }, kind: "function" };
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A connection that records what it was sent; its tool calls settle as `answer` says. */
function peer(answer: () => Promise<JsonValue>) {
  const sent: string[] = [];
  const host: CellHost = {
    invokeTool: (params) => {
      sent.push(`tool/invoke ${params.callId}`);
      return answer();
    },
    notify: async () => {},
  };
  const connection: HostPeer = {
    host,
    events: {
      cellStarted: (_s, cellId) => sent.push(`cell/started ${cellId}`),
      cellClosed: (_s, cellId) => sent.push(`cell/closed ${cellId}`),
      stored: (_s, cellId) => sent.push(`session/stored ${cellId}`),
    },
  };
  return { connection, sent };
}

describe("a session's host across connections", () => {
  it("holds notifications and requests while detached, and sends them in order after the re-attaching answer", async () => {
    const first = peer(() => new Promise(() => {}));
    const host = new SessionHost(first.connection);
    host.detach(60_000, () => {});
    host.events.stored("s", "1", {});
    const result = host.invokeTool(call, new CancellationTokenSource().token);
    host.events.cellClosed("s", "1");
    const second = peer(async () => "done");
    host.attach(second.connection);
    expect(host.peer).toBe(second.connection);
    expect(second.sent).toEqual([]);
    await turn();
    expect(second.sent).toEqual(["session/stored 1", "cell/closed 1", "tool/invoke tool-1"]);
    expect(await result).toBe("done");
    expect(first.sent).toEqual([]);
    host.close();
  });

  it("sends a request again on the next connection when its own closed before answering", async () => {
    let gone: (error: Error) => void = () => {};
    const first = peer(() => new Promise((_, reject) => (gone = reject)));
    const host = new SessionHost(first.connection);
    const result = host.invokeTool(call, new CancellationTokenSource().token);
    host.detach(60_000, () => {});
    gone(new PeerGone());
    const second = peer(async () => "again");
    host.attach(second.connection);
    expect(await result).toBe("again");
    expect([first.sent, second.sent]).toEqual([["tool/invoke tool-1"], ["tool/invoke tool-1"]]);
    host.close();
  });

  it("a waiting request is cancelled by its token or by the close; the grace ends once", async () => {
    let expired = 0;
    const host = new SessionHost(peer(async () => null).connection);
    host.detach(10, () => expired++);
    const source = new CancellationTokenSource();
    const cancelled = host.invokeTool(call, source.token);
    const closed = host.invokeTool(call, new CancellationTokenSource().token);
    source.cancel();
    await expect(cancelled).rejects.toMatchObject({ code: -32800 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(expired).toBe(1);
    host.close();
    await expect(closed).rejects.toMatchObject({ code: -32800 });
    expect(host.status).toBe("closed");
  });
});
