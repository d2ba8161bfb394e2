// No leftovers: after hundreds of mixed cells every live count is back to zero.
import { describe, expect, it } from "vitest";
import { eventually, startDaemon } from "./harness.js";

describe("daemon/stats", () => {
  it("is back to zero after a few hundred mixed cells", async () => {
    const daemon = await startDaemon();
    const sessions = await Promise.all([daemon.open(), daemon.open(), daemon.open()]);
    const kinds = [
      `text("ok")`,
      `throw new Error("fails")`,
      `setTimeout(() => {}, 60_000); tools.hang(); text("leaves a timer and a call behind")`,
      `for (let i = 0; i < 5; i++) await tools.echo(i)`,
      `await Promise.all([tools.sleep({ ms: 5 }), tools.echo(1)])`,
      `store("k", Math.random()); notify("n")`,
      `while (true) {}`,
      `await tools.hang()`,
      `exit()`,
    ];
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const session = sessions[i % sessions.length] ?? "";
      const source = kinds[i % kinds.length] ?? "";
      work.push(
        daemon.execute(session, source, { yieldTimeMs: 20 }).then(async (outcome) => {
          if (outcome.status === "yielded") await daemon.terminate(session, outcome.cellId);
        }),
      );
    }
    await Promise.all(work);
    await eventually(async () => {
      const stats = await daemon.stats();
      return stats.cells === 0 && stats.pendingReverseRequests === 0 && stats.timers === 0;
    });
    const stats = await daemon.stats();
    expect(stats).toMatchObject({ sessions: 3, cells: 0, pendingReverseRequests: 0, timers: 0 });
    for (const session of sessions) await daemon.request("session/shutdown", { sessionId: session });
    expect((await daemon.stats()).sessions).toBe(0);
    await daemon.close();
  });
});
