// `--listen <host:port>`: where the WebSocket listener binds, and the URL it is reached at.

export interface ListenAddress {
  host: string;
  /** 0: a port the system picks. */
  port: number;
}

/** Parses `host:port` (`[::1]:port` for IPv6); throws a message that names the flag. */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port > 65_535) {
    throw new Error(`--listen takes host:port (e.g. 127.0.0.1:7777, [::1]:7777, 0.0.0.0:0), not ${text}`);
  }
  return { host, port };
}

/** The listener's URL, `ws://host:port/`. */
export function websocketUrl({ host, port }: ListenAddress): string {
  return `ws://${host.includes(":") ? `[${host}]` : host}:${port}/`;
}
