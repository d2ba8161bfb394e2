// The daemon's workloads, all through the client library against the real daemon.
import { CodeModeClient } from "@codemode/client";
import { median, now, p99, sleep, timeEach } from "./stats.mjs";

const ECHO = [{ name: "echo", description: "returns its input" }];
const HOLD = [{ name: "hold", description: "answers when released" }];

/** A delegate whose `echo` answers at once and records when each call arrived. */
function echoDelegate(arrivals = []) {
  const held = [];
  return {
    arrivals,
    held,
    delegate: {
      invokeTool: (call, signal) => {
        arrivals.push(now());
        if (call.tool.name !== "hold") return Promise.resolve(call.input ?? null);
        return new Promise((resolve, reject) => {
          held.push(resolve);
          signal.addEventListener("abort", () => reject(new Error("cancelled")));
        });
      },
      notify: async () => {},
    },
  };
}

/** Runs a cell to its end; a cell that fails would measure nothing, so it stops the bench. */
async function run(session, source, options = {}) {
  const cell = await session.execute({ toolCallId: "bench", source, enabledTools: ECHO, ...options });
  const outcome = await cell.initialResponse;
  if (outcome.status !== "completed" || outcome.errorText !== undefined) {
    throw new Error(`bench cell did not complete: ${outcome.errorText ?? outcome.status} (${source})`);
  }
  return outcome;
}

/** Gaps between successive tool calls of one cell: one full round trip each. */
const gaps = (arrivals) => arrivals.slice(1).map((t, i) => t - (arrivals[i] ?? t));

export async function daemonWorkloads(scale) {
  const results = {};
  const client = await CodeModeClient.start();
  const solo = echoDelegate();
  // 2,000 calls in flight at once are above the default pending tool call limit (1,000).
  const session = await client.openSession({ delegate: solo.delegate, limits: { pendingToolCalls: 2_000 } });

  results.trivial = await timeEach(300 * scale, () => run(session, "text(1)"));

  const perCall = [];
  // One unrecorded run first, as every workload has: the JIT warms up on both sides.
  for (let i = -1; i < 5; i++) {
    const start = now();
    await run(session, "for (let i = 0; i < 1000; i++) await tools.echo(i)");
    if (i >= 0) perCall.push((now() - start) / 1000);
  }
  results.sequentialPerCall = perCall;

  const hundred = await timeEach(20 * scale, () => run(session, "for (let i = 0; i < 100; i++) await tools.echo(i)"));
  results.hundredCalls = hundred;

  const throughput = [];
  for (let i = 0; i < 5; i++) {
    const start = now();
    await run(session, "await Promise.all(Array.from({ length: 2000 }, (_, i) => tools.echo(i)))");
    throughput.push(2000 / ((now() - start) / 1000));
  }
  results.parallelPerSecond = median(throughput);

  const terminate = [];
  for (let i = 0; i < 30 * scale; i++) {
    const cell = await session.execute({ toolCallId: "spin", source: "while (true) {}", yieldTimeMs: 0 });
    await cell.initialResponse;
    await sleep(5);
    const start = now();
    await session.terminate(cell.cellId);
    terminate.push(now() - start);
  }
  results.terminate = terminate;

  // Tool-call latency of one session alone, then the same cell while another session spins.
  const observer = echoDelegate();
  const observed = await client.openSession({ delegate: observer.delegate });
  const calls = "for (let i = 0; i < 3000; i++) await tools.echo(i)";
  // Opening a session that takes the pool's idle worker starts a new spare worker: both
  // measurements below wait for that to settle, so that they measure only what they name.
  await sleep(500);
  await run(observed, calls); // warm-up: the session's worker may be new
  observer.arrivals.length = 0;
  await run(observed, calls);
  results.soloGaps = gaps(observer.arrivals);
  observer.arrivals.length = 0;
  const spinner = await client.openSession({ delegate: echoDelegate().delegate });
  const spinning = await spinner.execute({ toolCallId: "spin", source: "while (true) {}", yieldTimeMs: 0 });
  await spinning.initialResponse;
  await sleep(500);
  await run(observed, calls);
  results.neighbourGaps = gaps(observer.arrivals);
  await spinner.terminate(spinning.cellId);
  await spinner.shutdown();
  await observed.shutdown();

  results.concurrent = await concurrentCells(client, 1000);
  await session.shutdown();
  await client.close();

  // From nothing to the first completed cell; shutting the daemon down is not counted.
  results.coldStart = [];
  for (let i = 0; i < 8; i++) {
    const start = now();
    const cold = await CodeModeClient.start();
    const coldSession = await cold.openSession({ delegate: echoDelegate().delegate });
    await run(coldSession, "text(1)");
    results.coldStart.push(now() - start);
    await cold.close();
  }
  return results;
}

/** `count` cells each awaiting a tool at once: the daemon's peak RSS and memory per cell. */
async function concurrentCells(client, count) {
  const holder = echoDelegate();
  const session = await client.openSession({ delegate: holder.delegate });
  const before = (await client.stats()).memory.rss;
  let peak = before;
  const sampling = setInterval(async () => {
    peak = Math.max(peak, (await client.stats()).memory.rss);
  }, 20);
  const cells = [];
  for (let i = 0; i < count; i++) {
    cells.push(
      await session.execute({
        toolCallId: "c",
        source: "text(await tools.hold())",
        enabledTools: HOLD,
        yieldTimeMs: 0,
      }),
    );
  }
  while (holder.held.length < count) await sleep(10);
  peak = Math.max(peak, (await client.stats()).memory.rss);
  clearInterval(sampling);
  for (const resolve of holder.held) resolve("released");
  for (const cell of cells) await session.wait({ cellId: cell.cellId });
  await session.shutdown();
  return { before, peak, perCell: (peak - before) / count };
}

export { median, p99 };
