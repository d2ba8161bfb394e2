// Params and results of every protocol message, as zod schemas.
// Objects strip unknown fields so that older peers tolerate newer optional fields.
import { z } from "zod";
import { ContentItem } from "./content.js";
import { FRAMINGS } from "./defaults.js";
import { JsonObject, JsonValue } from "./json.js";
import { CellLimits, CellLimitsOverride, DaemonLimits } from "./limits.js";

const Id = z.string().min(1).max(256);
const SessionId = Id;
/** Cell ids are chosen by the daemon ("1", "2", …) or by the client. */
export const CellId = Id;
export type CellId = z.infer<typeof CellId>;
/** Any safe integer: the daemon treats deadlines beyond what its timers keep as "not for days". */
const YieldTimeMs = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

// ---- lifecycle ----

export const InitializeParams = z.object({
  protocolVersion: z.string(),
  clientInfo: z.object({ name: z.string(), version: z.string().optional() }).optional(),
});
export type InitializeParams = z.infer<typeof InitializeParams>;

export const ServerCapabilities = z.object({
  framings: z.array(z.enum(FRAMINGS)),
  storedValueNotifications: z.boolean(),
});
export type ServerCapabilities = z.infer<typeof ServerCapabilities>;

export const InitializeResult = z.object({
  protocolVersion: z.string(),
  serverInfo: z.object({ name: z.string(), version: z.string() }),
  capabilities: ServerCapabilities,
  limits: z.object({ cell: CellLimits, daemon: DaemonLimits }),
});
export type InitializeResult = z.infer<typeof InitializeResult>;

export const EmptyParams = z.union([z.object({}), z.null(), z.undefined()]);
export type EmptyParams = z.infer<typeof EmptyParams>;

// ---- sessions ----

export const SessionOpenParams = z.object({
  sessionId: SessionId.optional(),
  storedValues: JsonObject.optional(),
  limits: CellLimitsOverride.optional(),
});
export type SessionOpenParams = z.infer<typeof SessionOpenParams>;

export const SessionOpenResult = z.object({
  sessionId: SessionId,
  /**
   * Set when the id named a session whose connection had closed, within the reconnect grace:
   * this connection now drives it as it was (its running cells, stored values and limits).
   */
  reattached: z.literal(true).optional(),
});
export type SessionOpenResult = z.infer<typeof SessionOpenResult>;

export const SessionRef = z.object({ sessionId: SessionId });
export type SessionRef = z.infer<typeof SessionRef>;

export const StoredValuesResult = z.object({ values: JsonObject });
export type StoredValuesResult = z.infer<typeof StoredValuesResult>;

// ---- tools ----

export const ToolName = z.object({ name: z.string(), namespace: z.string().optional() });
export type ToolName = z.infer<typeof ToolName>;

export const ToolKind = z.enum(["function", "freeform"]);
export type ToolKind = z.infer<typeof ToolKind>;

export const ToolDefinition = z.object({
  /** Flat name, e.g. `mcp__server__tool`; the cell sees it sanitised as `tools.<name>`. */
  name: z.string(),
  /** The name the host knows the tool by; defaults to `{ name }`. */
  toolName: ToolName.optional(),
  description: z.string().default(""),
  kind: ToolKind.default("function"),
  inputSchema: JsonValue.optional(),
  outputSchema: JsonValue.optional(),
});
export type ToolDefinition = z.infer<typeof ToolDefinition>;
export type ToolDefinitionInput = z.input<typeof ToolDefinition>;

// ---- cells ----

export const CellExecuteParams = z.object({
  sessionId: SessionId,
  cellId: CellId.optional(),
  toolCallId: z.string(),
  source: z.string(),
  enabledTools: z.array(ToolDefinition).default([]),
  yieldTimeMs: YieldTimeMs.optional(),
});
export type CellExecuteParams = z.infer<typeof CellExecuteParams>;

export const CellWaitParams = z.object({
  sessionId: SessionId,
  cellId: CellId,
  yieldTimeMs: YieldTimeMs.optional(),
});
export type CellWaitParams = z.infer<typeof CellWaitParams>;

export const CellRef = z.object({ sessionId: SessionId, cellId: CellId });
export type CellRef = z.infer<typeof CellRef>;

export const CellStatus = z.enum(["yielded", "completed", "terminated", "missing"]);
export type CellStatus = z.infer<typeof CellStatus>;

/** What an observer of a cell gets: the `WaitOutcome` of the session contract. */
export const CellOutcome = z.object({
  status: CellStatus,
  cellId: CellId,
  items: z.array(ContentItem),
  errorText: z.string().optional(),
});
export type CellOutcome = z.infer<typeof CellOutcome>;

export const CellStartedParams = CellRef.extend({ toolCallId: z.string() });
export type CellStartedParams = z.infer<typeof CellStartedParams>;

export const SessionStoredParams = CellRef.extend({ values: JsonObject });
export type SessionStoredParams = z.infer<typeof SessionStoredParams>;

// ---- reverse requests (daemon → host) ----

export const ToolInvokeParams = CellRef.extend({
  callId: z.string(),
  tool: ToolName,
  kind: ToolKind,
  input: JsonValue.optional(),
});
export type ToolInvokeParams = z.infer<typeof ToolInvokeParams>;

export const CellNotifyParams = CellRef.extend({ callId: z.string(), text: z.string() });
export type CellNotifyParams = z.infer<typeof CellNotifyParams>;

// ---- operations ----

export const TraceValue = z.enum(["off", "messages", "verbose"]);
export type TraceValue = z.infer<typeof TraceValue>;

export const SetTraceParams = z.object({ value: TraceValue });
export type SetTraceParams = z.infer<typeof SetTraceParams>;

export const LogTraceParams = z.object({ message: z.string(), verbose: z.string().optional() });
export type LogTraceParams = z.infer<typeof LogTraceParams>;

export const DaemonStats = z.object({
  sessions: z.number().int(),
  cells: z.number().int(),
  pendingReverseRequests: z.number().int(),
  timers: z.number().int(),
  workers: z.number().int(),
  memory: z.object({
    rss: z.number(),
    heapUsed: z.number(),
    external: z.number(),
    arrayBuffers: z.number(),
    /** The daemon's memory budget and what is charged to it now, bytes (`memoryBudgetBytes`). */
    budgetBytes: z.number(),
    chargedBytes: z.number(),
  }),
});
export type DaemonStats = z.infer<typeof DaemonStats>;
