// The daemon as a library: start a server over any pair of streams (the bin uses stdio).
export { Daemon, type DaemonOptions } from "./daemon.js";
export { EnginePool } from "./engine/engine-pool.js";
export { type Logger, stderrLogger } from "./logger.js";
export { type ServerOptions, startServer } from "./rpc/server.js";
export { VERSION } from "./version.js";
