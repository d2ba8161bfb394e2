// The daemon as a library: one Daemon shared by its connections, each served by startServer over a
// Wire (stdio streams, or a WebSocket with the wire's connectWebSocket).
export { Daemon, type DaemonOptions } from "./daemon.js";
export { EnginePool } from "./engine/engine-pool.js";
export { type Logger, stderrLogger } from "./logger.js";
export { type InputEnd, type ServerOptions, startServer } from "./rpc/server.js";
export { VERSION } from "./version.js";
