// The in-process peer: @sebastianwessel/quickjs, running the workloads that apply to it.
import variant from "@jitl/quickjs-wasmfile-release-sync";
import { loadQuickJs } from "@sebastianwessel/quickjs";
import { timed, timeEach } from "./stats.mjs";

/** Like the daemon's workloads, a run that fails would measure nothing: it stops the bench. */
async function checked(result) {
  const outcome = await result;
  if (!outcome.ok) throw new Error(`peer run failed: ${JSON.stringify(outcome.error)}`);
  return outcome;
}

export async function startPeer() {
  const { runSandboxed } = await loadQuickJs(variant);
  const env = { echo: async (value) => value };
  const awaitedCalls = (count) =>
    checked(
      runSandboxed(
        async ({ evalCode }) =>
          evalCode(`let s = 0; for (let i = 0; i < ${count}; i++) s += await env.echo(i); export default s`),
        { env },
      ),
    );
  const peer = {
    /** Trivial cells, each ms. */
    trivial: (times) =>
      timeEach(times, () => checked(runSandboxed(async ({ evalCode }) => evalCode("export default 1"), {})), 0),
    /** Cells of 100 awaited host calls, each ms. */
    hundredCalls: (times) => timeEach(times, () => awaitedCalls(100), 0),
    /** The multi-session shape: `count` sandboxes at once, each `calls` awaited calls, `reps` times; calls/s. */
    async multiSession(count, calls, reps) {
      const ms = await timed(async () => {
        for (let rep = 0; rep < reps; rep++)
          await Promise.all(Array.from({ length: count }, () => awaitedCalls(calls)));
      });
      return (count * calls * reps) / (ms / 1000);
    },
  };
  await peer.hundredCalls(5);
  return peer;
}
