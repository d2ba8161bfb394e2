// Baseline B0: a bare Node process answering vscode-jsonrpc requests over stdio.
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";

const connection = createMessageConnection(
  new StreamMessageReader(process.stdin),
  new StreamMessageWriter(process.stdout),
);
connection.onRequest("echo", (params) => params);
connection.onClose(() => process.exit(0));
connection.listen();
