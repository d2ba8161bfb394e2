// Reads JSON-RPC messages off a byte stream through a splitter, answers damaged input itself,
// refuses a request whose id is in use, and passes on only the first answer to each of our
// own requests. vscode-jsonrpc only ever sees well-formed messages it can act on.
import { ErrorCode } from "@codemode/protocol";
import {
  AbstractMessageReader,
  type DataCallback,
  type Disposable,
  Message,
  type ResponseMessage,
} from "vscode-jsonrpc/node";
import { classifyBody, errorResponse } from "./classify.js";
import type { Logger } from "./logger.js";
import { ReadBuffer } from "./read-buffer.js";
import type { OwnRequests, PeerRequests } from "./request-ids.js";
import type { Piece, Splitter } from "./splitter.js";

export interface ReaderOptions {
  /** Writes an error response for input that is not a usable message. */
  answer(response: ResponseMessage): void;
  peer: PeerRequests;
  own: OwnRequests;
  logger: Logger;
  /**
   * At end of input, close the connection (a client whose daemon is gone), or leave it open
   * so that what was read is still answered (a daemon whose host closed its input).
   */
  atEnd: "close" | "keep-open";
}

type State = "reading" | "ended";

const NDJSON_FOR_HEADER = /^content-length[ \t]*:/i;

export class GuardedMessageReader extends AbstractMessageReader {
  private readonly buffer = new ReadBuffer();
  private state: State = "reading";
  private readonly endListeners: (() => void)[] = [];
  private stopListening: (() => void) | undefined;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly splitter: Splitter,
    private readonly options: ReaderOptions,
  ) {
    super();
  }

  /** Called once, when input ended or reading stopped, after every message read was delivered. */
  onEnd(listener: () => void): void {
    if (this.state === "ended") listener();
    else this.endListeners.push(listener);
  }

  listen(callback: DataCallback): Disposable {
    const onData = (chunk: Buffer | string) => {
      if (this.state !== "reading") return;
      this.buffer.append(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      for (let piece = this.splitter.next(this.buffer.view); piece; piece = this.splitter.next(this.buffer.view)) {
        this.take(piece, callback);
      }
    };
    const onEnd = () => {
      if (this.state !== "reading") return;
      const last = this.splitter.finish(this.buffer.view);
      if (last) this.take(last, callback);
      this.end();
    };
    const onError = (error: Error) => this.fireError(error);
    this.input.on("data", onData);
    this.input.on("end", onEnd);
    this.input.on("error", onError);
    this.stopListening = () => {
      this.input.off("data", onData);
      this.input.off("end", onEnd);
      this.input.off("error", onError);
    };
    return { dispose: () => this.stopListening?.() };
  }

  /** Reads no more: later input is ignored, as after its end. */
  stop(): void {
    if (this.state === "reading") this.end();
  }

  private end(): void {
    this.state = "ended";
    this.stopListening?.();
    for (const listener of this.endListeners.splice(0)) listener();
    if (this.options.atEnd === "close") this.fireClose();
  }

  private take(piece: Piece, callback: DataCallback): void {
    if (piece.skipped) this.options.logger.log("warn", piece.skipped);
    if (piece.error) this.options.answer(errorResponse(null, ErrorCode.InvalidRequest, piece.error));
    // The body is a view of the buffer: used up before the buffer changes.
    if (piece.body) this.deliver(piece.body, callback);
    this.buffer.consume(piece.consumed);
  }

  private deliver(body: Buffer, callback: DataCallback): void {
    const text = body.toString("utf8").trim();
    if (text === "") return;
    const { answer, peer, own, logger } = this.options;
    const classified = classifyBody(text);
    if ("invalid" in classified) {
      const response = classified.invalid;
      if (response.id !== null) peer.expect(response.id);
      if (response.error?.code === ErrorCode.ParseError && NDJSON_FOR_HEADER.test(text)) {
        response.error.message = "parse error: a Content-Length header, where one JSON message per line was expected";
      }
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
}
