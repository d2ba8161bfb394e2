// The in-process peer: @sebastianwessel/quickjs, running the workloads that apply to it.
import variant from "@jitl/quickjs-wasmfile-release-sync";
import { loadQuickJs } from "@sebastianwessel/quickjs";
import { timeEach } from "./stats.mjs";

/** Like the daemon's workloads, a run that fails would measure nothing: it stops the bench. */
async function checked(result) {
  const outcome = await result;
  if (!outcome.ok) throw new Error(`peer run failed: ${JSON.stringify(outcome.error)}`);
  return outcome;
}

export async function peer(times) {
  const { runSandboxed } = await loadQuickJs(variant);
  const trivial = await timeEach(times, () =>
    checked(runSandboxed(async ({ evalCode }) => evalCode("export default 1"), {})),
  );
  const env = { echo: async (value) => value };
  const hundredCalls = await timeEach(Math.ceil(times / 5), () =>
    checked(
      runSandboxed(
        async ({ evalCode }) =>
          evalCode("let s = 0; for (let i = 0; i < 100; i++) s += await env.echo(i); export default s"),
        { env },
      ),
    ),
  );
  return { trivial, hundredCalls };
}
