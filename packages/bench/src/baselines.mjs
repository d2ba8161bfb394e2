// The physical floor of this design, measured in the same run: a JSON-RPC round trip between
// two bare Node processes over stdio (B0), the same pipelined, and spawning such a process.
import { spawn } from "node:child_process";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { median, now, timeEach } from "./stats.mjs";

const SERVER = new URL("./b0-server.mjs", import.meta.url).pathname;

function startServer() {
  const child = spawn(process.execPath, [SERVER], { stdio: ["pipe", "pipe", "inherit"] });
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  connection.listen();
  return {
    connection,
    close: async () => {
      connection.dispose();
      child.stdin.end();
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

export async function roundTrip(times) {
  const server = startServer();
  const durations = await timeEach(times, () => server.connection.sendRequest("echo", { n: 1 }));
  await server.close();
  return durations;
}

/** Requests per second with `inFlight` requests outstanding at all times. */
export async function pipelined(total, inFlight) {
  const server = startServer();
  const runs = [];
  for (let run = 0; run < 4; run++) {
    let sent = 0;
    const start = now();
    const lane = async () => {
      while (sent < total) {
        sent++;
        await server.connection.sendRequest("echo", { n: sent });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    if (run > 0) runs.push(total / ((now() - start) / 1000));
  }
  await server.close();
  return median(runs);
}

/** Spawning a bare vscode-jsonrpc server until its first response. */
export async function start(times) {
  const durations = [];
  for (let i = 0; i < times; i++) {
    const begin = now();
    const server = startServer();
    await server.connection.sendRequest("echo", { n: 0 });
    durations.push(now() - begin);
    await server.close();
  }
  return durations;
}
