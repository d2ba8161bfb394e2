// The client over the network: CodeModeClient.connect to the real daemon listening on a
// loopback WebSocket, with its bearer token; a lost connection re-attaches its sessions with
// their running cells; a session store shared by two hosts hands a session from one to the other.
import { type AddressInfo, createServer, connect as netConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenDaemon, TOKEN } from "../../daemon/test/network-harness.js";
import {
  CodeModeClient,
  type CodeModeSessionDelegate,
  type ConnectOptions,
  ErrorCode,
  MemorySessionStore,
} from "../src/index.js";
import { daemonProcess } from "../src/testing.js";

let daemon: Awaited<ReturnType<typeof listenDaemon>>;

beforeAll(async () => {
  daemon = await listenDaemon(["--log-level", "debug", "--reconnect-grace-ms", "10000"]);
});

afterAll(async () => {
  await daemon?.stop();
});

const echo: CodeModeSessionDelegate = { invokeTool: async (call) => call.input ?? null, notify: async () => {} };
const tools = [{ name: "echo", description: "returns its input" }];

const clients: CodeModeClient[] = [];
async function connect(options: Partial<ConnectOptions> = {}): Promise<CodeModeClient> {
  const client = await CodeModeClient.connect(daemon.url, { token: TOKEN, ...options });
  clients.push(client);
  return client;
}
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

const run = async (session: Awaited<ReturnType<CodeModeClient["openSession"]>>, source: string) =>
  (await session.execute({ toolCallId: "call", source, enabledTools: tools })).initialResponse;

describe("CodeModeClient.connect", () => {
  it("runs cells over a WebSocket with the API of start()", async () => {
    const client = await connect();
    const session = await client.openSession({ delegate: echo });
    expect(await run(session, `text(JSON.stringify(await tools.echo({ a: 1 })))`)).toMatchObject({
      status: "completed",
      items: [{ type: "text", text: '{"a":1}' }],
    });
    expect((await client.stats()).sessions).toBeGreaterThanOrEqual(1);
    await session.shutdown();
  });

  it("fails to connect with a token the daemon refuses, saying so", async () => {
    await expect(CodeModeClient.connect(daemon.url, { token: "wrong" })).rejects.toThrow(
      `${daemon.url} refused the connection: the bearer token was not accepted (HTTP 401)`,
    );
  });

  it("opens one connection per session, naming the session for a balancer", async () => {
    const client = await connect({ connectionPerSession: true });
    const session = await client.openSession({ sessionId: "per session/é", delegate: echo });
    expect(await run(session, `text("ok")`)).toMatchObject({ status: "completed" });
    expect(daemon.stderr()).toContain(encodeURIComponent("per session/é"));
    await session.shutdown();
  });

  it("reconnects after a lost connection and finds the session's running cell", async () => {
    const client = await connect();
    const session = await client.openSession({ delegate: echo });
    const started = await session.execute({
      toolCallId: "call",
      source: `await new Promise((resolve) => setTimeout(resolve, 300)); text(String(await tools.echo("after")))`,
      enabledTools: tools,
    });
    daemonProcess(client)?.kill();
    expect(await started.initialResponse).toMatchObject({
      status: "completed",
      items: [{ type: "text", text: "after" }],
    });
    expect(await run(session, `text("next")`)).toMatchObject({ items: [{ type: "text", text: "next" }] });
    await session.shutdown();
  });
});

describe("a connection that goes silent (half-open)", () => {
  it("is cut by the client's heartbeat and replaced: a cell waiting across it gets its real answer", async () => {
    const own = await listenDaemon(["--heartbeat-ms", "300", "--reconnect-grace-ms", "10000"]);
    // A TCP relay to the daemon that can stop carrying bytes both ways, as a link that died
    // without a FIN would.
    const links: { silence(): void; destroy(): void }[] = [];
    const relay = createServer((downstream) => {
      const { port, hostname } = new URL(own.url);
      const upstream = netConnect(Number(port), hostname);
      let silent = false;
      downstream.on("data", (data) => silent || upstream.write(data));
      upstream.on("data", (data) => silent || downstream.write(data));
      // A silent link carries no close either: each side has to find out by itself.
      const destroy = () => {
        downstream.destroy();
        upstream.destroy();
      };
      const end = () => {
        if (!silent) destroy();
      };
      downstream.on("close", end);
      upstream.on("close", end);
      downstream.on("error", () => {});
      upstream.on("error", () => {});
      links.push({
        silence: () => {
          silent = true;
        },
        destroy,
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const { port } = relay.address() as AddressInfo;
    const client = await CodeModeClient.connect(`ws://127.0.0.1:${port}/`, { token: TOKEN, heartbeatMs: 300 });
    try {
      const session = await client.openSession({ delegate: echo });
      const cell = await session.execute({
        toolCallId: "call",
        source: `await new Promise((r) => setTimeout(r, 1500)); store("done", true); text("done")`,
        enabledTools: tools,
        yieldTimeMs: 20_000,
      });
      links[0]?.silence();
      expect(await cell.initialResponse).toMatchObject({
        status: "completed",
        items: [{ type: "text", text: "done" }],
      });
      expect(links.length).toBeGreaterThan(1);
      expect(await run(session, `text(load("done"))`)).toMatchObject({ items: [{ type: "text", text: "true" }] });
      await session.shutdown();
    } finally {
      await client.close();
      for (const link of links) link.destroy();
      relay.close();
      await own.stop();
    }
  });
});

describe("a session store shared by two hosts", () => {
  it("refuses the session to the second host while the first holds it, then hands it over with its running cell and values", async () => {
    const store = new MemorySessionStore();
    const first = await connect({ store });
    const second = await connect({ store });
    const session = await first.openSession({ sessionId: "handed-over", delegate: echo });
    const running = await session.execute({
      toolCallId: "call",
      source: `store("n", 41); await new Promise((resolve) => setTimeout(resolve, 300)); text("still running")`,
    });
    await expect(second.openSession({ sessionId: "handed-over", delegate: echo })).rejects.toMatchObject({
      code: ErrorCode.SessionInUse,
    });
    // The first host ends its turn: the daemon keeps the session for its grace.
    await first.close();
    const continued = await second.openSession({ sessionId: "handed-over", delegate: echo });
    // A new cell skips the id of the running one.
    const next = await continued.execute({ toolCallId: "call", source: `text("next")` });
    expect(next.cellId).not.toBe(running.cellId);
    expect(await continued.wait({ cellId: running.cellId })).toMatchObject({
      status: "completed",
      items: [{ type: "text", text: "still running" }],
    });
    expect(await run(continued, `text(String(load("n") + 1))`)).toMatchObject({
      items: [{ type: "text", text: "42" }],
    });
    // What the running cell committed reached the store through the second host.
    await second.close();
    expect(await store.acquire("handed-over", "a third host", 1_000)).toEqual({ n: 41 });
  });
});
