// Opening the WebSocket to a daemon (or to the load balancer in front of daemons): the bearer
// token and, for a connection that drives one session, that session's id on the upgrade request.
import { ErrorCode, SESSION_HEADER } from "@codemode/protocol";
import WebSocket from "ws";
import { CodeModeError } from "./errors.js";

export interface WebSocketTarget {
  /** `ws://` or `wss://` URL of a daemon's listener (path `/`) or of the balancer before it. */
  url: string;
  /** The bearer token the daemon requires. */
  token: string;
  /** The one session this connection drives, sent as `X-Codemode-Session`. */
  sessionId?: string;
  /** Longest wait for the upgrade to be answered, milliseconds. */
  handshakeTimeoutMs: number;
}

/** The server's answer to an upgrade it refused (401: a wrong or missing token). */
export class UpgradeRefused extends CodeModeError {
  constructor(readonly status: number) {
    super(
      ErrorCode.InternalError,
      status === 401
        ? "the daemon refused the connection: its bearer token was not accepted (HTTP 401)"
        : `the daemon refused the connection (HTTP ${status})`,
    );
  }
}

/** Resolves with the open WebSocket; rejects with `UpgradeRefused` or with why it could not connect. */
export function openWebSocket(target: WebSocketTarget): Promise<WebSocket> {
  const headers: Record<string, string> = { Authorization: `Bearer ${target.token}` };
  if (target.sessionId !== undefined) headers[SESSION_HEADER] = encodeURIComponent(target.sessionId);
  const socket = new WebSocket(target.url, {
    headers,
    handshakeTimeout: target.handshakeTimeoutMs,
    // Messages are JSON-RPC: compression would cost CPU on both ends for little.
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    const fail = (error: CodeModeError) => {
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.terminate();
      reject(error);
    };
    socket.once("open", () => {
      socket.removeAllListeners();
      resolve(socket);
    });
    socket.once("unexpected-response", (_, response) => {
      response.resume();
      fail(new UpgradeRefused(response.statusCode ?? 0));
    });
    socket.once("error", (error) =>
      fail(new CodeModeError(ErrorCode.InternalError, `cannot connect to ${target.url}: ${error.message}`)),
    );
  });
}
