// A host process of the cluster test: a CodeModeClient connected through the balancer, its
// sessions durable in Redis, driven by the test over stdin/stdout (one JSON command per line,
// one JSON answer per line). Its `ping` tool records when each call arrives, per session.
// Usage: node host.mjs <balancer url> <token file> <redis port> <lease ms>
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { CodeModeClient, RedisSessionStore } from "@codemode/client";
import { Redis } from "ioredis";

const [url, tokenFile, redisPort, leaseMs] = process.argv.slice(2);
const token = readFileSync(tokenFile, "utf8").trim();
const redis = new Redis({ host: "127.0.0.1", port: Number(redisPort) });
const store = new RedisSessionStore({ redis });

/** Arrival times of `ping` calls (performance.now(), ms), per session, since last collected. */
const arrivals = new Map();
const delegateOf = (sessionId) => ({
  invokeTool: async (call) => {
    if (call.tool.name !== "ping") throw new Error(`no tool ${call.tool.name}`);
    arrivals.get(sessionId)?.push(performance.now());
    return call.input ?? null;
  },
  notify: async () => {},
});

const connect = () =>
  CodeModeClient.connect(url, {
    token,
    connectionPerSession: true,
    store,
    leaseMs: Number(leaseMs),
    logger: (line) => process.stderr.write(`${line}\n`),
  });

let client = await connect();
const sessions = new Map();
/** Cells started and not yet collected, per session. */
const started = new Map();

const PING = [{ name: "ping", description: "answers its input" }];
const summary = (outcome) => ({
  status: outcome.status,
  errorText: outcome.errorText,
  text: (outcome.items ?? [])
    .filter((item) => item.type === "text")
    .map((item) => item.text)
    .join(""),
});

/** Runs `each` over every id at once; a failure is that id's answer ({ error }), not the command's. */
async function forEach(ids, each) {
  const answers = await Promise.all(
    ids.map(async (id) => {
      try {
        return [id, await each(id)];
      } catch (error) {
        return [id, { error: error instanceof Error ? error.message : String(error), code: error?.code }];
      }
    }),
  );
  return Object.fromEntries(answers);
}

const commands = {
  open: ({ ids }) =>
    forEach(ids, async (id) => {
      arrivals.set(id, []);
      sessions.set(id, await client.openSession({ sessionId: id, delegate: delegateOf(id) }));
      return "open";
    }),
  /** Starts a cell in each session; answers once every one is admitted. */
  start: ({ ids, source, yieldTimeMs }) =>
    forEach(ids, async (id) => {
      const cell = await sessions
        .get(id)
        .execute({ toolCallId: `call-${id}`, source, enabledTools: PING, yieldTimeMs });
      started.set(id, cell.initialResponse);
      return cell.cellId;
    }),
  /** The initial responses of the cells `start` started. */
  finish: ({ ids }) =>
    forEach(ids, async (id) => {
      const outcome = await started.get(id);
      started.delete(id);
      return summary(outcome);
    }),
  run: async ({ ids, source, yieldTimeMs }) => {
    const admitted = await commands.start({ ids, source, yieldTimeMs });
    const finished = await commands.finish({ ids: ids.filter((id) => admitted[id]?.error === undefined) });
    return { ...admitted, ...finished };
  },
  /** The gaps between consecutive pings of each session (one tool call's round trip), ms. */
  gaps: ({ ids }) =>
    forEach(ids, async (id) => {
      const times = arrivals.get(id) ?? [];
      arrivals.set(id, []);
      return times.slice(1).map((time, i) => time - times[i]);
    }),
  /** Closes the client (its sessions stay, for another host to continue) and connects again. */
  reconnect: async () => {
    await client.close();
    sessions.clear();
    client = await connect();
    return "connected";
  },
};

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const { id, command, ...params } = JSON.parse(line);
  try {
    process.stdout.write(`${JSON.stringify({ id, result: await commands[command](params) })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ id, error: String(error?.stack ?? error) })}\n`);
  }
});
lines.on("close", async () => {
  await client.close();
  redis.disconnect();
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
