// Reads JSON-RPC messages off a byte stream through a splitter; each body goes through the
// intake (message-intake.ts), so that damaged input is answered and costs only itself.
import { ErrorCode } from "@codemode/protocol";
import type { DataCallback, Disposable } from "vscode-jsonrpc/node";
import { errorResponse } from "./classify.js";
import { EndingMessageReader } from "./ending-reader.js";
import { type IntakeOptions, takeMessage } from "./message-intake.js";
import { ReadBuffer } from "./read-buffer.js";
import type { Piece, Splitter } from "./splitter.js";

export interface ReaderOptions extends IntakeOptions {
  /**
   * At end of input, close the connection (a client whose daemon is gone), or leave it open
   * so that what was read is still answered (a daemon whose host closed its input).
   */
  atEnd: "close" | "keep-open";
}

const NDJSON_FOR_HEADER = /^content-length[ \t]*:/i;

export class GuardedMessageReader extends EndingMessageReader {
  private readonly buffer = new ReadBuffer();

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly splitter: Splitter,
    private readonly options: ReaderOptions,
  ) {
    super(options.atEnd === "close");
  }

  listen(callback: DataCallback): Disposable {
    const onData = (chunk: Buffer | string) => {
      if (!this.reading) return;
      this.buffer.append(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      for (let piece = this.splitter.next(this.buffer.view); piece; piece = this.splitter.next(this.buffer.view)) {
        this.take(piece, callback);
      }
    };
    const onEnd = () => {
      if (!this.reading) return;
      const last = this.splitter.finish(this.buffer.view);
      if (last) this.take(last, callback);
      this.end();
    };
    return this.subscribe(this.input, { data: onData, end: onEnd, error: (error: Error) => this.fireError(error) });
  }

  private take(piece: Piece, callback: DataCallback): void {
    if (piece.skipped) this.options.logger.log("warn", piece.skipped);
    if (piece.error) this.options.answer(errorResponse(null, ErrorCode.InvalidRequest, piece.error));
    // The body is a view of the buffer: used up before the buffer changes.
    if (piece.body) this.deliver(piece.body, callback);
    this.buffer.consume(piece.consumed);
  }

  private deliver(body: Buffer, callback: DataCallback): void {
    takeMessage(body.toString("utf8"), callback, this.options, (text) =>
      NDJSON_FOR_HEADER.test(text)
        ? "parse error: a Content-Length header, where one JSON message per line was expected"
        : undefined,
    );
  }
}
