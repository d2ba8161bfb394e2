// The in-process peer: @sebastianwessel/quickjs, running the workloads that apply to it.
import variant from "@jitl/quickjs-wasmfile-release-sync";
import { loadQuickJs } from "@sebastianwessel/quickjs";
import { timeEach } from "./stats.mjs";

export async function peer(times) {
  const { runSandboxed } = await loadQuickJs(variant);
  const trivial = await timeEach(times, () => runSandboxed(async ({ evalCode }) => evalCode("export default 1"), {}));
  const env = { echo: async (value) => value };
  const hundredCalls = await timeEach(Math.ceil(times / 5), () =>
    runSandboxed(
      async ({ evalCode }) =>
        evalCode("let s = 0; for (let i = 0; i < 100; i++) s += await env.echo(i); export default s"),
      { env },
    ),
  );
  return { trivial, hundredCalls };
}
