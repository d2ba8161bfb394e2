// The daemon as a library: start a server over any pair of streams (the bin uses stdio).
export { Daemon, type DaemonOptions } from "./daemon.js";
export { EnginePool } from "./engine/engine-pool.js";
export { type Logger, stderrLogger } from "./logger.js";
export { FRAMINGS, type Framing } from "./rpc/framings.js";
export { type ServerOptions, startServer } from "./rpc/server.js";
export { connect } from "./rpc/transport.js";
export { ContentLengthMessageWriter, NdjsonMessageWriter, utf8BytesOver } from "./rpc/writers.js";
export { MAX_TIMER_DELAY_MS } from "./timer-delay.js";
export { VERSION } from "./version.js";
