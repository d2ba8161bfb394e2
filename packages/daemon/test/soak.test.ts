// Soak: many mixed cells (completing, failing, terminated, yielding, with timers and pending
// tools) across sessions; afterwards every live count is zero and memory is near its level
// after warm-up. `pnpm test` runs a short soak; `pnpm soak` runs 20,000 cells.
import { describe, expect, it } from "vitest";
import { eventually, type Harness, startDaemon } from "./harness.js";

const CELLS = Number(process.env.SOAK_CELLS ?? 2_000);
const CONCURRENCY = 16;

const KINDS: { source: string; yieldTimeMs: number; terminate?: boolean }[] = [
  { source: `text("ok")`, yieldTimeMs: 10_000 },
  { source: `throw new Error("fails")`, yieldTimeMs: 10_000 },
  {
    source: `for (let i = 0; i < 3; i++) await tools.echo(i); store("k" + (Date.now() % 7), [1, 2])`,
    yieldTimeMs: 10_000,
  },
  { source: `setTimeout(() => {}, 60_000); tools.hang(); text("left a timer and a call")`, yieldTimeMs: 10_000 },
  { source: `text("a"); yield_control(); await tools.sleep({ ms: 5 }); text("b")`, yieldTimeMs: 10_000 },
  { source: `while (true) {}`, yieldTimeMs: 5, terminate: true },
  { source: `await tools.hang()`, yieldTimeMs: 5, terminate: true },
  {
    source: `notify("n"); await Promise.all([tools.echo(1), tools.sleep({ ms: 3 })]); exit(); text("never")`,
    yieldTimeMs: 10_000,
  },
  {
    source: `const a = []; for (let i = 0; i < 2000; i++) a.push({ i, s: "x".repeat(50) }); text(a.length)`,
    yieldTimeMs: 10_000,
  },
];

async function runCell(daemon: Harness, session: string, index: number): Promise<void> {
  const kind = KINDS[index % KINDS.length] ?? KINDS[0];
  if (!kind) return;
  let outcome = await daemon.execute(session, kind.source, { yieldTimeMs: kind.yieldTimeMs });
  if (kind.terminate) {
    if (outcome.status === "yielded") await daemon.terminate(session, outcome.cellId);
    return;
  }
  while (outcome.status === "yielded") outcome = await daemon.wait(session, outcome.cellId);
}

describe("soak", () => {
  it(`${CELLS} mixed cells leave nothing behind`, { timeout: Math.max(60_000, CELLS * 20) }, async () => {
    const daemon = await startDaemon();
    daemon.calls.length = 0;
    const sessions = await Promise.all(Array.from({ length: 4 }, () => daemon.open()));
    let next = 0;
    let baseline = 0;
    const warmUp = Math.floor(CELLS / 4);
    const worker = async () => {
      for (let index = next++; index < CELLS; index = next++) {
        await runCell(daemon, sessions[index % sessions.length] ?? "", index);
        if (index === warmUp) baseline = (await daemon.stats()).memory.rss;
        // Keep the harness's own bookkeeping from growing with the soak.
        if (daemon.calls.length > 1_000) daemon.calls.splice(0, daemon.calls.length - 100);
        if (daemon.events.length > 1_000) daemon.events.length = 0;
        if (daemon.notifies.length > 1_000) daemon.notifies.length = 0;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await eventually(async () => {
      const stats = await daemon.stats();
      return stats.cells === 0 && stats.pendingReverseRequests === 0 && stats.timers === 0;
    });
    const stats = await daemon.stats();
    expect(stats).toMatchObject({ sessions: 4, cells: 0, pendingReverseRequests: 0, timers: 0 });
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
    console.log(
      `soak: ${CELLS} cells; daemon rss after warm-up ${mib(baseline)} MiB, at the end ${mib(stats.memory.rss)} MiB`,
    );
    // Memory settles near its post-warm-up level instead of growing with the number of cells.
    expect(stats.memory.rss).toBeLessThan(baseline * 1.5 + 64 * 1024 * 1024);
    await daemon.close();
  });
});
