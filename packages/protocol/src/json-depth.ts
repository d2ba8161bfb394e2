// How deeply a JSON text nests. Plain code with no imports, so that engine workers can use it.

/**
 * Whether the arrays and objects of the JSON text `json` nest deeper than `maxDepth` levels
 * (`[[1]]` nests 2 deep; a scalar 0). Linear in the text's length, with no recursion; the
 * text must be valid JSON (brackets inside strings are skipped).
 */
export function jsonDepthExceeds(json: string, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    if (code === 0x22) {
      // Skip the string: a backslash escapes the next character.
      for (i++; i < json.length; i++) {
        const inner = json.charCodeAt(i);
        if (inner === 0x5c) i++;
        else if (inner === 0x22) break;
      }
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return false;
}
