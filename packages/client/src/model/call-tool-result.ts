// What a call of an MCP tool resolves with in a cell: the server's `CallToolResult`. Owns its JSON
// Schema (the output schema of every MCP host tool), how a description recognizes that schema,
// and the TypeScript the model reads for it.

/** The schema's title, which marks an output schema as an MCP tool's result. */
const CALL_TOOL_RESULT = "CallToolResult";

/**
 * The output schema of an MCP tool as a host tool: the `CallToolResult` object, with
 * `structuredContent` typed by the tool's own `outputSchema` when it declares one (MCP
 * specification 2025-11-25, `CallToolResult`).
 */
export function callToolResultSchema(structuredContent?: unknown): Record<string, unknown> {
  return {
    title: CALL_TOOL_RESULT,
    type: "object",
    properties: {
      content: { type: "array", items: { type: "object" } },
      ...(structuredContent === undefined ? {} : { structuredContent }),
      isError: { type: "boolean" },
      _meta: { type: "object" },
    },
    required: ["content"],
  };
}

/**
 * Whether `outputSchema` is an MCP tool's result (made by {@link callToolResultSchema}); if so,
 * the schema of its `structuredContent`, `null` when the tool declares none.
 */
export function structuredContentOf(outputSchema: unknown): unknown | undefined {
  if (!isObject(outputSchema) || outputSchema.title !== CALL_TOOL_RESULT) return undefined;
  const properties = outputSchema.properties;
  return isObject(properties) && properties.structuredContent !== undefined ? properties.structuredContent : null;
}

/**
 * The MCP types a `CallToolResult<T>` declaration refers to, after the MCP specification's
 * schema (2025-11-25): content blocks, resources and annotations.
 */
export const MCP_TYPES = `type McpMeta = { [key: string]: unknown };
type McpAnnotations = { audience?: Array<"user" | "assistant">; priority?: number; lastModified?: string };
type TextContent = { type: "text"; text: string; annotations?: McpAnnotations; _meta?: McpMeta };
type ImageContent = { type: "image"; data: string; mimeType: string; annotations?: McpAnnotations; _meta?: McpMeta };
type AudioContent = { type: "audio"; data: string; mimeType: string; annotations?: McpAnnotations; _meta?: McpMeta };
type ResourceLink = {
  type: "resource_link"; uri: string; name: string; title?: string; description?: string;
  mimeType?: string; size?: number; annotations?: McpAnnotations; _meta?: McpMeta;
};
type EmbeddedResource = {
  type: "resource";
  resource: { uri: string; mimeType?: string; _meta?: McpMeta } & ({ text: string } | { blob: string });
  annotations?: McpAnnotations; _meta?: McpMeta;
};
type ContentBlock = TextContent | ImageContent | AudioContent | ResourceLink | EmbeddedResource;
/** What an MCP tool answers. \`isError: true\` is the tool's own failure, reported as a result. */
type CallToolResult<T = { [key: string]: unknown }> = {
  content: ContentBlock[];
  structuredContent?: T;
  isError?: boolean;
  _meta?: McpMeta;
};`;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
