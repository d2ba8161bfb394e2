// Strings between a cell's guest and the host, exactly. quickjs-emscripten reads a guest
// string through a NUL-terminated UTF-8 copy, which cuts it at the first U+0000 and turns a
// lone surrogate into three U+FFFD, and writes one the same way. So every string crosses as
// the JSON text of itself (made by the engine's JSON.stringify, which escapes both) and is
// parsed on the other side, unless the plain copy is provably exact: it arrives as the
// ECMAScript string it was, lone surrogates too.
import type { DisposableResult, QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";

/** A guest value, or the error the engine threw making it. */
export type GuestResult = DisposableResult<QuickJSHandle, QuickJSHandle>;

/** What a host primitive throws when handed something other than a string (a prelude bug). */
const NOT_A_STRING = "expected a string";

/** A guest string read on the host, or the engine's error (owned by the receiver). */
export type ReadResult = { text: string; error?: undefined } | { error: QuickJSHandle };

export class GuestStrings implements Disposable {
  private readonly stringify: QuickJSHandle;
  private readonly parse: QuickJSHandle;

  /** Takes the engine's own JSON functions: built before any cell runs, they are pristine. */
  constructor(private readonly vm: QuickJSContext) {
    const json = vm.getProp(vm.global, "JSON");
    this.stringify = vm.getProp(json, "stringify");
    this.parse = vm.getProp(json, "parse");
    json.dispose();
  }

  /** The length of a guest string in UTF-16 code units, without copying it (0 for a non-string). */
  length(handle: QuickJSHandle): number {
    if (this.vm.typeof(handle) !== "string") return 0;
    const length = this.vm.getProp(handle, "length");
    const count = this.vm.getNumber(length);
    length.dispose();
    return count;
  }

  /**
   * The guest string `handle`, exactly. Runs no guest code. Fails only when the engine cannot
   * copy it (its heap is full). The plain UTF-8 copy is exact when it has the guest string's
   * length and no U+FFFD (a lone surrogate would have left U+FFFD, a U+0000 a shorter copy);
   * otherwise the string crosses as its JSON text, which is several times slower.
   */
  read(handle: QuickJSHandle): ReadResult {
    // The prelude hands over strings only; anything else is refused before it is looked at.
    if (this.vm.typeof(handle) !== "string") return { error: this.vm.newString(NOT_A_STRING) };
    const plain = this.vm.getString(handle);
    if (plain.length === this.length(handle) && !plain.includes("\uFFFD")) return { text: plain };
    const json = this.vm.callFunction(this.stringify, this.vm.undefined, handle);
    if (json.error) return { error: json.error };
    const text = this.vm.getString(json.value);
    json.value.dispose();
    return { text: JSON.parse(text) as string };
  }

  /** A new guest string holding `text` exactly; the failure is the engine's (out of memory). */
  create(text: string): GuestResult {
    return this.parseJson(JSON.stringify(text));
  }

  /**
   * The guest value of the JSON text `json`, which the host made with JSON.stringify (so it
   * holds no raw U+0000 or lone surrogate). Runs no guest code: JSON.parse without a reviver.
   */
  parseJson(json: string): GuestResult {
    const raw = this.vm.newString(json);
    const result = this.vm.callFunction(this.parse, this.vm.undefined, raw);
    raw.dispose();
    return result;
  }

  [Symbol.dispose](): void {
    this.stringify.dispose();
    this.parse.dispose();
  }
}
