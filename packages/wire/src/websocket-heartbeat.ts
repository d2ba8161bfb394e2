// Keeping a WebSocket honest: a peer gone without a word (a half-open TCP connection) is
// noticed by pinging it, and a connection that carries nothing for a while stays open through
// proxies that close idle ones.
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";

export interface HeartbeatOptions {
  /** How often the peer is pinged, ms. */
  intervalMs: number;
  /**
   * The socket's underlying stream, when this side has it: any bytes from it count as life
   * (a pong may wait behind a large frame the peer is still sending).
   */
  stream?: Duplex;
  /** Called when nothing came since the previous ping; the socket is then cut (1006). */
  onSilent(): void;
}

/**
 * Pings `socket` every `intervalMs`; when nothing came from the peer since the previous ping
 * (no pong, ping or message, nor a byte on `stream`), reports it and terminates the socket.
 * Stops when the socket closes.
 */
export function keepAlive(socket: WebSocket, options: HeartbeatOptions): void {
  let heard = true;
  const hear = () => {
    heard = true;
  };
  socket.on("pong", hear);
  socket.on("ping", hear);
  socket.on("message", hear);
  options.stream?.on("data", hear);
  const timer = setInterval(() => {
    if (!heard) {
      options.onSilent();
      socket.terminate();
      return;
    }
    heard = false;
    socket.ping();
  }, options.intervalMs);
  timer.unref();
  socket.once("close", () => clearInterval(timer));
}
