// The MCP servers to connect to, in the `{"mcpServers": {...}}` format agents already use
// (Claude Desktop, Cursor): a command to spawn (stdio) or a URL (Streamable HTTP) per server name.
import { readFile } from "node:fs/promises";
import { z } from "zod";

/** Longest wait for a server to start and list its tools, unless its config says otherwise. */
export const DEFAULT_STARTUP_TIMEOUT_MS = 10_000;
/** Longest wait for one tool call, unless its server's config says otherwise (the SDK's default). */
export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;

const Milliseconds = z.number().int().min(1).max(2_147_483_647);

/** Fields every server takes, whatever its transport. Ours; other agents' configs omit them. */
const Timeouts = {
  /** Default {@link DEFAULT_STARTUP_TIMEOUT_MS}. */
  startupTimeoutMs: Milliseconds.optional(),
  /** Default {@link DEFAULT_TOOL_TIMEOUT_MS}. */
  toolTimeoutMs: Milliseconds.optional(),
};

/** A server spawned as a child process, speaking MCP on its stdin and stdout. */
export const McpStdioServerConfig = z.object({
  type: z.literal("stdio").optional(),
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  /** Added to a minimal inherited environment (PATH, HOME, ...: the SDK's default). */
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  ...Timeouts,
});
export type McpStdioServerConfig = z.infer<typeof McpStdioServerConfig>;

/** A server reached over Streamable HTTP. */
export const McpHttpServerConfig = z.object({
  type: z.enum(["http", "streamable-http"]).optional(),
  url: z.url({ protocol: /^https?$/ }),
  /** Sent with every request, e.g. `Authorization`. */
  headers: z.record(z.string(), z.string()).optional(),
  ...Timeouts,
});
export type McpHttpServerConfig = z.infer<typeof McpHttpServerConfig>;

export const McpServerConfig = z.union([McpStdioServerConfig, McpHttpServerConfig], {
  error: "a server needs a `command` (stdio) or an http(s) `url` (Streamable HTTP)",
});
export type McpServerConfig = z.infer<typeof McpServerConfig>;

/** Server names become tool namespaces and part of flat tool names (`mcp__<server>__<tool>`). */
const ServerName = z.string().min(1, { error: "a server name must not be empty" });

export const McpConfig = z.object({ mcpServers: z.record(ServerName, McpServerConfig) });
export type McpConfig = z.infer<typeof McpConfig>;

/** Validates a parsed config; throws an `Error` naming every field that is wrong. */
export function parseMcpConfig(value: unknown, source = "MCP config"): McpConfig {
  const result = McpConfig.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    return path === "" ? issue.message : `${path}: ${issue.message}`;
  });
  throw new Error(`${source}: ${problems.join("; ")}`);
}

/** Reads and validates a config file; throws an `Error` naming the file and what is wrong. */
export async function readMcpConfig(path: string): Promise<McpConfig> {
  const text = await readFile(path, "utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  return parseMcpConfig(value, path);
}
