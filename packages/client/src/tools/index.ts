// Host tools as values, and the registry that runs them for a session.
export type { PendingApproval } from "./approvals.js";
export type { HostTool, HostToolContext, JsonSchema } from "./host-tool.js";
export { ToolRegistry, type ToolRegistryOptions, toolRegistry } from "./tool-registry.js";
