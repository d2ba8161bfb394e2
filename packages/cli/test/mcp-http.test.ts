// `codemode mcp --http`: the SDK's own Client over Streamable HTTP on 127.0.0.1, with a bearer token;
// and what `codemode mcp` refuses to start with.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { descendants, stillRunning } from "./processes.js";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const TOOLS = fileURLToPath(new URL("./fixtures/tools.mjs", import.meta.url));
const TOKEN = "test-token-1234";

function codemode(args: string[], token?: string) {
  const child = spawn(process.execPath, [BIN, "mcp", ...args], {
    env: { ...process.env, CODEMODE_MCP_TOKEN: token ?? "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { child, exit, stderr: () => stderr };
}

async function connect(url: string, token = TOKEN): Promise<Client> {
  const client = new Client({ name: "test-client", version: "1.0.0" });
  const headers = { Authorization: `Bearer ${token}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

const text = (result: unknown, index: number) => {
  const block = (result as CallToolResult).content[index];
  return block?.type === "text" ? block.text : undefined;
};

let server: ReturnType<typeof codemode> & { child: ChildProcess };
let url: string;
beforeAll(async () => {
  server = codemode(["--http", "127.0.0.1:0", "--tools", TOOLS], TOKEN);
  for (let i = 0; i < 200 && !server.stderr().includes("listening on"); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  url = /listening on (\S+)/.exec(server.stderr())?.[1] ?? "";
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
});
afterAll(() => {
  server.child.kill("SIGKILL");
});

describe("codemode mcp over Streamable HTTP", () => {
  it("gives each MCP session its own code-mode session, whose cells keep running between requests", async () => {
    const first = await connect(url);
    const second = await connect(url);
    const running = await first.callTool({
      name: "exec",
      arguments: {
        code: `store("who", "first"); yield_control(); await new Promise((r) => setTimeout(r, 200)); text(load("who"));`,
        yield_time_ms: 0,
      },
    });
    const cellId = /^Script running with cell ID (\d+)/.exec(text(running, 0) ?? "")?.[1];
    expect(cellId).toBeDefined();
    const elsewhere = await second.callTool({ name: "exec", arguments: { code: `text(String(load("who")));` } });
    expect(text(elsewhere, 1)).toBe("undefined");
    const rest = await first.callTool({ name: "wait", arguments: { cell_id: cellId } });
    expect(text(rest, 0)).toMatch(/^Script completed\n/);
    expect(text(rest, 1)).toBe("first");
    await first.close();
    await second.close();
  });

  it("refuses a request without the bearer token", async () => {
    await expect(connect(url, "wrong-token-9999")).rejects.toThrow(/invalid_token/);
    const response = await fetch(url, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(response.status).toBe(401);
  });

  it("a signal ends every session, the daemon and the process", async () => {
    const client = await connect(url);
    await client.callTool({ name: "exec", arguments: { code: `yield_control(); while (true) {}`, yield_time_ms: 0 } });
    const pid = server.child.pid ?? 0;
    const below = descendants(pid);
    expect(below.length).toBeGreaterThanOrEqual(1); // the daemon
    server.child.kill("SIGTERM");
    expect(await server.exit).toBe(0);
    expect(await stillRunning([pid, ...below])).toEqual([]);
  });
});

describe("codemode mcp usage", () => {
  it("refuses a config file it cannot use, naming it and what is wrong", async () => {
    const dir = mkdtempSync(join(tmpdir(), "codemode-mcp-usage-"));
    try {
      const bad = join(dir, "mcp.json");
      writeFileSync(bad, JSON.stringify({ mcpServers: { memory: { args: ["x"] } } }));
      const refused = codemode(["--config", bad]);
      expect(await refused.exit).toBe(2);
      expect(refused.stderr()).toContain(
        `codemode: cannot use the MCP config: ${bad}: mcpServers.memory: a server needs a \`command\` (stdio) or an http(s) \`url\``,
      );
      const missing = codemode(["--config", join(dir, "nope.json")]);
      expect(await missing.exit).toBe(2);
      expect(missing.stderr()).toMatch(/^codemode: cannot use the MCP config: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to listen off loopback without a token", async () => {
    const refused = codemode(["--http", "0.0.0.0:0"]);
    expect(await refused.exit).toBe(2);
    expect(refused.stderr()).toMatch(/^codemode: --http on 0\.0\.0\.0 needs a bearer token in CODEMODE_MCP_TOKEN\n/);
  });
});
