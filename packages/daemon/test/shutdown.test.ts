// Session and daemon shutdown over the real daemon, including the execute/shutdown race.
import { describe, expect, it } from "vitest";
import { eventually, startDaemon } from "./harness.js";

describe("session shutdown", () => {
  it("shutdown interrupts CPU-bound cells and answers once none is left", async () => {
    const daemon = await startDaemon();
    const s = await daemon.open();
    await daemon.execute(s, `while (true) {}`, { yieldTimeMs: 0 });
    await daemon.execute(s, `await tools.hang()`, { yieldTimeMs: 0 });
    await daemon.execute(s, `text("buffered")`, { yieldTimeMs: 5_000 });
    const waiting = daemon.wait(s, "1", 60_000);
    const started = Date.now();
    expect(await daemon.request("session/shutdown", { sessionId: s })).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await waiting).status).toBe("terminated");
    expect((await daemon.stats()).cells).toBe(0);
    await daemon.close();
  });

  it("execute after shutdown is rejected", async () => {
    const daemon = await startDaemon();
    const s = await daemon.open();
    const shutdown = daemon.request("session/shutdown", { sessionId: s });
    await expect(daemon.execute(s, `text(1)`)).rejects.toMatchObject({
      code: -32011,
      message: "code mode session is shutting down",
    });
    await shutdown;
    await daemon.close();
  });

  it("daemon shutdown stops every session's cells and refuses new ones", async () => {
    const daemon = await startDaemon();
    const a = await daemon.open();
    const b = await daemon.open();
    await daemon.execute(a, `while (true) {}`, { yieldTimeMs: 0 });
    await daemon.execute(b, `for (;;) { await tools.echo(1); }`, { yieldTimeMs: 0 });
    expect(await daemon.request("shutdown")).toBeNull();
    await expect(daemon.execute(a, `text(1)`)).rejects.toMatchObject({ code: -32600 });
    await daemon.connection.sendNotification("exit");
    expect(await daemon.exited).toBe(0);
  });

  it("an execute racing a shutdown never hangs either side", async () => {
    const daemon = await startDaemon();
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 40; round++) {
      const s = await daemon.open();
      const sources = [`text(1)`, `while (true) {}`, `await tools.sleep({ ms: 20 })`, `await tools.hang()`];
      const executes = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
        daemon.execute(s, sources[Math.floor(random() * sources.length)] ?? "", {
          yieldTimeMs: Math.floor(random() * 30),
        }),
      );
      const delay = Math.floor(random() * 15);
      const shutdown = new Promise((resolve) => setTimeout(resolve, delay)).then(() =>
        daemon.request("session/shutdown", { sessionId: s }),
      );
      const settled = await Promise.race([
        Promise.allSettled([...executes, shutdown]),
        new Promise((resolve) => setTimeout(() => resolve("hang"), 5_000)),
      ]);
      expect(settled).not.toBe("hang");
      for (const result of settled as PromiseSettledResult<unknown>[]) {
        if (result.status === "rejected") {
          expect(result.reason).toMatchObject({ message: "code mode session is shutting down" });
        }
      }
    }
    await eventually(async () => (await daemon.stats()).cells === 0);
    await daemon.close();
  });
});
