// Baseline B0: a bare Node process answering vscode-jsonrpc requests over stdio. `cpu` answers
// the process's own CPU time, so that B0's CPU per round trip counts both of its processes.
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";

const connection = createMessageConnection(
  new StreamMessageReader(process.stdin),
  new StreamMessageWriter(process.stdout),
);
connection.onRequest("echo", (params) => params);
connection.onRequest("cpu", () => process.cpuUsage());
connection.onClose(() => process.exit(0));
connection.listen();
