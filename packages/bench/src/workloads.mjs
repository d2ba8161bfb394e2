// The daemon's workloads, all through the client library against the real daemon. One daemon
// (and its sessions) serves every round; each method measures one sample of a workload.
import { CodeModeClient } from "@codemode/client";
import { cpuMicros, now, sleep, timed, timeEach } from "./stats.mjs";

const ECHO = [{ name: "echo", description: "returns its input" }];
const HOLD = [{ name: "hold", description: "answers when released" }];

/** A delegate whose `echo` answers at once and records when each call arrived. */
function echoDelegate() {
  const arrivals = [];
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

const awaitedCalls = (count) => `for (let i = 0; i < ${count}; i++) await tools.echo(i)`;
/** The trivial cell of the cells-per-second workload: two awaited calls. */
const TWO_CALLS = "await tools.echo(1); await tools.echo(2)";

/** Gaps between successive tool calls of one cell: one full round trip each. */
const gaps = (arrivals) => arrivals.slice(1).map((t, i) => t - (arrivals[i] ?? t));

/** The daemon's CPU time from its stats, µs. */
const daemonCpu = (stats) => stats.cpu.userMicros + stats.cpu.systemMicros;

/** Opens the daemon and the sessions every sample uses, warmed up. */
export async function startDaemon({ sessions }) {
  const client = await CodeModeClient.start();
  // 2,000 calls in flight at once are above the default pending tool call limit (1,000).
  const main = await client.openSession({ delegate: echoDelegate().delegate, limits: { pendingToolCalls: 2_000 } });
  const many = await Promise.all(
    Array.from({ length: sessions }, () => client.openSession({ delegate: echoDelegate().delegate })),
  );
  // Every session's worker has its engines loaded and the JIT has warmed up on all sides.
  await Promise.all(many.map((session) => run(session, awaitedCalls(20))));
  await timeEach(50, () => run(main, "text(1)"), 0);
  await run(main, awaitedCalls(1000));

  /** `count` sessions each run one cell of `calls` awaited calls, `reps` times. */
  async function multiSession(count, calls, reps) {
    const before = await client.stats();
    const hostBefore = process.cpuUsage();
    const ms = await timed(async () => {
      for (let rep = 0; rep < reps; rep++) {
        await Promise.all(many.slice(0, count).map((session) => run(session, awaitedCalls(calls))));
      }
    });
    const host = cpuMicros(process.cpuUsage(hostBefore));
    const after = await client.stats();
    const total = count * calls * reps;
    return {
      perSecond: total / (ms / 1000),
      daemonCpuPerCallMicros: (daemonCpu(after) - daemonCpu(before)) / total,
      hostCpuPerCallMicros: host / total,
    };
  }

  return {
    /** The engine worker threads the daemon runs now. */
    workers: async () => (await client.stats()).workers,
    /** Each `text(1)` cell, execute to completed, ms. */
    trivial: (times) => timeEach(times, () => run(main, "text(1)"), 0),
    /** One cell of `calls` sequential awaited calls: ms per call. */
    sequentialPerCall: async (calls) => (await timed(() => run(main, awaitedCalls(calls)))) / calls,
    /** Cells of 100 awaited calls, each ms. */
    hundredCalls: (times) => timeEach(times, () => run(main, awaitedCalls(100)), 0),
    /** One cell of `count` calls in flight at once (`Promise.all`): calls per second. */
    parallel: async (count) =>
      count /
      ((await timed(() => run(main, `await Promise.all(Array.from({ length: ${count} }, (_, i) => tools.echo(i)))`))) /
        1000),
    multiSession,
    /** `count` sessions each running `each` trivial cells (two awaited calls) in turn: cells per second. */
    async cellsAcross(count, each) {
      const sessionCells = async (session) => {
        for (let i = 0; i < each; i++) await run(session, TWO_CALLS);
      };
      const ms = await timed(() => Promise.all(many.slice(0, count).map(sessionCells)));
      return (count * each) / (ms / 1000);
    },
    /** Terminating a cell spinning in `while (true) {}`, ms each. */
    async terminate(times) {
      const durations = [];
      for (let i = 0; i < times; i++) {
        const cell = await main.execute({ toolCallId: "spin", source: "while (true) {}", yieldTimeMs: 0 });
        await cell.initialResponse;
        await sleep(5);
        const start = now();
        await main.terminate(cell.cellId);
        durations.push(now() - start);
      }
      return durations;
    },
    /** Shuts the multi-session workloads' sessions down, which frees their workers. */
    closeSessions: () => Promise.all(many.map((session) => session.shutdown())),
    /** The tool-call gaps of a session alone and beside a spinning one (see startNeighbour). */
    neighbour: () => startNeighbour(client),
    concurrent: (count) => concurrentCells(client, count),
    close: () => client.close(),
  };
}

/**
 * One session's tool-call gaps, sampled alone or while another session's cell spins in
 * `while (true) {}`: both sessions stay open across samples (opening one may start a spare
 * worker, whose boot would land in a sample), and only the spinning cell comes and goes.
 */
async function startNeighbour(client) {
  const observer = echoDelegate();
  const observed = await client.openSession({ delegate: observer.delegate });
  const spinner = await client.openSession({ delegate: echoDelegate().delegate });
  await sleep(500);
  await run(observed, awaitedCalls(1000)); // warm-up: the session's worker may be new
  /** Gaps between consecutive tool calls of a cell of `calls` awaited calls, ms. */
  const sample = async (calls) => {
    observer.arrivals.length = 0;
    await run(observed, awaitedCalls(calls));
    return gaps(observer.arrivals);
  };
  return {
    solo: sample,
    async beside(calls) {
      const spinning = await spinner.execute({ toolCallId: "spin", source: "while (true) {}", yieldTimeMs: 0 });
      await spinning.initialResponse;
      await sleep(50);
      try {
        return await sample(calls);
      } finally {
        await spinner.terminate(spinning.cellId);
      }
    },
    close: () => Promise.all([observed.shutdown(), spinner.shutdown()]),
  };
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

/** From nothing to the first completed cell, ms; shutting the daemon down is not counted. */
export async function coldStart() {
  const start = now();
  const cold = await CodeModeClient.start();
  const session = await cold.openSession({ delegate: echoDelegate().delegate });
  await run(session, "text(1)");
  const duration = now() - start;
  await cold.close();
  return duration;
}
