// Builds a vscode-jsonrpc connection over a pair of streams in the chosen framing.
import {
  createMessageConnection,
  type MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-jsonrpc/node";
import { NdjsonMessageReader, NdjsonMessageWriter } from "./ndjson.js";

export const FRAMINGS = ["content-length", "ndjson"] as const;
export type Framing = (typeof FRAMINGS)[number];

export function connect(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  framing: Framing,
): MessageConnection {
  if (framing === "ndjson") {
    return createMessageConnection(new NdjsonMessageReader(input), new NdjsonMessageWriter(output));
  }
  return createMessageConnection(new StreamMessageReader(input), new StreamMessageWriter(output));
}
