import { describe, expect, it } from "vitest";
import { ResponseError } from "vscode-jsonrpc/node";
import { RemoteSession, type SessionLink } from "./remote-session.js";
import { MemorySessionStore } from "./store/memory-session-store.js";
import { SessionLease } from "./store/session-lease.js";
import type { CodeModeSessionDelegate, NestedToolCall } from "./types.js";

const link: SessionLink = {
  current: () => Promise.reject(new Error("no daemon in this test")),
  live: () => undefined,
  forget: () => {},
  log: () => {},
};

const call: NestedToolCall = { cellId: "1", callId: "tool-1", tool: { name: "t" }, kind: "function" };

const { lease } = await SessionLease.acquire(
  "s",
  { store: new MemorySessionStore(), holder: "test", leaseMs: 60_000, log: () => {} },
  () => ({}),
);

function sessionWith(invokeTool: CodeModeSessionDelegate["invokeTool"]): RemoteSession {
  return new RemoteSession("s", { invokeTool, notify: async () => {} }, link, lease, {}, {});
}

describe("a delegate's tool call as the daemon sees it", () => {
  it("a failure is the protocol's tool failure, with the JS rejection text", async () => {
    const session = sessionWith(async () => {
      throw new Error("kaboom");
    });
    const failure = await session.invokeTool(call, new AbortController().signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ResponseError);
    expect(failure).toMatchObject({ code: -32020, message: "kaboom" });
  });

  it("a call the daemon cancelled is answered as cancelled (-32800), whatever the delegate threw", async () => {
    const controller = new AbortController();
    const session = sessionWith(
      (_call, signal) =>
        new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("my own words")))),
    );
    const answer = session.invokeTool(call, controller.signal).catch((error: unknown) => error);
    controller.abort();
    expect(await answer).toMatchObject({ code: -32800, message: "request cancelled" });
  });
});
