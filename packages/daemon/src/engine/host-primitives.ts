// The host functions handed to the prelude (never to the cell directly). Each reads its
// arguments exactly (guest-strings.ts), after checking their size without copying them, and
// returns a refusal as a guest string, which the prelude throws.
import type { CellLimits, ContentItem, ImageDetail } from "@codemode/protocol";
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { LimitTexts } from "../limit-texts.js";
import type { GuestStrings } from "./guest-strings.js";

/** What the host functions do; each returns why it refused, if it did. */
export interface HostSide {
  readonly limits: CellLimits;
  emit(item: ContentItem): string | undefined;
  notify(text: string): string | undefined;
  store(key: string, json: string): string | undefined;
  /** The stored value's JSON text (made by JSON.stringify, so safe to write as is). */
  load(key: string): string | undefined;
  yieldControl(): void;
  exit(): void;
  /** Starts a tool call; returns the guest promise of its result. */
  callTool(tool: number, input: string | undefined): QuickJSHandle;
  /** Arms a timer; returns its id, or a refusal. */
  setTimer(callback: QuickJSHandle, delayMs: number): number | string;
  clearTimer(id: number): void;
}

/** A guest object holding the host functions; the caller owns it. */
export function hostObject(vm: QuickJSContext, strings: GuestStrings, side: HostSide): QuickJSHandle {
  const host = vm.newObject();
  const define = (name: string, fn: (...args: QuickJSHandle[]) => QuickJSHandle | undefined) => {
    const handle = vm.newFunction(name, fn);
    vm.setProp(host, name, handle);
    handle.dispose();
  };
  /** The string argument, exactly; the engine's own error (out of memory) is thrown into the guest. */
  const read = (handle: QuickJSHandle | undefined): string => {
    if (!handle) return "";
    const result = strings.read(handle);
    if (result.error) throw result.error;
    return result.text;
  };
  /** Why a string argument is too long to take, if it is (checked before it is copied). */
  const oversize = (handle: QuickJSHandle | undefined, what: string, maxLength: number) =>
    handle && strings.length(handle) > maxLength ? LimitTexts.payload(what, maxLength) : undefined;
  const refusal = (text: string | undefined) => (text === undefined ? undefined : vm.newString(text));

  define("emitText", (text) =>
    refusal(oversize(text, "text", side.limits.payloadBytes) ?? side.emit({ type: "text", text: read(text) })),
  );
  define("emitImage", (url, detail) =>
    refusal(
      oversize(url, "image", side.limits.payloadBytes) ??
        side.emit({ type: "image", imageUrl: read(url), detail: read(detail) as ImageDetail }),
    ),
  );
  define("notify", (text) => refusal(oversize(text, "notify", side.limits.notifyBytes) ?? side.notify(read(text))));
  // The value arrives as the JSON text the prelude made: no raw U+0000 or lone surrogate.
  define("store", (key, json) =>
    refusal(
      oversize(json, "stored value", side.limits.payloadBytes) ??
        side.store(read(key), json ? vm.getString(json) : "null"),
    ),
  );
  define("load", (key) => {
    const json = side.load(read(key));
    return json === undefined ? undefined : vm.newString(json);
  });
  define("yieldControl", () => {
    side.yieldControl();
    return undefined;
  });
  define("exit", () => {
    side.exit();
    return undefined;
  });
  define("callTool", (tool, input) =>
    side.callTool(
      tool ? vm.getNumber(tool) : -1,
      input && vm.typeof(input) === "string" ? vm.getString(input) : undefined,
    ),
  );
  define("setTimeout", (callback, delay) => {
    if (!callback) return vm.newString("setTimeout expects a function callback");
    const id = side.setTimer(callback, delay ? vm.getNumber(delay) : 0);
    return typeof id === "number" ? vm.newNumber(id) : vm.newString(id);
  });
  define("clearTimeout", (id) => {
    if (id) side.clearTimer(vm.getNumber(id));
    return undefined;
  });
  return host;
}
