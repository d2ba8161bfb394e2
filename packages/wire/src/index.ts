// The JSON-RPC transport both ends share: framing (given or detected), the guarded reader, the
// immediate writer, request-id bookkeeping, and a typed endpoint over the protocol's methods.
export { Endpoint, type EndpointOptions } from "./endpoint.js";
export { LOG_LEVELS, type Logger, type LogLevel } from "./logger.js";
export { type FramedMessageWriter, utf8BytesOver } from "./message-writer.js";
export { connect, type Wire, type WireOptions } from "./transport.js";
