// `codemode mcp` as an MCP client that knows nothing of this project sees it: the SDK's own
// Client over real stdio, with the three official reference servers configured (and one that
// crashes on request).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WAIT_TOOL_PARAMETERS } from "@codemode/client/model";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  type CallToolResult,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { descendants, stillRunning } from "./processes.js";

const require = createRequire(import.meta.url);
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const TOOLS = fileURLToPath(new URL("./fixtures/tools.mjs", import.meta.url));
const FLAKY = fileURLToPath(new URL("../../client/test/fixtures/flaky-mcp-server.mjs", import.meta.url));
const server = (name: string) => require.resolve(`@modelcontextprotocol/server-${name}/dist/index.js`);

const dir = mkdtempSync(join(tmpdir(), "codemode-mcp-"));
const root = join(dir, "root");
mkdirSync(root);
writeFileSync(join(root, "note.txt"), "hello from a file\n");
const CONFIG = join(dir, "mcp.json");
writeFileSync(
  CONFIG,
  JSON.stringify({
    mcpServers: {
      memory: {
        command: process.execPath,
        args: [server("memory")],
        env: { MEMORY_FILE_PATH: join(dir, "memory.jsonl") },
      },
      filesystem: { command: process.execPath, args: [server("filesystem"), root] },
      everything: { command: process.execPath, args: [server("everything"), "stdio"] },
      flaky: { command: process.execPath, args: [FLAKY] },
      missing: { command: join(dir, "no-such-server") },
    },
  }),
);

interface Connection {
  client: Client;
  transport: StdioClientTransport;
  logs: { logger?: string | undefined; data: unknown }[];
  stderr: () => string;
}

async function connect(args = ["--config", CONFIG, "--tools", TOOLS]): Promise<Connection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "mcp", ...args],
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: "test-client", version: "1.0.0" });
  const logs: Connection["logs"] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    logs.push(notification.params);
  });
  await client.connect(transport);
  return { client, transport, logs, stderr: () => stderr };
}

const texts = (result: unknown) =>
  (result as CallToolResult).content.map((block) => (block.type === "text" ? block.text : `[${block.type}]`));
const header = (result: unknown) => texts(result)[0]?.split("\n")[0];

