// Durable sessions: the daemon dies, every waiter settles at once, and the next call works on
// a new daemon with the committed stored values. And the other way round: the host dies.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CodeModeClient, type CodeModeSessionDelegate } from "../src/index.js";

const hangingTool = [{ name: "hang", description: "never answers until cancelled" }];

function delegate(closed: string[] = [], aborted: string[] = []): CodeModeSessionDelegate {
  return {
    invokeTool: (call, signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          aborted.push(call.callId);
          reject(new Error("aborted"));
        }),
      ),
    notify: async () => {},
    cellClosed: (cellId) => closed.push(cellId),
  };
}

const lost = (cellId: string) => ({
  status: "completed",
  cellId,
  items: [],
  errorText: "exec runtime ended unexpectedly",
});

/** Whether a process is running; a zombie (exited, not yet reaped) does not count. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true;
  }
}

describe("when the daemon dies", () => {
  it("closing the client while its daemon is dying does not throw", async () => {
    for (let i = 0; i < 3; i++) {
      const client = await CodeModeClient.start();
      client.daemon?.kill();
      // Racing the daemon's exit: the connection may be disposed between close's two steps.
      await expect(client.close()).resolves.toBeUndefined();
    }
  });

  it("a session shut down before stays shut down on the next daemon", async () => {
    await using client = await CodeModeClient.start();
    const session = await client.openSession({ delegate: delegate() });
    await session.shutdown();
    client.daemon?.kill();
    await expect(session.execute({ toolCallId: "c", source: "text(1)" })).rejects.toMatchObject({
      code: -32011,
      message: "code mode session is shutting down",
    });
  });

  it("every in-flight observation completes as lost and the next execute works with the committed values", async () => {
    await using client = await CodeModeClient.start();
    const closedA: string[] = [];
    const closedB: string[] = [];
    const abortedA: string[] = [];
    const a = await client.openSession({ delegate: delegate(closedA, abortedA) });
    const b = await client.openSession({ delegate: delegate(closedB), storedValues: { seeded: true } });

    const committed = await a.execute({ toolCallId: "c", source: `store("before", { n: 1 }); text("stored")` });
    expect((await committed.initialResponse).status).toBe("completed");

    const pending = await a.execute({
      toolCallId: "c",
      source: `store("lost", 1); await tools.hang();`,
      enabledTools: hangingTool,
    });
    const waitingInB = await b.execute({
      toolCallId: "c",
      source: `await tools.hang();`,
      enabledTools: hangingTool,
      yieldTimeMs: 0,
    });
    expect((await waitingInB.initialResponse).status).toBe("yielded");
    const concurrentWait = b.wait({ cellId: waitingInB.cellId, yieldTimeMs: 60_000 });

    const pid = client.daemon?.pid ?? 0;
    client.daemon?.kill();
    expect(await pending.initialResponse).toEqual(lost(pending.cellId));
    expect(await concurrentWait).toEqual(lost(waitingInB.cellId));
    expect(closedA).toEqual(["1", "2"]);
    expect(closedB).toEqual(["1"]);
    // The delegate call the dead daemon was waiting for is aborted.
    expect(abortedA).toEqual(["tool-1"]);

    // The next call starts a new daemon and reopens the session with what was committed.
    const after = await a.execute({ toolCallId: "c", source: `text(JSON.stringify([load("before"), load("lost")]))` });
    expect((await after.initialResponse).items).toEqual([{ type: "text", text: '[{"n":1},null]' }]);
    expect(client.daemon?.pid).not.toBe(pid);
    const inB = await b.execute({ toolCallId: "c", source: `text(load("seeded"))` });
    expect((await inB.initialResponse).items).toEqual([{ type: "text", text: "true" }]);

    // Cells of the dead daemon are missing on the new one.
    expect((await a.wait({ cellId: pending.cellId })).status).toBe("missing");
    expect((await b.terminate(waitingInB.cellId)).status).toBe("missing");
    expect(closedA).toEqual(["1", "2", "3"]);
  });

  it("gives up after the restart limit", async () => {
    await using client = await CodeModeClient.start({ maxRestarts: 1 });
    const session = await client.openSession({ delegate: delegate() });
    const killAndWait = async () => {
      const link = client.daemon;
      link?.kill();
      while (link?.alive) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    await killAndWait();
    await expect(client.stats()).resolves.toMatchObject({ sessions: 1 });
    await killAndWait();
    await expect(session.execute({ toolCallId: "c", source: "text(1)" })).rejects.toThrow(/not restarting/);
  });
});

describe("when the host dies", () => {
  it("the daemon exits within a second and leaves nothing behind", async () => {
    // A host process that starts a daemon with a spinning cell, reports its pid, then is killed.
    const host = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `
        import { CodeModeClient } from "@codemode/client";
        const client = await CodeModeClient.start();
        const session = await client.openSession({ delegate: { invokeTool: async () => null, notify: async () => {} } });
        const cell = await session.execute({ toolCallId: "c", source: "while (true) {}", yieldTimeMs: 0 });
        await cell.initialResponse;
        console.log(client.daemon.pid);
        setInterval(() => {}, 1000);
        `,
      ],
      { cwd: new URL("..", import.meta.url), stdio: ["ignore", "pipe", "inherit"] },
    );
    const pid = await new Promise<number>((resolve) =>
      host.stdout.once("data", (chunk: Buffer) => resolve(Number(String(chunk).trim()))),
    );
    expect(alive(pid)).toBe(true);
    host.kill("SIGKILL");
    const killedAt = Date.now();
    while (alive(pid) && Date.now() - killedAt < 5_000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive(pid)).toBe(false);
    expect(Date.now() - killedAt).toBeLessThan(1_000);
  });
});
