export {
  type CellOutcome,
  type ContentItem,
  ErrorCode,
  type JsonValue,
  type ToolDefinitionInput as ToolDefinition,
} from "@codemode/protocol";
export {
  type ClientOptions,
  type ClientSession,
  CodeModeClient,
  type ConnectOptions,
  type SessionStoreOptions,
} from "./client.js";
export type { DaemonOptions } from "./daemon-link.js";
export { CodeModeError } from "./errors.js";
export {
  DEFAULT_STARTUP_TIMEOUT_MS,
  DEFAULT_TOOL_TIMEOUT_MS,
  McpConfig,
  McpServerConfig,
  parseMcpConfig,
  readMcpConfig,
} from "./mcp/config.js";
export { type McpServerStatus, McpServers, type McpServersOptions, mcpToolName } from "./mcp/mcp-servers.js";
export {
  type BackoffOptions,
  type DaemonLoss,
  type RestartDecision,
  type RestartPolicy,
  restartWithBackoff,
} from "./restart-policy.js";
export { MemorySessionStore } from "./store/memory-session-store.js";
export { RedisSessionStore, type RedisSessionStoreOptions } from "./store/redis-session-store.js";
export type { SessionStore } from "./store/session-store.js";
export * from "./tools/index.js";
export type * from "./types.js";
