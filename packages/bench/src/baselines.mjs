// The physical floor of this design, measured in the same run as the workloads: JSON-RPC
// round trips between two bare Node processes over stdio with vscode-jsonrpc (B0), alone, in
// lanes and pipelined, and spawning such a process until its first answer (B0 start).
import { spawn } from "node:child_process";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { cpuMicros, now, timed, timeEach } from "./stats.mjs";

const SERVER = new URL("./b0-server.mjs", import.meta.url).pathname;

/** A B0 server process and its connection, kept across rounds. */
export function startB0() {
  const child = spawn(process.execPath, [SERVER], { stdio: ["pipe", "pipe", "inherit"] });
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  connection.listen();
  const echo = (n) => connection.sendRequest("echo", { n });
  return {
    /** Durations of `times` sequential round trips, ms. */
    roundTrips: (times) => timeEach(times, echo, 0),
    /**
     * `lanes` concurrent lanes of `perLane` awaited round trips each, `reps` times: round
     * trips per second, and the CPU of both processes per round trip (µs).
     */
    async lanes(lanes, perLane, reps) {
      const serverBefore = await connection.sendRequest("cpu");
      const hostBefore = process.cpuUsage();
      const lane = async () => {
        for (let i = 0; i < perLane; i++) await echo(i);
      };
      const ms = await timed(async () => {
        for (let rep = 0; rep < reps; rep++) await Promise.all(Array.from({ length: lanes }, lane));
      });
      const host = cpuMicros(process.cpuUsage(hostBefore));
      const server = cpuMicros(await connection.sendRequest("cpu")) - cpuMicros(serverBefore);
      const calls = lanes * perLane * reps;
      return { perSecond: calls / (ms / 1000), cpuPerCallMicros: (host + server) / calls };
    },
    /** Requests per second with `inFlight` requests outstanding at all times. */
    async pipelined(total, inFlight) {
      let sent = 0;
      const lane = async () => {
        while (sent < total) await echo(sent++);
      };
      const ms = await timed(() => Promise.all(Array.from({ length: inFlight }, lane)));
      return total / (ms / 1000);
    },
    async close() {
      connection.dispose();
      child.stdin.end();
      if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

/** Spawning a bare vscode-jsonrpc server until its first response, ms. */
export async function b0Start() {
  const begin = now();
  const server = startB0();
  await server.roundTrips(1);
  const duration = now() - begin;
  await server.close();
  return duration;
}
