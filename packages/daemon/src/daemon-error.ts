// The daemon's one error class: a protocol error code and the message the host sees.
import { ErrorCode, Messages } from "@codemode/protocol";

export class DaemonError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DaemonError";
  }
}

export const Errors = {
  shuttingDown: () => new DaemonError(ErrorCode.ShuttingDown, Messages.shuttingDown),
  duplicateCell: (cellId: string) => new DaemonError(ErrorCode.DuplicateCell, Messages.duplicateCell(cellId)),
  busyObserver: (cellId: string) => new DaemonError(ErrorCode.BusyObserver, Messages.busyObserver(cellId)),
  alreadyTerminating: (cellId: string) =>
    new DaemonError(ErrorCode.AlreadyTerminating, Messages.alreadyTerminating(cellId)),
  unknownSession: (sessionId: string) => new DaemonError(ErrorCode.UnknownSession, Messages.unknownSession(sessionId)),
  duplicateSession: (sessionId: string) =>
    new DaemonError(ErrorCode.DuplicateSession, Messages.duplicateSession(sessionId)),
  sessionInUse: (sessionId: string) => new DaemonError(ErrorCode.SessionInUse, Messages.sessionInUse(sessionId)),
  sessionDetached: (sessionId: string) => new DaemonError(ErrorCode.SessionInUse, Messages.sessionDetached(sessionId)),
  limit: (message: string) => new DaemonError(ErrorCode.LimitExceeded, message),
  cancelled: () => new DaemonError(ErrorCode.RequestCancelled, "request cancelled"),
} as const;
