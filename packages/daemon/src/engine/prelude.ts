// The JavaScript that builds a cell's globals inside QuickJS. It runs before the cell,
// captures every builtin it relies on (so a cell that tampers with JSON or prototypes cannot
// bend the helpers), and receives the host primitives as an argument, never as a global.
// Helper errors are thrown as plain strings with the spec's exact texts. It returns the
// functions that install the cell's tools and describe a thrown value. Strings go to the host
// as they are: it reads them exactly (guest-strings.ts).

import { UNDESCRIBABLE } from "./error-text.js";

export const PRELUDE_SOURCE = String.raw`(function (host) {
  "use strict";
  const global = globalThis;
  const apply = Reflect.apply;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const toString = String;
  const trim = String.prototype.trim;
  const trimEnd = String.prototype.trimEnd;
  const toLowerCase = String.prototype.toLowerCase;
  const startsWith = String.prototype.startsWith;
  const indexOf = String.prototype.indexOf;
  const isArray = Array.isArray;
  const freeze = Object.freeze;
  const create = Object.create;
  const defineProperty = Object.defineProperty;
  const isFinite = Number.isFinite;
  const toNumber = Number;

  const IMAGE_EXPECTS = "image expects a non-empty image URL string, an object with image_url and optional detail, or a raw MCP image block";
  const REMOTE_IMAGE = "Tool call failed: remote image URLs are not supported in tool outputs. Pass a base64 data URI instead";
  const BAD_DETAIL = "image detail must be one of: auto, low, high, original";
  const DETAILS = freeze(["auto", "low", "high", "original"]);
  const EXIT = freeze({ exit: true });

  function check(error) {
    if (error !== undefined) throw error;
  }

  function renderText(value) {
    const kind = typeof value;
    if (value === undefined || value === null || kind === "boolean" || kind === "number" || kind === "bigint" || kind === "string") {
      return toString(value);
    }
    const json = stringify(value);
    return json === undefined ? toString(value) : json;
  }

  function text(value) {
    check(host.emitText(renderText(value)));
  }

  function normalizeDetail(detail) {
    if (detail === undefined || detail === null) return undefined;
    if (typeof detail !== "string") throw BAD_DETAIL;
    const lower = apply(toLowerCase, detail, []);
    for (let i = 0; i < DETAILS.length; i++) if (DETAILS[i] === lower) return lower;
    throw BAD_DETAIL;
  }

  function imageSource(value) {
    if (typeof value === "string") return { url: value, detail: undefined };
    if (value === null || typeof value !== "object" || isArray(value)) throw IMAGE_EXPECTS;
    const url = value.image_url;
    if (url !== undefined) {
      if (typeof url !== "string") throw IMAGE_EXPECTS;
      return { url, detail: normalizeDetail(value.detail) };
    }
    // Each property is read once: a getter may answer differently every time.
    const data = value.data;
    if (value.type !== "image" || typeof data !== "string" || data === "") throw IMAGE_EXPECTS;
    let mime = value.mimeType;
    if (typeof mime !== "string" || mime === "") mime = "application/octet-stream";
    const meta = value._meta;
    const embedded = meta !== null && typeof meta === "object" ? meta["codex/imageDetail"] : undefined;
    let detail;
    for (let i = 0; i < DETAILS.length; i++) if (DETAILS[i] === embedded) detail = embedded;
    const isDataUrl = apply(startsWith, apply(toLowerCase, data, []), ["data:"]);
    return { url: isDataUrl ? data : "data:" + mime + ";base64," + data, detail };
  }

  function image(value, detail) {
    const source = imageSource(value);
    const url = source.url;
    if (url === "") throw IMAGE_EXPECTS;
    const lower = apply(toLowerCase, url, []);
    if (apply(startsWith, lower, ["http://"]) || apply(startsWith, lower, ["https://"])) throw REMOTE_IMAGE;
    if (!apply(startsWith, lower, ["data:"])) throw IMAGE_EXPECTS;
    const chosen = normalizeDetail(detail) ?? source.detail ?? "high";
    check(host.emitImage(url, chosen));
  }

  function generatedImage(value) {
    if (value === null || typeof value !== "object") throw IMAGE_EXPECTS;
    const hint = value.output_hint;
    if (hint !== undefined && typeof hint !== "string") throw "generatedImage output_hint must be a string when provided";
    image({ image_url: value.image_url, detail: value.detail });
    if (hint !== undefined) text(hint);
  }

  function notify(value) {
    const message = renderText(value);
    if (apply(trim, message, []) === "") throw "notify expects non-empty text";
    check(host.notify(message));
  }

  function store(key, value) {
    const name = toString(key);
    const json = stringify(value);
    if (json === undefined) throw "Unable to store " + stringify(name) + ". Only plain serializable objects can be stored.";
    check(host.store(name, json));
  }

  function load(key) {
    const json = host.load(toString(key));
    return json === undefined ? undefined : parse(json);
  }

  function yield_control() {
    host.yieldControl();
  }

  function exit() {
    host.exit();
    throw EXIT;
  }

  function setTimeout(callback, delay) {
    if (typeof callback !== "function") throw "setTimeout expects a function callback";
    let ms = toNumber(delay);
    if (!isFinite(ms) || ms <= 0) ms = 0;
    const id = host.setTimeout(callback, ms);
    if (typeof id !== "number") throw id;
    return id;
  }

  function clearTimeout(id) {
    host.clearTimeout(toNumber(id));
  }

  const globals = {
    text, image, generatedImage, notify, store, load, yield_control, exit, setTimeout, clearTimeout,
  };
  const define = (name, value) =>
    defineProperty(global, name, { value, writable: false, enumerable: false, configurable: false });
  for (const name in globals) define(name, globals[name]);
  for (const name of ["console", "WebAssembly", "Atomics", "SharedArrayBuffer", "require", "process", "setInterval", "clearInterval"]) {
    delete global[name];
  }

  // Installed once the cell is known: the rest of the globals are built ahead of time.
  function installTools(toolsJson) {
    const toolList = parse(toolsJson);
    const tools = create(null);
    const allTools = [];
    for (let i = 0; i < toolList.length; i++) {
      const index = i;
      const name = toolList[i].jsName;
      if (name in tools) continue; // two tools with the same JS name: the first one wins
      // The host settles the promise with the result already parsed: no then() here, which
      // would look up a Promise[Symbol.species] the cell may have replaced.
      const call = function (arg) {
        const input = arguments.length === 0 ? undefined : stringify(arg);
        return host.callTool(index, input);
      };
      defineProperty(call, "name", { value: name });
      defineProperty(tools, name, { value: call, enumerable: true });
      allTools[allTools.length] = freeze({ name, description: toolList[i].description });
    }
    define("tools", freeze(tools));
    define("ALL_TOOLS", freeze(allTools));
  }

  // Whether a stack is one QuickJS wrote: frames only ("    at ..."), one per line.
  function isEngineStack(stack) {
    for (let start = 0; start < stack.length; ) {
      if (!apply(startsWith, stack, ["    at ", start])) return false;
      const end = apply(indexOf, stack, ["\n", start]);
      start = end < 0 ? stack.length : end + 1;
    }
    return true;
  }

  // The host turns a thrown value into the cell's errorText with this: its stack when it has
  // a string one, else its string form. QuickJS's own stacks lack V8's first line,
  // "Name: message", so it is added back to those; a stack the cell wrote is kept as is.
  function describeError(error) {
    try {
      // Read once: a getter may answer a string, then something else.
      const stack = error !== null && typeof error === "object" ? error.stack : undefined;
      if (typeof stack === "string") {
        const frames = apply(trimEnd, stack, []);
        if (!isEngineStack(frames)) return stack;
        const head = toString(error);
        return frames === "" ? head : head + "\n" + frames;
      }
      return toString(error);
    } catch (failure) {
      return ${JSON.stringify(UNDESCRIBABLE)};
    }
  }

  return { installTools, describeError };
})`;
