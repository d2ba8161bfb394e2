// A vscode-jsonrpc connection over a `ws` WebSocket: one JSON-RPC message per text frame, each
// frame through the same intake as a stdio message (damaged input answered, ids checked), with
// the same request-id bookkeeping and immediate writer. The socket's owner opened it (a server's
// upgrade, a client's connect) and closes it; its close is the end of input.
import { ErrorCode } from "@codemode/protocol";
import { createMessageConnection, type DataCallback, type Disposable, type ResponseMessage } from "vscode-jsonrpc/node";
import type { RawData, WebSocket } from "ws";
import { errorResponse } from "./classify.js";
import { EndingMessageReader } from "./ending-reader.js";
import { type IntakeOptions, takeMessage } from "./message-intake.js";
import { JsonMessageWriter, type WriterHooks } from "./message-writer.js";
import { OwnRequests, PeerRequests } from "./request-ids.js";
import type { Wire, WireOptions } from "./transport.js";

export interface WebSocketWireOptions extends Pick<WireOptions, "maxMessageBytes" | "logger"> {
  /**
   * Most bytes written and not yet taken by the peer (the socket's `bufferedAmount`) before
   * the connection is cut (without a close frame: the peer is not reading): a peer that stops
   * reading cannot make this side hold its answers without bound. Default: no bound (a client
   * trusts its daemon).
   */
  maxBufferedBytes?: number;
}

/** Text of the answer to a binary frame (id null): the protocol is carried in text frames. */
export const BINARY_FRAME = "binary frames are not read: send one JSON-RPC message per text frame";

/**
 * The Wire of one WebSocket. A frame over `maxMessageBytes` (UTF-8) or a binary frame is
 * answered -32600 with id null, like an oversized stdio message; set the socket's own
 * `maxPayload` to the same limit to have larger frames refused by `ws` before they are
 * buffered (it closes the connection with 1009). Input ends when the socket closes, or at
 * `stopReading`; `allAnswered` counts the requests read as on stdio.
 */
export function connectWebSocket(socket: WebSocket, options: WebSocketWireOptions): Wire {
  const peer = new PeerRequests();
  const own = new OwnRequests();
  const writer = new WebSocketMessageWriter(socket, options.maxBufferedBytes ?? Number.POSITIVE_INFINITY, {
    answered: (id) => peer.answered(id),
    sent: (id) => own.sent(id),
  });
  const answer = (response: ResponseMessage) => void writer.write(response).catch(() => {});
  const reader = new WebSocketMessageReader(socket, options.maxMessageBytes, {
    answer,
    peer,
    own,
    logger: options.logger,
  });
  return {
    connection: createMessageConnection(reader, writer),
    writer,
    framing: () => "websocket",
    onInputEnd: (listener) => reader.onEnd(listener),
    stopReading: () => reader.stop(),
    allAnswered: () => peer.allAnswered(),
  };
}

class WebSocketMessageReader extends EndingMessageReader {
  constructor(
    private readonly socket: WebSocket,
    private readonly maxMessageBytes: number,
    private readonly options: IntakeOptions,
  ) {
    // Once the socket is closed nothing more can be written: the connection closes with it.
    super(true);
  }

  listen(callback: DataCallback): Disposable {
    const onMessage = (data: RawData, isBinary: boolean) => {
      if (this.reading) this.take(data, isBinary, callback);
    };
    const onClose = () => {
      if (this.reading) this.end();
    };
    const subscription = this.subscribe(this.socket, {
      message: onMessage,
      close: onClose,
      error: (error: Error) => this.fireError(error),
    });
    // A socket that closed before the connection listened has ended already.
    if (this.socket.readyState === this.socket.CLOSED) onClose();
    return subscription;
  }

  private take(data: RawData, isBinary: boolean, callback: DataCallback): void {
    const bytes = frameBytes(data);
    const refusal = isBinary
      ? BINARY_FRAME
      : bytes.length > this.maxMessageBytes
        ? `message of ${bytes.length} bytes exceeds the limit of ${this.maxMessageBytes}`
        : undefined;
    if (refusal === undefined) takeMessage(bytes.toString("utf8"), callback, this.options);
    else this.options.answer(errorResponse(null, ErrorCode.InvalidRequest, refusal));
  }
}

class WebSocketMessageWriter extends JsonMessageWriter {
  constructor(
    private readonly socket: WebSocket,
    private readonly maxBufferedBytes: number,
    hooks: WriterHooks,
  ) {
    super(hooks);
    socket.on("error", (error: Error) => this.fireError(error));
    socket.on("close", () => this.fireClose());
  }

  protected send(json: string): Promise<void> {
    if (this.socket.readyState !== this.socket.OPEN) return Promise.reject(new Error("the WebSocket is closed"));
    const sent = new Promise<void>((resolve, reject) => {
      this.socket.send(json, (error) => (error ? reject(error) : resolve()));
    });
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.fireError(new Error(`the peer reads too slowly: over ${this.maxBufferedBytes} bytes wait for it`));
      this.socket.terminate();
    }
    return sent;
  }
}

/** A text frame's bytes (ws hands over a Buffer, or its fragments). */
function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
