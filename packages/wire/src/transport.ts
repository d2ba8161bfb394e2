// A vscode-jsonrpc connection over a pair of streams, in a given or detected framing, behind
// the guarded reader and the immediate writer, with the request-id bookkeeping between them.
import type { Framing } from "@codemode/protocol";
import { createMessageConnection, type MessageConnection, type ResponseMessage } from "vscode-jsonrpc/node";
import { contentLengthSplitter } from "./content-length-splitter.js";
import { detectingSplitter } from "./framing-detector.js";
import { lineSplitter } from "./line-splitter.js";
import type { Logger } from "./logger.js";
import { GuardedMessageReader } from "./message-reader.js";
import { FramedMessageWriter, type JsonMessageWriter } from "./message-writer.js";
import { OwnRequests, PeerRequests } from "./request-ids.js";
import type { Splitter } from "./splitter.js";

export interface WireOptions {
  /** `auto`: read off the peer's first bytes (the writer uses Content-Length until then). */
  framing: Framing | "auto";
  /** The largest message read; a larger one is skipped and answered with -32600. */
  maxMessageBytes: number;
  logger: Logger;
  /** See ReaderOptions.atEnd. */
  atEnd: "close" | "keep-open";
}

/** One JSON-RPC connection: over a pair of streams (`connect`) or a WebSocket (`connectWebSocket`). */
export interface Wire {
  readonly connection: MessageConnection;
  readonly writer: JsonMessageWriter;
  /** The framing in use: given, detected, Content-Length while undetected, or WebSocket text frames. */
  framing(): Framing | "websocket";
  /** Called once the peer's input ended (or reading stopped), after all it held was delivered. */
  onInputEnd(listener: () => void): void;
  /** Reads no more input (what was read is still handled). */
  stopReading(): void;
  /** Resolves once every request read from the peer has been answered. */
  allAnswered(): Promise<void>;
}

export function connect(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, options: WireOptions): Wire {
  const peer = new PeerRequests();
  const own = new OwnRequests();
  let framing: Framing = options.framing === "auto" ? "content-length" : options.framing;
  const writer = new FramedMessageWriter(output, () => framing, {
    answered: (id) => peer.answered(id),
    sent: (id) => own.sent(id),
  });
  const splitterFor = (chosen: Framing): Splitter =>
    chosen === "ndjson" ? lineSplitter(options.maxMessageBytes) : contentLengthSplitter(options.maxMessageBytes);
  const splitter =
    options.framing === "auto"
      ? detectingSplitter(splitterFor, (detected) => {
          framing = detected;
          options.logger.log("info", "framing detected", { framing: detected });
        })
      : splitterFor(options.framing);
  const answer = (response: ResponseMessage) => void writer.write(response).catch(() => {});
  const reader = new GuardedMessageReader(input, splitter, {
    answer,
    peer,
    own,
    logger: options.logger,
    atEnd: options.atEnd,
  });
  return {
    connection: createMessageConnection(reader, writer),
    writer,
    framing: () => framing,
    onInputEnd: (listener) => reader.onEnd(listener),
    stopReading: () => reader.stop(),
    allAnswered: () => peer.allAnswered(),
  };
}
