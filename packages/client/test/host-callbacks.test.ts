// The host's own code, called by the client (delegate methods, the logger): whatever it throws
// is reported to the logger or becomes the cell's rejection, never an uncaught exception in the
// host's process. And a daemon's answers are checked, not trusted.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CodeModeClient, type CodeModeSessionDelegate } from "../src/index.js";
import { daemonProcess } from "../src/testing.js";

const NONSENSE_DAEMON = fileURLToPath(new URL("./fixtures/nonsense-daemon.mjs", import.meta.url));

async function until(condition: () => boolean): Promise<void> {
  const start = Date.now();
  while (!condition() && Date.now() - start < 5_000) await new Promise((resolve) => setTimeout(resolve, 10));
}

function throwingClose(invokeTool: CodeModeSessionDelegate["invokeTool"] = async () => null): CodeModeSessionDelegate {
  return {
    invokeTool,
    notify: async () => {},
    cellClosed: (cellId) => {
      throw new Error(`cellClosed of ${cellId} failed`);
    },
  };
}

describe("callbacks into the host's code", () => {
  it("a cellClosed that throws is reported to the logger", async () => {
    const lines: string[] = [];
    await using client = await CodeModeClient.start({ logger: (line) => lines.push(line) });
    const session = await client.openSession({ delegate: throwingClose() });
    const started = await session.execute({ toolCallId: "c", source: "text(1)" });
    expect((await started.initialResponse).status).toBe("completed");
    await until(() => lines.some((line) => line.includes("cellClosed")));
    expect(lines.find((line) => line.includes("cellClosed"))).toMatch(
      /cellClosed\("1"\) threw: Error: cellClosed of 1 failed/,
    );
  });

  it("a cellClosed that throws when the daemon dies with cells live is reported, not thrown", async () => {
    const lines: string[] = [];
    await using client = await CodeModeClient.start({ logger: (line) => lines.push(line) });
    const hang: CodeModeSessionDelegate["invokeTool"] = (_call, signal) =>
      new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
    const session = await client.openSession({ delegate: throwingClose(hang) });
    const started = await session.execute({
      toolCallId: "c",
      source: "await tools.hang()",
      enabledTools: [{ name: "hang" }],
      yieldTimeMs: 60_000,
    });
    daemonProcess(client)?.kill();
    expect((await started.initialResponse).errorText).toBe("exec runtime ended unexpectedly");
    await until(() => lines.some((line) => line.includes("cellClosed")));
    expect(lines.filter((line) => line.includes("cellClosed of 1 failed"))).toHaveLength(1);
  });

  it("a delegate that throws synchronously fails the cell's call with its message", async () => {
    await using client = await CodeModeClient.start();
    const session = await client.openSession({
      delegate: {
        invokeTool: () => {
          throw new Error("no such record");
        },
        notify: () => {
          throw new Error("nobody listens");
        },
      },
    });
    const started = await session.execute({
      toolCallId: "c",
      source: `notify("hi"); try { await tools.lookup(); } catch (e) { text(e); }`,
      enabledTools: [{ name: "lookup" }],
    });
    expect(await started.initialResponse).toMatchObject({
      status: "completed",
      items: [{ type: "text", text: "no such record" }],
    });
  });

  it("a logger that throws does not break the client", async () => {
    await using client = await CodeModeClient.start({
      logger: () => {
        throw new Error("logger down");
      },
    });
    const session = await client.openSession({ delegate: throwingClose() });
    const started = await session.execute({ toolCallId: "c", source: "text(2)" });
    expect((await started.initialResponse).items).toEqual([{ type: "text", text: "2" }]);
  });
});

describe("a daemon's answers", () => {
  it("an answer that does not fit the method's result schema fails the call with a clear error", async () => {
    await using client = await CodeModeClient.start({ args: [NONSENSE_DAEMON], logger: () => {} });
    const session = await client.openSession({ delegate: throwingClose() });
    const failure = await session.execute({ toolCallId: "c", source: "text(1)" }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: -32603 });
    expect((failure as Error).message).toMatch(/^invalid answer to cell\/execute: result\.status: /);
  });
});
