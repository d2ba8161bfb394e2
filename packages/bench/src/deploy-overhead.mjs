// What the deployment's hops cost, measured in one run on 127.0.0.1: the HAProxy hop (the same
// cells straight to a daemon's WebSocket and through HAProxy, in alternating rounds) and the
// Redis write per committed cell (the same storing cell with the in-memory store and with the
// Redis store, in alternating rounds). Needs redis-server and haproxy on the PATH.
// Run with `npx --yes pnpm@10.34.9 bench:deploy` (it builds first).
import { CodeModeClient, MemorySessionStore, RedisSessionStore } from "@codemode/client";
import { Redis } from "ioredis";
import { Services } from "./loopback-cluster.mjs";
import { median, now, p99 } from "./stats.mjs";

const ROUNDS = Number(process.env.BENCH_DEPLOY_ROUNDS ?? 10);
const CELLS = Number(process.env.BENCH_DEPLOY_CELLS ?? 100);
const PINGS = 200;
const ms = (value) => `${value.toFixed(3).padStart(7)} ms`;

const services = new Services();
try {
  const redisServer = await services.redis();
  const daemon = await services.daemon("d1");
  const proxy = await services.haproxy([daemon]);
  const redis = new Redis({ host: "127.0.0.1", port: redisServer.port });
  const token = services.token;
  const direct = await CodeModeClient.connect(`ws://127.0.0.1:${daemon.port}/`, { token });
  const proxied = await CodeModeClient.connect(`ws://127.0.0.1:${proxy.port}/`, { token, connectionPerSession: true });
  const inMemory = await CodeModeClient.connect(`ws://127.0.0.1:${daemon.port}/`, {
    token,
    store: new MemorySessionStore(),
  });
  const inRedis = await CodeModeClient.connect(`ws://127.0.0.1:${daemon.port}/`, {
    token,
    store: new RedisSessionStore({ redis }),
  });
  const delegate = { invokeTool: async (call) => call.input ?? null, notify: async () => {} };
  const enabledTools = [{ name: "ping", description: "answers its input" }];
  const open = (client) => client.openSession({ delegate });
  const sessions = {
    direct: await open(direct),
    proxied: await open(proxied),
    inMemory: await open(inMemory),
    inRedis: await open(inRedis),
  };

  /** Milliseconds from `execute` to the completed outcome of one cell. */
  const cell = async (session, source) => {
    const start = now();
    const started = await session.execute({ toolCallId: "bench", source, enabledTools });
    const outcome = await started.initialResponse;
    if (outcome.errorText !== undefined) throw new Error(outcome.errorText);
    return now() - start;
  };

  const samples = { cellDirect: [], cellProxied: [], pingDirect: [], pingProxied: [], memory: [], redis: [] };
  let key = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    const keep = (list, value) => round > 0 && list.push(value);
    for (let i = 0; i < CELLS; i++) {
      keep(samples.cellDirect, await cell(sessions.direct, `text("ok")`));
      keep(samples.cellProxied, await cell(sessions.proxied, `text("ok")`));
      const storing = `store("k${key++ % 64}", { round: ${round}, i: ${i} }); text("ok")`;
      keep(samples.memory, await cell(sessions.inMemory, storing));
      keep(samples.redis, await cell(sessions.inRedis, storing));
    }
    const pings = `for (let i = 0; i < ${PINGS}; i++) await tools.ping(i)`;
    keep(samples.pingDirect, (await cell(sessions.direct, pings)) / PINGS);
    keep(samples.pingProxied, (await cell(sessions.proxied, pings)) / PINGS);
  }

  const row = (name, values) => console.log(`${name.padEnd(58)} median ${ms(median(values))}  p99 ${ms(p99(values))}`);
  console.log(`${ROUNDS} alternating rounds of ${CELLS} cells each; ${PINGS} awaited tool calls per ping cell`);
  row("cell round trip, straight to the daemon (WebSocket)", samples.cellDirect);
  row("cell round trip, through HAProxy", samples.cellProxied);
  row("tool call in a cell, straight to the daemon", samples.pingDirect);
  row("tool call in a cell, through HAProxy", samples.pingProxied);
  row("storing cell, in-memory session store", samples.memory);
  row("storing cell, Redis session store", samples.redis);
  console.log(
    `HAProxy hop: +${ms(median(samples.cellProxied) - median(samples.cellDirect))} per cell, +${ms(median(samples.pingProxied) - median(samples.pingDirect))} per tool call (medians)`,
  );
  console.log(`Redis write per committed cell: +${ms(median(samples.redis) - median(samples.memory))} (medians)`);

  for (const session of Object.values(sessions)) await session.shutdown();
  await Promise.all([direct.close(), proxied.close(), inMemory.close(), inRedis.close()]);
  redis.disconnect();
} finally {
  await services.stopAll();
}
