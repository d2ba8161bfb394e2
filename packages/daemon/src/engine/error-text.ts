// A cell's errorText from the value it threw (SPEC §3: its string `stack`, else its string
// form). Describing a value may run the cell's own code (a `stack` getter, `toString`,
// `Symbol.toPrimitive`, a proxy), so it is only ever done inside the cell's guarded section,
// under its CPU limit and the watchdog.
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { LimitTexts } from "../limit-texts.js";
import type { GuestStrings } from "./guest-strings.js";

/** Said when describing the thrown value itself failed (it threw, or the heap was full). */
export const UNDESCRIBABLE = "uncaught exception";

/** Room a heap must still have for a thrown `null` not to be read as an out-of-memory. */
const OOM_PROBE = "x".repeat(64 * 1024);

export class ErrorText {
  constructor(
    private readonly vm: QuickJSContext,
    private readonly strings: GuestStrings,
    /** The prelude's `describeError`. */
    private readonly describe: QuickJSHandle,
  ) {}

  /**
   * The errorText of the thrown value `error` (not disposed here), at most `maxLength` UTF-16
   * code units (a longer one is cut and says so). An exhausted heap is named as the limit.
   */
  of(error: QuickJSHandle, limits: { heapBytes: number; payloadBytes: number }): string {
    const text = this.describeValue(error);
    if (this.isOutOfMemory(text)) return LimitTexts.heap(limits.heapBytes);
    if (text.length <= limits.payloadBytes) return text;
    return `${text.slice(0, limits.payloadBytes)}\n${LimitTexts.payload("error text", limits.payloadBytes)}`;
  }

  private describeValue(error: QuickJSHandle): string {
    const described = this.vm.callFunction(this.describe, this.vm.undefined, error);
    if (described.error) {
      described.error.dispose();
      return UNDESCRIBABLE;
    }
    const read = this.strings.read(described.value);
    described.value.dispose();
    if (read.error === undefined) return read.text;
    read.error.dispose();
    return UNDESCRIBABLE;
  }

  /**
   * QuickJS reports an exhausted heap as an InternalError, or, when even that error cannot be
   * allocated, by throwing `null`. A `null` is told apart from a cell's own `throw null` by
   * whether the heap still has room for a small string.
   */
  private isOutOfMemory(text: string): boolean {
    if (text.startsWith("InternalError: out of memory")) return true;
    if (text !== "null") return false;
    const probe = this.vm.newString(OOM_PROBE);
    const allocated = this.vm.typeof(probe) === "string";
    probe.dispose();
    return !allocated;
  }
}
