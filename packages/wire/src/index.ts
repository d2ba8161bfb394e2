// The JSON-RPC transport both ends share: framing (given or detected) over streams, or WebSocket
// text frames; the guarded reader, the immediate writer, request-id bookkeeping, and a typed
// endpoint over the protocol's methods.
export { Endpoint, type EndpointOptions } from "./endpoint.js";
export { LOG_LEVELS, type Logger, type LogLevel } from "./logger.js";
export { type JsonMessageWriter, utf8BytesOver } from "./message-writer.js";
export { connect, type Wire, type WireOptions } from "./transport.js";
export { type HeartbeatOptions, keepAlive } from "./websocket-heartbeat.js";
export { connectWebSocket, type WebSocketWireOptions } from "./websocket-transport.js";
