// What a session learns of the results of its tools that declare no outputSchema: a bounded
// type per tool, from its first results, kept as long as the session.
import type { ToolDefinitionInput, ToolName } from "@codemode/protocol";
import { merge, type Shape, schemaOf, shapeOf } from "./infer-shape.js";

/** Results read per tool; later ones leave its type as it is, so it stays stable. */
export const LEARNED_FROM_RESULTS = 8;

interface Learned {
  shape: Shape;
  results: number;
}

const keyOf = (tool: ToolName) => JSON.stringify([tool.namespace ?? null, tool.name]);

export class ObservedResultTypes {
  /** Per live cell: the tool a call names (its `toolName`) → the name the model knows it by. */
  private readonly cellTools = new Map<string, Map<string, string>>();
  private readonly learned = new Map<string, Learned>();

  /** A cell started with `enabledTools`: its calls of tools without an outputSchema are learned from. */
  track(cellId: string, enabledTools: readonly ToolDefinitionInput[]): void {
    const names = new Map<string, string>();
    for (const tool of enabledTools) {
      if (tool.outputSchema === undefined) names.set(keyOf(tool.toolName ?? { name: tool.name }), tool.name);
    }
    if (names.size > 0) this.cellTools.set(cellId, names);
  }

  untrack(cellId: string): void {
    this.cellTools.delete(cellId);
  }

  /** A call of the cell resolved with `result`. */
  observe(cellId: string, tool: ToolName, result: unknown): void {
    const name = this.cellTools.get(cellId)?.get(keyOf(tool));
    if (name === undefined) return;
    const learned = this.learned.get(name);
    if (learned === undefined) this.learned.set(name, { shape: shapeOf(result), results: 1 });
    else if (learned.results < LEARNED_FROM_RESULTS) {
      learned.shape = merge(learned.shape, shapeOf(result));
      learned.results++;
    }
  }

  /** The learned type of the tool the model knows as `name`, as a JSON Schema; none before its first result. */
  schemaOf(name: string): Record<string, unknown> | undefined {
    const learned = this.learned.get(name);
    return learned === undefined ? undefined : schemaOf(learned.shape);
  }
}
