// The protocol over the network: what a client sends on the WebSocket upgrade request.

/**
 * The header naming the one session a connection drives (sent when a client opens one
 * connection per session), for a load balancer to hash on: every connection of a session
 * reaches the same daemon. Its value is the session id percent-encoded (`encodeURIComponent`),
 * so that any id is a valid header value. The daemon itself does not read it.
 */
export const SESSION_HEADER = "X-Codemode-Session";
