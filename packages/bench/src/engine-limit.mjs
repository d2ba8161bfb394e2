// The engine's own limit, the baseline of cells per second: fresh engines (runtime, context and
// prelude) built and freed per second on as many threads as the daemon runs engine workers.
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { timed } from "./stats.mjs";

const WORKER = new URL("./engine-limit-worker.mjs", import.meta.url);

export async function startEngineLimit(threads) {
  const workers = Array.from({ length: threads }, () => new Worker(WORKER));
  await Promise.all(workers.map((worker) => once(worker, "message")));
  return {
    /** Every thread builds and frees engines for `ms`: engines per second, all threads. */
    async perSecond(ms) {
      let engines = 0;
      const elapsed = await timed(() =>
        Promise.all(
          workers.map(async (worker) => {
            worker.postMessage(ms);
            const [count] = await once(worker, "message");
            engines += count;
          }),
        ),
      );
      return engines / (elapsed / 1000);
    },
    close: () => Promise.all(workers.map((worker) => worker.terminate())),
  };
}
