// Builds a vscode-jsonrpc connection over a pair of streams in the chosen framing, behind a
// reader that answers malformed input itself.
import { createMessageConnection, type MessageConnection, type ResponseMessage } from "vscode-jsonrpc/node";
import { contentLengthSplitter, GuardedMessageReader, lineSplitter } from "./framing.js";
import type { Framing } from "./framings.js";
import { RequestIds } from "./request-ids.js";
import { ContentLengthMessageWriter, NdjsonMessageWriter } from "./writers.js";

export function connect(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  framing: Framing,
  maxMessageBytes: number,
): MessageConnection {
  const requests = new RequestIds();
  const answered = (id: ResponseMessage["id"]) => requests.answered(id);
  const writer =
    framing === "ndjson" ? new NdjsonMessageWriter(output, answered) : new ContentLengthMessageWriter(output, answered);
  const splitter = framing === "ndjson" ? lineSplitter(maxMessageBytes) : contentLengthSplitter(maxMessageBytes);
  const answer = (response: ResponseMessage) => void writer.write(response).catch(() => {});
  const reader = new GuardedMessageReader(input, splitter, answer, requests);
  return createMessageConnection(reader, writer);
}