let mcp: Connection;
beforeAll(async () => {
  mcp = await connect();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exec = (code: string, more: Record<string, unknown> = {}) =>
  mcp.client.callTool({ name: "exec", arguments: { code, ...more } });
const wait = (args: Record<string, unknown>) => mcp.client.callTool({ name: "wait", arguments: args });

describe("codemode mcp", () => {
  it("offers exec and wait; exec's description declares every configured tool", async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["exec", "wait"]);
    const [execTool, waitTool] = tools;
    expect(execTool?.inputSchema).toMatchObject({ required: ["code"], properties: { code: { type: "string" } } });
    expect(waitTool?.inputSchema).toEqual(WAIT_TOOL_PARAMETERS);
    const description = execTool?.description ?? "";
    expect(description).toContain("type CallToolResult<T = { [key: string]: unknown }> = {");
    expect(description).toContain(
      "declare const tools: { mcp__everything__get_sum(args: {\n  /** First number */\n  a: number;",
    );
    expect(description).toContain("mcp__memory__create_entities(args: {");
    expect(description).toContain("### `mcp__filesystem__read_text_file`");
    expect(description).toContain(
      "declare const tools: { echo(args: { [key: string]: unknown; }): Promise<unknown>; };",
    );
    expect(mcp.stderr()).toContain("codemode mcp: everything ready (MCP 2025-11-25)");
    expect(mcp.stderr()).toMatch(/codemode mcp: MCP server missing failed to start: spawn .*no-such-server ENOENT\n/);
    expect(description).toMatch(
      /\n\nUnavailable \(their tools are not in `tools`\):\n- MCP server missing failed to start: spawn .*no-such-server ENOENT$/,
    );
  });

  it("a cell uses all three reference servers and reads a refusal as the server sent it", async () => {
    const outside = join(dir, "outside.txt");
    writeFileSync(outside, "secret");
    const result = await exec(`
      await tools.mcp__memory__create_entities({ entities: [{ name: "Ada", entityType: "person", observations: ["wrote the first program"] }] });
      const graph = await tools.mcp__memory__read_graph();
      text(graph.structuredContent.entities.map((e) => e.name + ": " + e.observations.join()).join("; "));
      text((await tools.mcp__everything__get_sum({ a: 40, b: 2 })).content[0].text);
      text((await tools.mcp__filesystem__read_text_file({ path: ${JSON.stringify(join(root, "note.txt"))} })).content[0].text);
      image((await tools.mcp__everything__get_tiny_image()).content.find((block) => block.type === "image"));
      const refused = await tools.mcp__filesystem__read_text_file({ path: ${JSON.stringify(outside)} });
      text(refused.isError + " " + refused.content[0].text);
    `);
    expect(result.isError).toBeUndefined();
    const content = result.content as CallToolResult["content"];
    expect(texts(result).slice(0, 4)).toEqual([
      expect.stringMatching(/^Script completed\nWall time \d+\.\d seconds\nOutput:\n$/),
      "Ada: wrote the first program",
      "The sum of 40 and 2 is 42.",
      "hello from a file\n",
    ]);
    expect(content[4]).toMatchObject({ type: "image", mimeType: "image/png", data: expect.stringMatching(/^iVBOR/) });
    expect(texts(result)[5]).toMatch(/^true .*Access denied - path outside allowed directories/);
  });

  it("stored values persist across the cells of a connection", async () => {
    await exec(`store("answer", { value: 42 });`);
    expect(texts(await exec(`text(load("answer").value);`))[1]).toBe("42");
  });

  it("a long cell answers 'Script running' at its yield time and wait collects the rest", async () => {
    const first = await exec(`text("first"); await new Promise((r) => setTimeout(r, 500)); text("second");`, {
      yield_time_ms: 100,
    });
    const running = /^Script running with cell ID (\d+)$/.exec(header(first) ?? "");
    expect(running).not.toBeNull();
    expect(texts(first)[1]).toBe("first");
    const rest = await wait({ cell_id: running?.[1] });
    expect(header(rest)).toBe("Script completed");
    expect(texts(rest)[1]).toBe("second");
  });

  it("a spinning cell is terminated through wait", async () => {
    const first = await exec(`text("spinning"); yield_control(); while (true) {}`);
    const cellId = /^Script running with cell ID (\d+)$/.exec(header(first) ?? "")?.[1];
    expect(cellId).toBeDefined();
    const stopped = await wait({ cell_id: cellId, terminate: true });
    expect(header(stopped)).toBe("Script terminated");
    const gone = await wait({ cell_id: cellId });
    expect(gone.isError).toBe(true);
    expect(texts(gone)[1]).toBe(`Script error:\nexec cell ${cellId} not found`);
  });

  it("a server that crashes mid-call fails that call with its name; the others answer", async () => {
    const result = await exec(`
      text(await tools.mcp__flaky__crash().catch((e) => "rejected: " + e));
      text((await tools.mcp__everything__get_sum({ a: 1, b: 1 })).content[0].text);
    `);
    expect(texts(result).slice(1)).toEqual([
      expect.stringMatching(/^rejected: MCP server flaky failed calling crash: the connection closed/),
      "The sum of 1 and 1 is 2.",
    ]);
  });

  it("notify becomes progress of the call observing the cell, or else a log message", async () => {
    const progress: (string | undefined)[] = [];
    // The SDK's client drops progress it handles after the call's answer: the cell lingers a little.
    const code = `notify("step 1"); notify("step 2"); await new Promise((r) => setTimeout(r, 100));`;
    await mcp.client.callTool({ name: "exec", arguments: { code } }, undefined, {
      onprogress: ({ message }) => progress.push(message),
    });
    expect(progress).toEqual(["step 1", "step 2"]);
    mcp.logs.length = 0;
    await exec(`notify("to the log");`);
    for (let i = 0; i < 50 && mcp.logs.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(mcp.logs).toEqual([{ level: "info", logger: expect.stringMatching(/^cell \d+$/), data: "to the log" }]);
  });

  it("cancelling an exec terminates its cell", async () => {
    mcp.logs.length = 0;
    const controller = new AbortController();
    const cancelled = mcp.client
      .callTool({ name: "exec", arguments: { code: `notify("spinning"); while (true) {}` } }, undefined, {
        signal: controller.signal,
      })
      .catch((error: Error) => error);
    for (let i = 0; i < 100 && mcp.logs.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const cellId = mcp.logs[0]?.logger?.replace("cell ", "");
    expect(cellId).toMatch(/^\d+$/);
    controller.abort();
    expect(await cancelled).toBeInstanceOf(Error);
    // Until the termination is through, a wait is refused (the termination observes the cell).
    const gone = `Script error:\nexec cell ${cellId} not found`;
    let answer = await wait({ cell_id: cellId, yield_time_ms: 0 });
    for (let i = 0; i < 20 && texts(answer)[1] !== gone; i++)
      answer = await wait({ cell_id: cellId, yield_time_ms: 50 });
    expect(texts(answer)[1]).toBe(gone);
  });

  it("a server's tool list change reaches the client, the description and the next cell", async () => {
    let changed = 0;
    mcp.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const added = await exec(`text((await tools.mcp__flaky__add_tool({})).content[0].text);`);
    const name = texts(added)[1];
    expect(name).toMatch(/^added_\d+$/);
    for (let i = 0; i < 50 && changed === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(changed).toBeGreaterThan(0);
    const { tools } = await mcp.client.listTools();
    expect(tools[0]?.description).toContain(`### \`mcp__flaky__${name}\``);
    expect(texts(await exec(`text((await tools.mcp__flaky__${name}()).content[0].text);`))[1]).toMatch(/^added \d+$/);
  });

  it("a call of a tool that needs approval is denied by default, and runs with --approve all", async () => {
    const code = `try { text(await tools.guarded({ n: 1 })); } catch (error) { text(error); }`;
    expect(texts(await exec(code)).slice(1)).toEqual(["tools.guarded was denied: denied by --approve none"]);
    const approving = await connect(["--tools", TOOLS, "--approve", "all"]);
    try {
      const result = await approving.client.callTool({ name: "exec", arguments: { code } });
      expect(texts(result).slice(1)).toEqual(['{"n":1}']);
    } finally {
      await approving.client.close();
    }
  });

  it("a model's mistake is answered as an error result it can read", async () => {
    const result = await mcp.client.callTool({ name: "exec", arguments: { source: "text(1)" } });
    expect(result).toEqual({
      content: [
        {
          type: "text",
          text: "invalid exec arguments: `code` must be a string; unknown field `source`; exec accepts `code`, `yield_time_ms` and `max_output_tokens`",
        },
      ],
      isError: true,
    });
  });

  it("closing the connection stops the command, every MCP server and the daemon", async () => {
    const pid = mcp.transport.pid;
    expect(pid).not.toBeNull();
    const below = descendants(pid ?? 0);
    expect(below.length).toBeGreaterThanOrEqual(5); // the daemon and four servers (one is missing)
    await mcp.client.close();
    expect(await stillRunning([pid ?? 0, ...below])).toEqual([]);
  });
});
