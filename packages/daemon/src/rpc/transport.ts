// Builds a vscode-jsonrpc connection over a pair of streams in the chosen framing, behind a
// reader that answers malformed input itself.
import { createMessageConnection, type MessageConnection } from "vscode-jsonrpc/node";
import { contentLengthSplitter, GuardedMessageReader, lineSplitter } from "./framing.js";
import type { Framing } from "./framings.js";
import { ContentLengthMessageWriter, NdjsonMessageWriter } from "./writers.js";

export function connect(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  framing: Framing,
  maxMessageBytes: number,
): MessageConnection {
  const writer = framing === "ndjson" ? new NdjsonMessageWriter(output) : new ContentLengthMessageWriter(output);
  const splitter = framing === "ndjson" ? lineSplitter(maxMessageBytes) : contentLengthSplitter(maxMessageBytes);
  const reader = new GuardedMessageReader(input, splitter, (response) => void writer.write(response).catch(() => {}));
  return createMessageConnection(reader, writer);
}
