// MCP servers as host tools, against the official reference server (stdio and Streamable HTTP),
// and a server on the official SDK that misbehaves on request, through the real daemon.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CodeModeClient, type McpConfig, McpServers, parseMcpConfig } from "../src/index.js";

const require = createRequire(import.meta.url);
const EVERYTHING = require.resolve("@modelcontextprotocol/server-everything/dist/index.js");
const FLAKY = fileURLToPath(new URL("./fixtures/flaky-mcp-server.mjs", import.meta.url));
/** Every server process of this file carries it in its environment: none may outlive its test. */
const MARKER = `CODEMODE_TEST_${randomUUID().replaceAll("-", "")}`;
const env = { [MARKER]: "1" };

const stdio = (script: string, ...args: string[]) => ({ command: process.execPath, args: [script, ...args], env });
const signal = () => new AbortController().signal;

/** Pids of live processes whose environment has the marker. */
function markedProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(`${MARKER}=`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

async function noServerLeft(): Promise<void> {
  for (let i = 0; i < 50 && markedProcesses().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(markedProcesses()).toEqual([]);
}

afterAll(noServerLeft);

describe("MCP tools from the reference server over stdio", () => {
  let mcp: McpServers;
  beforeAll(() => {
    mcp = new McpServers({ mcpServers: { everything: stdio(EVERYTHING, "stdio") } });
  });
  afterAll(async () => {
    await mcp.close();
  });

  it("are host tools mcp__<server>__<tool> in namespace <server>, with their schemas", async () => {
    const tools = await mcp.tools();
    const sum = tools.find((tool) => tool.name === "mcp__everything__get-sum");
    expect(sum).toMatchObject({
      toolName: { name: "get-sum", namespace: "everything" },
      description: "Returns the sum of two numbers",
      inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
      outputSchema: { title: "CallToolResult" },
    });
    const structured = tools.find((tool) => tool.name === "mcp__everything__get-structured-content");
    expect(structured?.outputSchema).toMatchObject({ properties: { structuredContent: { type: "object" } } });
    expect(mcp.status()).toEqual([{ server: "everything", state: "ready", protocolVersion: "2025-11-25" }]);
  });

  it("a call resolves with the CallToolResult as the server sent it", async () => {
    const result = await mcp.invokeTool(
      { tool: { name: "get-sum", namespace: "everything" }, input: { a: 2, b: 3 } },
      signal(),
    );
    expect(result).toEqual({ content: [{ type: "text", text: "The sum of 2 and 3 is 5." }] });
  });

  it("a cell gets results, forwards an image block with image(), and reads a tool's own error", async () => {
    await using client = await CodeModeClient.start();
    await using session = await client.openSession({
      delegate: { invokeTool: (call, s) => mcp.invokeTool(call, s), notify: async () => {} },
    });
    const cell = await session.execute({
      toolCallId: "call-1",
      source: `
        const sum = await tools.mcp__everything__get_sum({ a: 40, b: 2 });
        text(sum.content[0].text);
        const picture = await tools.mcp__everything__get_tiny_image();
        image(picture.content.find((block) => block.type === "image"));
        const refused = await tools.mcp__everything__get_sum({ a: "x" });
        text(refused.isError + ": " + refused.content[0].text.slice(0, 40));
        const none = await tools.mcp__everything__get_sum("text").catch((e) => "rejected: " + e);
        text(none);`,
      enabledTools: await mcp.tools(),
    });
    const outcome = await cell.initialResponse;
    expect(outcome.errorText).toBeUndefined();
    expect(outcome.items[0]).toEqual({ type: "text", text: "The sum of 40 and 2 is 42." });
    expect(outcome.items[1]).toMatchObject({ type: "image", detail: "high" });
    expect((outcome.items[1] as { imageUrl: string }).imageUrl).toMatch(/^data:image\/png;base64,iVBOR/);
    expect(outcome.items[2]).toEqual({ type: "text", text: "true: MCP error -32602: Input validation error" });
    expect(outcome.items[3]).toEqual({
      type: "text",
      text: "rejected: MCP server everything: the arguments of get-sum must be an object",
    });
  });
});

describe("MCP tools over Streamable HTTP", () => {
  let server: ChildProcess;
  let url: string;
  /** What the server printed on stdout. */
  let said = "";
  beforeAll(async () => {
    const port = await freePort();
    server = spawn(process.execPath, [EVERYTHING, "streamableHttp"], {
      env: { ...process.env, PORT: String(port), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout?.on("data", (chunk: Buffer) => {
      said += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      let log = "";
      server.stderr?.on("data", (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes("listening")) resolve();
      });
      server.on("exit", () => reject(new Error(`the server exited: ${log}`)));
    });
    url = `http://127.0.0.1:${port}/mcp`;
  });
  afterAll(async () => {
    server.kill();
    await new Promise((resolve) => server.once("exit", resolve));
  });

  it("lists and calls the tools of a server given by URL and headers, and ends its session", async () => {
    const mcp = new McpServers({ mcpServers: { web: { url, headers: { "X-Test": "1" } } } });
    const tools = await mcp.tools();
    expect(tools.map((tool) => tool.name)).toContain("mcp__web__echo");
    const echoed = await mcp.invokeTool(
      { tool: { name: "echo", namespace: "web" }, input: { message: "hi" } },
      signal(),
    );
    expect(echoed).toEqual({ content: [{ type: "text", text: "Echo: hi" }] });
    expect(mcp.status()[0]).toMatchObject({ state: "ready", protocolVersion: "2025-11-25" });
    await mcp.close();
    await until(() => said.includes("Received session termination request"));
    expect(said).toContain("Received session termination request");
  });
});

describe("MCP servers that fail", () => {
  const config: McpConfig = {
    mcpServers: {
      everything: stdio(EVERYTHING, "stdio"),
      flaky: { ...stdio(FLAKY), toolTimeoutMs: 500 },
      missing: { command: "/nonexistent/mcp-server" },
      quitter: stdio(FLAKY, "exit-at-start"),
      silent: { ...stdio(FLAKY, "silent"), startupTimeoutMs: 300 },
    },
  };

  it("a server that cannot start (missing, exits, hangs) is named, leaves out only its tools, and its calls reject naming it", async () => {
    await using mcp = new McpServers(config);
    const status = await mcp.start();
    expect(status.map(({ server, state }) => [server, state])).toEqual([
      ["everything", "ready"],
      ["flaky", "ready"],
      ["missing", "failed"],
      ["quitter", "failed"],
      ["silent", "failed"],
    ]);
    expect(status[2]?.error).toBe("MCP server missing failed to start: spawn /nonexistent/mcp-server ENOENT");
    expect(status[3]?.error).toMatch(
      /^MCP server quitter failed to start: the connection closed; its stderr ends:\nflaky: cannot open its database$/,
    );
    expect(status[4]?.error).toBe("MCP server silent failed to start: no answer within 300 ms");
    const names = (await mcp.tools()).map((tool) => tool.name);
    expect(names).toContain("mcp__everything__echo");
    expect(names).toContain("mcp__flaky__crash");
    expect(names.some((name) => name.startsWith("mcp__missing__") || name.startsWith("mcp__quitter__"))).toBe(false);
    await expect(mcp.invokeTool({ tool: { name: "x", namespace: "missing" } }, signal())).rejects.toThrow(
      "MCP server missing failed to start",
    );
  });

  it("a server that dies mid-call fails that call, naming it; the others answer, and it restarts on next use", async () => {
    await using mcp = new McpServers(config);
    const first = (await mcp.invokeTool({ tool: { name: "ping", namespace: "flaky" } }, signal())) as Pong;
    await expect(mcp.invokeTool({ tool: { name: "crash", namespace: "flaky" } }, signal())).rejects.toThrow(
      "MCP server flaky failed calling crash: the connection closed",
    );
    const sum = await mcp.invokeTool(
      { tool: { name: "get-sum", namespace: "everything" }, input: { a: 1, b: 1 } },
      signal(),
    );
    expect(sum).toEqual({ content: [{ type: "text", text: "The sum of 1 and 1 is 2." }] });
    const again = (await mcp.invokeTool({ tool: { name: "ping", namespace: "flaky" } }, signal())) as Pong;
    expect(again.content[0].text).toMatch(/^pong from \d+$/);
    expect(again.content[0].text).not.toBe(first.content[0].text);
  });

  it("a call that outlives the server's toolTimeoutMs rejects naming the server", async () => {
    await using mcp = new McpServers(config);
    await expect(mcp.invokeTool({ tool: { name: "hang", namespace: "flaky" } }, signal())).rejects.toThrow(
      "MCP server flaky failed calling hang: no answer within 500 ms",
    );
  });

  it("the call's AbortSignal cancels the MCP request", async () => {
    let stderr = "";
    await using mcp = new McpServers(config, {
      onStderr: (server, text) => {
        if (server === "flaky") stderr += text;
      },
    });
    await mcp.start();
    const controller = new AbortController();
    const call = mcp.invokeTool({ tool: { name: "hang", namespace: "flaky" } }, controller.signal);
    await until(() => stderr.includes("hanging on request"));
    controller.abort();
    await expect(call).rejects.toThrow();
    await until(() => stderr.includes("cancelled request"));
    expect(stderr).toMatch(/^hanging on request (\d+)\ncancelled request \1\n$/);
  });

  it("terminating a cell cancels its MCP call", async () => {
    let stderr = "";
    await using mcp = new McpServers(config, {
      onStderr: (server, text) => {
        if (server === "flaky") stderr += text;
      },
    });
    await using client = await CodeModeClient.start();
    await using session = await client.openSession({
      delegate: { invokeTool: (call, s) => mcp.invokeTool(call, s), notify: async () => {} },
    });
    const cell = await session.execute({
      toolCallId: "call-1",
      source: `text("asking"); yield_control(); await tools.mcp__flaky__hang();`,
      enabledTools: await mcp.tools(),
    });
    expect((await cell.initialResponse).status).toBe("yielded");
    await until(() => stderr.includes("hanging on request"));
    expect((await session.terminate(cell.cellId)).status).toBe("terminated");
    await until(() => stderr.includes("cancelled request"));
    expect(stderr).toMatch(/^hanging on request (\d+)\ncancelled request \1\n$/);
  });

  it("a tool list change is seen by the next listing", async () => {
    const changed: string[] = [];
    await using mcp = new McpServers(config, { onToolsChanged: (server) => changed.push(server) });
    expect((await mcp.tools()).map((tool) => tool.name)).not.toContain("mcp__flaky__added_1");
    changed.length = 0;
    await mcp.invokeTool({ tool: { name: "add_tool", namespace: "flaky" }, input: {} }, signal());
    await until(() => changed.includes("flaky"));
    expect(changed).toContain("flaky");
    expect((await mcp.tools()).map((tool) => tool.name)).toContain("mcp__flaky__added_1");
  });
});

describe("MCP config", () => {
  it("takes the mcpServers format: command/args/env/cwd or url/headers", () => {
    const config = parseMcpConfig({
      mcpServers: {
        files: { command: "npx", args: ["-y", "server"], env: { A: "1" }, cwd: "/tmp", disabled: false },
        web: { type: "http", url: "https://example.com/mcp", headers: { Authorization: "Bearer x" } },
      },
    });
    expect(config.mcpServers.files).toEqual({ command: "npx", args: ["-y", "server"], env: { A: "1" }, cwd: "/tmp" });
    expect(config.mcpServers.web).toMatchObject({ url: "https://example.com/mcp" });
  });

  it.each([
    [{}, "mcp.json: mcpServers: "],
    [{ mcpServers: { a: {} } }, "mcp.json: mcpServers.a: a server needs a `command` (stdio) or an http(s) `url`"],
    [{ mcpServers: { a: { url: "ftp://x" } } }, "mcp.json: mcpServers.a.url: Invalid URL"],
    [{ mcpServers: { a: { command: "x", toolTimeoutMs: -1 } } }, "mcp.json: mcpServers.a.toolTimeoutMs: Too small"],
  ])("refuses %j, naming the field", (value, message) => {
    expect(() => parseMcpConfig(value, "mcp.json")).toThrow(message);
  });
});

/** Waits up to 2 s for `condition`. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}

type Pong = { content: [{ text: string }] };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
