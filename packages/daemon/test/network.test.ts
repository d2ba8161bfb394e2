// The network transport over the real daemon: bearer-token upgrades, one connection per peer,
// sessions driven by one connection at a time, re-attachment within the reconnect grace, and
// the end of a detached session after it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CellOutcome } from "@codemode/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { DAEMON_BIN, eventually, sleep } from "./harness.js";
import { bearer, connectHost, echo, type Listening, listenDaemon, never, TOKEN, upgrade } from "./network-harness.js";

const execute = (sessionId: string, source: string, yieldTimeMs = 10_000) => ({
  sessionId,
  source,
  toolCallId: "call-1",
  enabledTools: [{ name: "echo" }],
  yieldTimeMs,
});

describe("the network listener", () => {
  let daemon: Listening;
  beforeAll(async () => {
    daemon = await listenDaemon([
      ...["--reconnect-grace-ms", "400", "--heartbeat-ms", "500"],
      ...["--max-message-bytes", "4096", "--max-sessions", "1"],
    ]);
  });
  // The last test stops it; this one only when a test before it failed.
  afterAll(() => daemon.stop());

  it.each([
    ["no Authorization header", {}],
    ["a wrong token", bearer("not the token")],
    ["the token's prefix", bearer(TOKEN.slice(0, -1))],
    ["the token in the query string", {}, `?access_token=${encodeURIComponent(TOKEN)}`],
    ["a Basic scheme", { Authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}` }],
    ["the bare token", { Authorization: TOKEN }],
    ["the token in another header", { "X-Codemode-Token": TOKEN }],
  ])("refuses an upgrade with %s: 401 and WWW-Authenticate: Bearer", async (_what, headers, query = "") => {
    const answer = await upgrade(`${daemon.url}${query}`, headers);
    expect(answer).toMatchObject({ status: 401, headers: { "www-authenticate": "Bearer" } });
  });

  it("serves only the path /, and takes the scheme in any case", async () => {
    expect(await upgrade(`${daemon.url}rpc`, bearer())).toMatchObject({ status: 404 });
    const answer = await upgrade(daemon.url, { Authorization: `bearer ${TOKEN}`, "X-Codemode-Session": "s" });
    expect("socket" in answer).toBe(true);
    if ("socket" in answer) answer.socket.close();
  });

  it("answers a frame that is not JSON, and closes the connection on a frame over the message limit (1009)", async () => {
    const host = await connectHost(daemon.url);
    const answer = new Promise((resolve) => host.socket.once("message", (data) => resolve(JSON.parse(String(data)))));
    host.socket.send('{"jsonrpc":"2.0","id":"x","method":');
    expect(await answer).toMatchObject({ id: "x", error: { code: -32700 } });
    expect(await host.request("daemon/stats", {})).toMatchObject({ sessions: expect.any(Number) });
    host.socket.send(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "daemon/stats", params: { pad: "x".repeat(5000) } }),
    );
    expect(await host.closed).toBe(1009);
  });

  it("closes a connection that does not answer its pings, and keeps one that does", async () => {
    const silent = new WebSocket(daemon.url, { headers: bearer(), autoPong: false });
    const answering = await connectHost(daemon.url);
    const closed = new Promise((resolve) => silent.once("close", resolve));
    expect(await closed).toBe(1006);
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
    answering.socket.close();
  });

  it("lets one connection at a time drive a session: another gets -32018 and disturbs nothing", async () => {
    const a = await connectHost(daemon.url, { echo });
    const b = await connectHost(daemon.url, { echo });
    await a.request("session/open", { sessionId: "owned" });
    const inUse = { code: -32018, message: "session owned is in use by another connection" };
    await expect(b.request("session/open", { sessionId: "owned" })).rejects.toMatchObject(inUse);
    await expect(b.request("cell/execute", execute("owned", "text(1)"))).rejects.toMatchObject(inUse);
    await expect(b.request("session/storedValues", { sessionId: "owned" })).rejects.toMatchObject(inUse);
    await expect(b.request("session/shutdown", { sessionId: "owned" })).rejects.toMatchObject(inUse);
    const outcome = await a.request<CellOutcome>("cell/execute", execute("owned", "text(await tools.echo('mine'))"));
    expect(outcome).toMatchObject({ status: "completed", items: [{ type: "text", text: "mine" }] });
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(0);
    // Each connection has its own lifecycle: b's shutdown ends b's sessions only.
    await b.request("session/open", { sessionId: "b's" });
    await b.request("shutdown");
    expect(await a.request("session/storedValues", { sessionId: "owned" })).toEqual({ values: {} });
    a.socket.close();
    b.socket.close();
  });

  it("a session whose connection closed is re-attached by session/open within the grace: its cell runs on, its unanswered tool call is sent again", async () => {
    const a = await connectHost(daemon.url, { echo: never });
    await a.request("session/open", { sessionId: "moving", storedValues: { kept: 1 } });
    const first = await a.request<CellOutcome>(
      "cell/execute",
      execute("moving", "store('seen', 2); text('before'); text(await tools.echo('after'))", 50),
    );
    expect(first).toMatchObject({ status: "yielded", items: [{ text: "before" }] });
    await eventually(() => a.calls.length === 1);
    // A's observer goes with its connection.
    void a.request("cell/wait", { sessionId: "moving", cellId: "1" }).catch(() => {});
    await sleep(20);
    a.socket.terminate();
    await a.closed;

    const b = await connectHost(daemon.url, { echo });
    const detached = "session moving lost its connection: open it again (session/open) to drive it from this one";
    await expect(b.request("cell/wait", { sessionId: "moving", cellId: "1" })).rejects.toMatchObject({
      code: -32018,
      message: detached,
    });
    expect(await b.request("session/open", { sessionId: "moving", storedValues: {} })).toEqual({
      sessionId: "moving",
      reattached: true,
    });
    const outcome = await b.request<CellOutcome>("cell/wait", { sessionId: "moving", cellId: "1" });
    expect(outcome).toMatchObject({ status: "completed", items: [{ text: "after" }] });
    expect(b.calls).toMatchObject([{ sessionId: "moving", cellId: "1", callId: "tool-1", input: "after" }]);
    expect(b.events).toContainEqual({
      method: "session/stored",
      params: { sessionId: "moving", cellId: "1", values: { seen: 2 } },
    });
    expect(await b.request("session/storedValues", { sessionId: "moving" })).toEqual({ values: { kept: 1, seen: 2 } });
    b.socket.close();
  });

  it("after the grace, a detached session's cells are terminated and it is closed", async () => {
    const a = await connectHost(daemon.url, { echo: never });
    await a.request("session/open", { sessionId: "left" });
    await a.request("cell/execute", execute("left", "store('k', 1)"));
    await a.request("cell/execute", execute("left", "await tools.echo(1)", 0));
    await a.request("cell/execute", execute("left", "while (true) {}", 0));
    a.socket.close();
    await a.closed;
    const b = await connectHost(daemon.url);
    await sleep(600);
    expect(await b.request("daemon/stats", {})).toMatchObject({ sessions: 0, cells: 0, pendingReverseRequests: 0 });
    expect(await b.request("session/open", { sessionId: "left" })).toEqual({ sessionId: "left" });
    expect(await b.request("session/storedValues", { sessionId: "left" })).toEqual({ values: {} });
    await b.request("session/shutdown", { sessionId: "left" });
    b.socket.close();
  });

  it("limits sessions per connection", async () => {
    const a = await connectHost(daemon.url);
    const b = await connectHost(daemon.url);
    await a.request("session/open", {});
    await expect(a.request("session/open", {})).rejects.toMatchObject({ code: -32015 });
    await b.request("session/open", {});
    expect(await b.request("daemon/stats", {})).toMatchObject({ sessions: 2 });
    a.socket.close();
    b.socket.close();
  });

  it("refuses an upgrade whose request target is no URL with 400, and serves on", async () => {
    const { port } = new URL(daemon.url);
    const status = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () =>
        socket.write(
          [
            "GET http://[/ HTTP/1.1",
            "Host: 127.0.0.1",
            `Authorization: Bearer ${TOKEN}`,
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
            "",
            "",
          ].join("\r\n"),
        ),
      );
      socket.once("data", (data) => resolve(String(data).split("\r\n")[0] ?? ""));
      socket.once("error", reject);
    });
    expect(status).toBe("HTTP/1.1 400 Bad Request");
    const host = await connectHost(daemon.url);
    expect(await host.request("daemon/stats", {})).toMatchObject({ sessions: expect.any(Number) });
    host.socket.close();
  });

  it("SIGTERM terminates the cells, closes the connections and exits 0", async () => {
    const host = await connectHost(daemon.url);
    await host.request("session/open", { sessionId: "spin" });
    await host.request("cell/execute", execute("spin", "while (true) {}", 0));
    const waiting = host.request<CellOutcome>("cell/wait", { sessionId: "spin", cellId: "1" });
    await sleep(50);
    expect(await daemon.stop()).toBe(0);
    expect(await waiting).toMatchObject({ status: "terminated" });
    expect(await host.closed).toBe(1001);
  });
});

describe("starting a network listener", () => {
  const start = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const environment = { ...process.env, ...env };
    delete environment.CODEMODE_TOKEN;
    Object.assign(environment, env);
    return spawnSync(process.execPath, [DAEMON_BIN, ...args], { env: environment, encoding: "utf8", timeout: 10_000 });
  };

  it("refuses to start without a token, with an empty one, a token file it cannot read, or a bad address (exit code 2)", () => {
    const dir = mkdtempSync(join(tmpdir(), "codemode-token-"));
    writeFileSync(join(dir, "empty"), "\n");
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [["--listen", "127.0.0.1:0"], {}, /--listen needs a bearer token: --token-file <path> or CODEMODE_TOKEN/],
      [["--listen", "127.0.0.1:0", "--token-file", join(dir, "empty")], {}, /the bearer token is empty/],
      [["--listen", "127.0.0.1:0", "--token-file", join(dir, "missing")], {}, /cannot read --token-file/],
      [["--listen", "localhost"], { CODEMODE_TOKEN: "t" }, /--listen takes host:port/],
    ];
    for (const [args, env, message] of cases) {
      const result = start(args, env);
      expect(result.status, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe("");
    }
  });

  it("reads the token from --token-file without its trailing newline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "codemode-token-"));
    writeFileSync(join(dir, "token"), "from-file\n");
    const daemon = await listenDaemon(["--token-file", join(dir, "token")], { CODEMODE_TOKEN: "from-env" });
    expect(await upgrade(daemon.url, bearer("from-env"))).toMatchObject({ status: 401 });
    const answer = await upgrade(daemon.url, bearer("from-file"));
    expect("socket" in answer).toBe(true);
    if ("socket" in answer) answer.socket.close();
    expect(await daemon.stop()).toBe(0);
  });
});

describe("a peer that stops reading", () => {
  it("cuts a connection whose peer stops reading its answers, and serves the others", async () => {
    // Its own daemon: at the default heartbeat no ping can end the connection first.
    const own = await listenDaemon(["--max-message-bytes", "4096"]);
    const slow = await connectHost(own.url);
    await slow.request("session/open", { sessionId: "unread", storedValues: { v: "x".repeat(3000) } });
    // The peer reads nothing more; its answers (3 KB each) pile up past the kernel's buffers.
    const tcp = (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    for (let id = 1_000; id < 5_000; id++) {
      const request = { jsonrpc: "2.0", id, method: "session/storedValues", params: { sessionId: "unread" } };
      slow.socket.send(JSON.stringify(request));
    }
    await sleep(2_000);
    tcp.resume();
    expect(await slow.closed).toBe(1006);
    const other = await connectHost(own.url);
    // Its session was detached, as after any lost connection.
    expect(await other.request("session/open", { sessionId: "unread" })).toMatchObject({ reattached: true });
    other.socket.close();
    await own.stop();
  });
});
