// The daemon as a library: start a server over any pair of streams (the bin uses stdio).
export { Daemon, type DaemonOptions } from "./daemon.js";
export { type Logger, stderrLogger } from "./logger.js";
export { startServer, type ServerOptions } from "./rpc/server.js";
export { connect, type Framing, FRAMINGS } from "./rpc/transport.js";
export { VERSION } from "./version.js";
