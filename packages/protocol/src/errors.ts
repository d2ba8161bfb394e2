// Error codes of the protocol and the exact user-facing texts of the spec.

/** JSON-RPC and LSP codes, plus one stable code per domain error. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  ServerNotInitialized: -32002,
  RequestCancelled: -32800,
  UnknownSession: -32010,
  ShuttingDown: -32011,
  DuplicateCell: -32012,
  BusyObserver: -32013,
  AlreadyTerminating: -32014,
  LimitExceeded: -32015,
  DuplicateSession: -32016,
  UnsupportedProtocolVersion: -32017,
  /**
   * The session is driven elsewhere: by another connection, or detached from its own (network
   * transport); or its lease in the session store is held by another host process (client).
   */
  SessionInUse: -32018,
  /** A reverse request (`tool/invoke`) failed on the host; the message is the JS rejection text. */
  ToolFailed: -32020,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const Messages = {
  shuttingDown: "code mode session is shutting down",
  runtimeEnded: "exec runtime ended unexpectedly",
  duplicateCell: (cellId: string) => `exec cell ${cellId} already exists`,
  missingCell: (cellId: string) => `exec cell ${cellId} not found`,
  busyObserver: (cellId: string) => `exec cell ${cellId} already has an active observer`,
  alreadyTerminating: (cellId: string) => `exec cell ${cellId} is already terminating`,
  unknownSession: (sessionId: string) => `unknown session ${sessionId}`,
  duplicateSession: (sessionId: string) => `session ${sessionId} already exists`,
  sessionInUse: (sessionId: string) => `session ${sessionId} is in use by another connection`,
  sessionDetached: (sessionId: string) =>
    `session ${sessionId} lost its connection: open it again (session/open) to drive it from this one`,
  sessionLeased: (sessionId: string, remainingMs: number) =>
    `session ${sessionId} is in use by another host (its lease ends in ${remainingMs} ms)`,
  sessionLeaseLost: (sessionId: string) =>
    `session ${sessionId} lost its lease (it expired: another host may have taken the session over)`,
} as const;
