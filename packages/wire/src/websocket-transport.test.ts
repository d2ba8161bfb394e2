import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import type { Logger } from "./logger.js";
import type { Wire } from "./transport.js";
import { BINARY_FRAME, connectWebSocket } from "./websocket-transport.js";

const silent: Logger = { log: () => {} };
const LIMIT = 1_000;

interface Served {
  wire: Wire;
  client: WebSocket;
  /** The frames the client received, parsed. */
  received: unknown[];
  next(): Promise<unknown>;
}

const open: { server: WebSocketServer; client: WebSocket }[] = [];

afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server side Wire over a real socket (answering `echo`), and a raw client socket. */
async function serve(): Promise<Served> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  const accepted = new Promise<WebSocket>((resolve) => server.once("connection", resolve));
  const { port } = server.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}/`);
  open.push({ server, client });
  await new Promise((resolve) => client.once("open", resolve));
  const wire = connectWebSocket(await accepted, { maxMessageBytes: LIMIT, logger: silent });
  wire.connection.onRequest("echo", (params: unknown) => params);
  wire.connection.listen();
  const received: unknown[] = [];
  const waiting: ((message: unknown) => void)[] = [];
  client.on("message", (data) => {
    const message: unknown = JSON.parse(String(data));
    const resolve = waiting.shift();
    if (resolve) resolve(message);
    else received.push(message);
  });
  const next = () =>
    received.length > 0 ? Promise.resolve(received.shift()) : new Promise((resolve) => waiting.push(resolve));
  return { wire, client, received, next };
}

const request = (id: number, params: unknown) => JSON.stringify({ jsonrpc: "2.0", id, method: "echo", params });

describe("JSON-RPC over a WebSocket", () => {
  it("answers one message per text frame", async () => {
    const { client, next } = await serve();
    client.send(request(1, { a: 1 }));
    expect(await next()).toEqual({ jsonrpc: "2.0", id: 1, result: { a: 1 } });
  });

  it("answers a frame that is not JSON with -32700, with its id when readable, and reads on", async () => {
    const { client, next } = await serve();
    client.send('{"jsonrpc":"2.0","id":4,"method":"echo","params":');
    expect(await next()).toMatchObject({ id: 4, error: { code: -32700 } });
    client.send(request(5, { b: 2 }));
    expect(await next()).toEqual({ jsonrpc: "2.0", id: 5, result: { b: 2 } });
  });

  it("answers a frame over the message limit, and a binary frame, with -32600 and reads on", async () => {
    const { client, next } = await serve();
    client.send(request(6, { x: "x".repeat(LIMIT) }));
    expect(await next()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: expect.stringMatching(/^message of \d+ bytes exceeds the limit of 1000$/) },
    });
    client.send(Buffer.from(request(7, {})), { binary: true });
    expect(await next()).toMatchObject({ id: null, error: { code: -32600, message: BINARY_FRAME } });
    client.send(request(8, { fits: true }));
    expect(await next()).toMatchObject({ id: 8, result: { fits: true } });
  });

  it("ends its input when the socket closes, and writes nothing after", async () => {
    const { wire, client } = await serve();
    const ended = new Promise<void>((resolve) => wire.onInputEnd(resolve));
    const closed = new Promise<void>((resolve) => wire.connection.onClose(resolve));
    client.close();
    await ended;
    await closed;
    await expect(wire.writer.write({ jsonrpc: "2.0", method: "late" } as never)).rejects.toThrow(/closed/);
  });
});
