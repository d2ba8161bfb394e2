// Every method of the protocol, declared once: its name and the schemas of its params and result.
import { z } from "zod";
import { JsonValue } from "./json.js";
import {
  CellExecuteParams,
  CellNotifyParams,
  CellOutcome,
  CellRef,
  CellStartedParams,
  CellWaitParams,
  DaemonStats,
  EmptyParams,
  InitializeParams,
  InitializeResult,
  LogTraceParams,
  SessionOpenParams,
  SessionOpenResult,
  SessionRef,
  SessionStoredParams,
  SetTraceParams,
  StoredValuesResult,
  ToolInvokeParams,
} from "./messages.js";

export interface RequestMethod<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly kind: "request";
  readonly method: string;
  readonly params: P;
  readonly result: R;
}

export interface NotificationMethod<P extends z.ZodType = z.ZodType> {
  readonly kind: "notification";
  readonly method: string;
  readonly params: P;
}

const request = <P extends z.ZodType, R extends z.ZodType>(
  method: string,
  params: P,
  result: R,
): RequestMethod<P, R> => ({ kind: "request", method, params, result });

const notification = <P extends z.ZodType>(method: string, params: P): NotificationMethod<P> => ({
  kind: "notification",
  method,
  params,
});

/** Sent by the host, handled by the daemon. */
export const Initialize = request("initialize", InitializeParams, InitializeResult);
export const Initialized = notification("initialized", EmptyParams);
export const Shutdown = request("shutdown", EmptyParams, z.null());
export const Exit = notification("exit", EmptyParams);
export const SessionOpen = request("session/open", SessionOpenParams, SessionOpenResult);
export const SessionShutdown = request("session/shutdown", SessionRef, z.null());
export const SessionStoredValues = request("session/storedValues", SessionRef, StoredValuesResult);
export const CellExecute = request("cell/execute", CellExecuteParams, CellOutcome);
export const CellWait = request("cell/wait", CellWaitParams, CellOutcome);
export const CellTerminate = request("cell/terminate", CellRef, CellOutcome);
export const DaemonStatsRequest = request("daemon/stats", EmptyParams, DaemonStats);
/** LSP tracing: the host sets the level, the daemon reports each message it handles. */
export const SetTrace = notification("$/setTrace", SetTraceParams);

/** Sent by the daemon, handled by the host. */
export const ToolInvoke = request("tool/invoke", ToolInvokeParams, JsonValue);
export const CellNotify = request("cell/notify", CellNotifyParams, z.null());
export const CellStarted = notification("cell/started", CellStartedParams);
export const CellClosed = notification("cell/closed", CellRef);
export const SessionStored = notification("session/stored", SessionStoredParams);
export const LogTrace = notification("$/logTrace", LogTraceParams);

export const DaemonRequests = [
  Initialize,
  Shutdown,
  SessionOpen,
  SessionShutdown,
  SessionStoredValues,
  CellExecute,
  CellWait,
  CellTerminate,
  DaemonStatsRequest,
] as const;
export const DaemonNotifications = [Initialized, Exit, SetTrace] as const;
export const HostRequests = [ToolInvoke, CellNotify] as const;
export const HostNotifications = [CellStarted, CellClosed, SessionStored, LogTrace] as const;

export type ParamsOf<M extends RequestMethod | NotificationMethod> = z.infer<M["params"]>;
export type ResultOf<M extends RequestMethod> = z.infer<M["result"]>;
/** Params as a sender may write them (fields with defaults may be left out). */
export type ParamsInputOf<M extends RequestMethod | NotificationMethod> = z.input<M["params"]>;
