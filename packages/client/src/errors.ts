// The client's one error class: a protocol error code and the daemon's message.
import { ErrorCode } from "@codemode/protocol";
import { ResponseError } from "vscode-jsonrpc/node";

export class CodeModeError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "CodeModeError";
  }

  /** Wraps whatever a request failed with; JSON-RPC errors keep their code. */
  static from(error: unknown): CodeModeError {
    if (error instanceof CodeModeError) return error;
    if (error instanceof ResponseError) return new CodeModeError(error.code, error.message);
    return new CodeModeError(ErrorCode.InternalError, error instanceof Error ? error.message : String(error));
  }
}
