// What both readers (byte streams, WebSocket frames) do with one message body: answer damaged
// input themselves, refuse a request whose id is in use, and pass on only the first answer to
// each of our own requests, so that vscode-jsonrpc only ever sees well-formed messages it can
// act on.
import { ErrorCode } from "@codemode/protocol";
import { type DataCallback, Message, type ResponseMessage } from "vscode-jsonrpc/node";
import { classifyBody, errorResponse } from "./classify.js";
import type { Logger } from "./logger.js";
import type { OwnRequests, PeerRequests } from "./request-ids.js";

export interface IntakeOptions {
  /** Writes an error response for input that is not a usable message. */
  answer(response: ResponseMessage): void;
  peer: PeerRequests;
  own: OwnRequests;
  logger: Logger;
}

/**
 * Hands the message in `text` to `callback`, or answers what is wrong with it.
 * `parseErrorText` may replace the text of a parse error (a hint about the framing).
 */
export function takeMessage(
  text: string,
  callback: DataCallback,
  options: IntakeOptions,
  parseErrorText?: (text: string) => string | undefined,
): void {
  const trimmed = text.trim();
  if (trimmed === "") return;
  const { answer, peer, own, logger } = options;
  const classified = classifyBody(trimmed);
  if ("invalid" in classified) {
    const response = classified.invalid;
    if (response.id !== null) peer.expect(response.id);
    const hint = response.error?.code === ErrorCode.ParseError ? parseErrorText?.(trimmed) : undefined;
    if (hint !== undefined && response.error) response.error.message = hint;
    answer(response);
    return;
  }
  if (!("message" in classified)) return;
  const message = classified.message;
  if (Message.isRequest(message) && message.id !== null && !peer.admit(message.id)) {
    const { id } = message;
    answer(errorResponse(id, ErrorCode.InvalidRequest, `request id ${id} is in use by a request in progress`));
    return;
  }
  if (Message.isResponse(message) && !own.take(message.id)) {
    logger.log("warn", "an answer that matches no request in progress was ignored", { id: message.id });
    return;
  }
  callback(message);
}
