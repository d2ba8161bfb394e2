// The network transport's names: JSON-RPC over WebSocket (one message per text frame) on the
// path `/`, behind a bearer token.

/** The only path a daemon's listener serves; an upgrade on any other is answered 404. */
export const WEBSOCKET_PATH = "/";

/** The environment variable a daemon reads its listener's bearer token from (`--token-file` wins). */
export const TOKEN_ENV = "CODEMODE_TOKEN";

/**
 * Request header of the WebSocket upgrade naming the session a host means to drive, for load
 * balancers that hash on it so that a session's reconnections reach the same daemon. Optional;
 * the daemon does not rely on it. The client sends the session id percent-encoded
 * (`encodeURIComponent`), so that any id is a valid header value.
 */
export const SESSION_HEADER = "X-Codemode-Session";
