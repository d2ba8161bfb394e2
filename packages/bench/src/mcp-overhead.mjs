// What an MCP tool costs a cell: sequential awaited calls of a host tool answered in-process, of the
// reference server's `echo` through McpServers (stdio), and the same MCP call from the SDK's client
// alone. Run with `node packages/bench/src/mcp-overhead.mjs` after a build.
import { createRequire } from "node:module";
import { CodeModeClient, McpServers } from "@codemode/client";
import { median, now, p99 } from "./stats.mjs";

const CALLS = Number(process.env.BENCH_MCP_CALLS ?? 500);
const everything = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/dist/index.js");
const ms = (value) => `${value.toFixed(3)} ms`;

const servers = new McpServers({
  mcpServers: { everything: { command: process.execPath, args: [everything, "stdio"] } },
});
const client = await CodeModeClient.start();
try {
  const [status] = await servers.start();
  const session = await client.openSession({
    delegate: {
      invokeTool: (call, signal) =>
        servers.owns(call) ? servers.invokeTool(call, signal) : Promise.resolve(call.input ?? null),
      notify: async () => {},
    },
  });
  const enabledTools = [{ name: "echo", description: "returns its input" }, ...(await servers.tools())];

  /** Wall time per call of cells making `CALLS` sequential awaited calls (after a warm-up cell). */
  const perCall = async (call) => {
    const samples = [];
    for (let round = 0; round < 6; round++) {
      const start = now();
      const cell = await session.execute({
        toolCallId: "bench",
        source: `for (let i = 0; i < ${CALLS}; i++) await ${call};`,
        enabledTools,
        yieldTimeMs: 600_000,
      });
      const outcome = await cell.initialResponse;
      if (outcome.errorText !== undefined) throw new Error(outcome.errorText);
      if (round > 0) samples.push((now() - start) / CALLS);
    }
    return samples;
  };

  const direct = await perCall(`tools.echo({ message: "hi" })`);
  const throughMcp = await perCall(`tools.mcp__everything__echo({ message: "hi" })`);
  const bare = [];
  const call = { tool: { name: "echo", namespace: "everything" }, input: { message: "hi" } };
  for (let i = 0; i < CALLS; i++) {
    const start = now();
    await servers.invokeTool(call, new AbortController().signal);
    bare.push(now() - start);
  }

  console.log(`MCP protocol version agreed with the reference server: ${status?.protocolVersion}`);
  console.log(`host tool answered in-process, per call in a cell:        median ${ms(median(direct))}`);
  console.log(`MCP tool (stdio) through McpServers, per call in a cell:  median ${ms(median(throughMcp))}`);
  console.log(
    `the same MCP call from the host alone (no cell):          median ${ms(median(bare))}, p99 ${ms(p99(bare))}`,
  );
  console.log(`what MCP adds to a call in a cell:                        ${ms(median(throughMcp) - median(direct))}`);
  await session.shutdown();
} finally {
  await servers.close();
  await client.close();
}
