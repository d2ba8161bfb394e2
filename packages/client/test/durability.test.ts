// Durable sessions: the daemon dies, every waiter settles at once, and the next call works on
// a new daemon with the committed stored values. And the other way round: the host dies.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CodeModeClient, type CodeModeSessionDelegate, restartWithBackoff } from "../src/index.js";
import { daemonProcess } from "../src/testing.js";

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

const DAEMON_BIN = createRequire(import.meta.url).resolve("@codemode/daemon/bin");

/** The daemons this process has started (from `program`) that are still running. */
function liveDaemons(program = "codemode-daemon"): string[] {
  const out = spawnSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" }).stdout;
  return out.split("\n").filter((line) => line.includes(program) && !line.includes("<defunct>"));
}

/** Kills the client's daemon and waits until the client has seen it go. */
async function killDaemon(client: CodeModeClient): Promise<void> {
  const daemon = daemonProcess(client);
  daemon?.kill();
  while (daemon && daemonProcess(client) === daemon) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("starting a daemon", () => {
  it("a daemon that exits before its handshake fails the start instead of hanging it", async () => {
    await expect(
      CodeModeClient.start({ args: [DAEMON_BIN, "--no-such-flag"], logger: () => {} }),
    ).rejects.toMatchObject({
      code: -32603,
      message: "the daemon exited before it was initialized",
    });
  });

  it("a tool result over the daemon's message limit fails the call instead of leaving it pending", async () => {
    await using client = await CodeModeClient.start({ args: [DAEMON_BIN, "--max-message-bytes", "20000"] });
    const session = await client.openSession({
      delegate: { invokeTool: async () => "x".repeat(30_000), notify: async () => {} },
    });
    const started = await session.execute({
      toolCallId: "c",
      source: `try { await tools.big(); } catch (e) { text(e); }`,
      enabledTools: [{ name: "big" }],
    });
    const outcome = await started.initialResponse;
    expect(outcome.items).toEqual([
      {
        type: "text",
        text: expect.stringMatching(/^answer of \d+ bytes exceeds the peer's message limit of 20000 bytes$/),
      },
    ]);
  });

  it("a request over the daemon's message limit fails at once instead of waiting for an answer", async () => {
    await using client = await CodeModeClient.start({ args: [DAEMON_BIN, "--max-message-bytes", "4000"] });
    const session = await client.openSession({ delegate: delegate() });
    await expect(session.execute({ toolCallId: "c", source: `text("${"x".repeat(5000)}")` })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringMatching(/exceeds the daemon's message limit of 4000 bytes$/),
    });
    expect((await (await session.execute({ toolCallId: "c", source: "text(1)" })).initialResponse).status).toBe(
      "completed",
    );
  });
});

describe("when the daemon dies", () => {
  it("closing the client during a restart leaves no daemon behind", async () => {
    const before = liveDaemons().length;
    const client = await CodeModeClient.start();
    const session = await client.openSession({ delegate: delegate() });
    await killDaemon(client);
    const restarting = session.execute({ toolCallId: "c", source: "text(1)" });
    await client.close();
    await expect(restarting).rejects.toMatchObject({ message: "the client is closed" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(liveDaemons().length).toBe(before);
  });

  it("a session the new daemon will not take back ends alone; the others come back, and no daemon leaks", async () => {
    // The first daemon takes two sessions; every later one only one, so reopening fails.
    const dir = mkdtempSync(join(tmpdir(), "codemode-reopen-"));
    const launcher = join(dir, "daemon.mjs");
    writeFileSync(
      launcher,
      `import { existsSync, writeFileSync } from "node:fs";
const marker = ${JSON.stringify(join(dir, "started"))};
const again = existsSync(marker);
writeFileSync(marker, "");
process.argv.push("--max-sessions", again ? "1" : "2");
await import(${JSON.stringify(DAEMON_BIN)});`,
    );
    const client = await CodeModeClient.start({ args: [launcher] });
    const first = await client.openSession({ delegate: delegate() });
    const second = await client.openSession({ delegate: delegate() });
    await killDaemon(client);
    expect((await (await first.execute({ toolCallId: "c", source: "text(1)" })).initialResponse).status).toBe(
      "completed",
    );
    await expect(second.execute({ toolCallId: "c", source: "text(1)" })).rejects.toMatchObject({
      code: -32015,
      message: expect.stringMatching(/^session .+ could not be reopened: /),
    });
    expect(second.isAlive()).toBe(false);
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(liveDaemons(launcher)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("a shutdown racing the daemon's death resolves: its cells died with it", async () => {
    await using client = await CodeModeClient.start();
    const session = await client.openSession({ delegate: delegate() });
    const stopping = session.shutdown();
    daemonProcess(client)?.kill();
    await expect(stopping).resolves.toBeUndefined();
  });

  it("closing the client while its daemon is dying does not throw", async () => {
    for (let i = 0; i < 3; i++) {
      const client = await CodeModeClient.start();
      daemonProcess(client)?.kill();
      // Racing the daemon's exit: the connection may be disposed between close's two steps.
      await expect(client.close()).resolves.toBeUndefined();
    }
  });

  it("a session shut down before stays shut down on the next daemon", async () => {
    await using client = await CodeModeClient.start();
    const session = await client.openSession({ delegate: delegate() });
    await session.shutdown();
    daemonProcess(client)?.kill();
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

    const pid = daemonProcess(client)?.pid ?? 0;
    // The lost answer comes before cellClosed, as every cell's last answer does.
    const closedWhenAnswered = pending.initialResponse.then(() => [...closedA]);
    daemonProcess(client)?.kill();
    expect(await pending.initialResponse).toEqual(lost(pending.cellId));
    expect(await concurrentWait).toEqual(lost(waitingInB.cellId));
    expect(await closedWhenAnswered).toEqual(["1"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closedA).toEqual(["1", "2"]);
    expect(closedB).toEqual(["1"]);
    // The delegate call the dead daemon was waiting for is aborted.
    expect(abortedA).toEqual(["tool-1"]);

    // The next call starts a new daemon and reopens the session with what was committed.
    const after = await a.execute({ toolCallId: "c", source: `text(JSON.stringify([load("before"), load("lost")]))` });
    expect((await after.initialResponse).items).toEqual([{ type: "text", text: '[{"n":1},null]' }]);
    expect(daemonProcess(client)?.pid).not.toBe(pid);
    const inB = await b.execute({ toolCallId: "c", source: `text(load("seeded"))` });
    expect((await inB.initialResponse).items).toEqual([{ type: "text", text: "true" }]);

    // Cells of the dead daemon are missing on the new one.
    expect((await a.wait({ cellId: pending.cellId })).status).toBe("missing");
    expect((await b.terminate(waitingInB.cellId)).status).toBe("missing");
    expect(closedA).toEqual(["1", "2", "3"]);
  });

  it("gives up after the restart limit", async () => {
    await using client = await CodeModeClient.start({ restartPolicy: restartWithBackoff({ maxRestarts: 1 }) });
    const session = await client.openSession({ delegate: delegate() });
    await killDaemon(client);
    await expect(client.stats()).resolves.toMatchObject({ sessions: 1 });
    await killDaemon(client);
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
        import { daemonProcess } from "@codemode/client/testing";
        const client = await CodeModeClient.start();
        const session = await client.openSession({ delegate: { invokeTool: async () => null, notify: async () => {} } });
        const cell = await session.execute({ toolCallId: "c", source: "while (true) {}", yieldTimeMs: 0 });
        await cell.initialResponse;
        console.log(daemonProcess(client).pid);
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
