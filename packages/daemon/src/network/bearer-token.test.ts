import { describe, expect, it } from "vitest";
import { BearerToken, readToken } from "./bearer-token.js";
import { parseListenAddress, websocketUrl } from "./listen-address.js";

describe("the bearer token", () => {
  const token = new BearerToken("t0k=n");

  it.each([
    ["Bearer t0k=n", true],
    ["bearer t0k=n", true],
    ["BEARER   t0k=n ", true],
    ["Bearer t0k=n2", false],
    ["Bearer t0k", false],
    ["Bearer", false],
    ["Bearer ", false],
    ["Basic t0k=n", false],
    ["t0k=n", false],
    [undefined, false],
  ])("%s → %s", (header, accepted) => {
    expect(token.accepts(header)).toBe(accepted);
  });

  it("comes from the environment unless a file is named, and is never empty", () => {
    expect(readToken(undefined, { CODEMODE_TOKEN: "env" })).toBe("env");
    expect(() => readToken(undefined, {})).toThrow("--listen needs a bearer token");
    expect(() => readToken(undefined, { CODEMODE_TOKEN: "" })).toThrow("the bearer token is empty (CODEMODE_TOKEN)");
  });
});

describe("--listen's address", () => {
  it.each([
    ["127.0.0.1:0", { host: "127.0.0.1", port: 0 }, "ws://127.0.0.1:0/"],
    ["[::1]:7777", { host: "::1", port: 7777 }, "ws://[::1]:7777/"],
    ["daemon.internal:80", { host: "daemon.internal", port: 80 }, "ws://daemon.internal:80/"],
  ])("%s", (text, address, url) => {
    expect(parseListenAddress(text)).toEqual(address);
    expect(websocketUrl(address)).toBe(url);
  });

  it.each(["localhost", ":80", "::1:80", "host:65536", "host:-1", "host:8o"])("refuses %s", (text) => {
    expect(() => parseListenAddress(text)).toThrow("--listen takes host:port");
  });
});
