// The errorText of every limit, naming the limit and its value.

const size = (bytes: number) =>
  bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MiB`
    : bytes >= 1024 && bytes % 1024 === 0
      ? `${bytes / 1024} KiB`
      : `${bytes} bytes`;

export const LimitTexts = {
  cpu: (ms: number) => `exec cell exceeded its CPU time limit (cpuTimeMs: ${ms})`,
  heap: (bytes: number) => `exec cell exceeded its memory limit (heapBytes: ${size(bytes)})`,
  payload: (what: string, bytes: number) => `${what} exceeds the payload size limit (${size(bytes)})`,
  output: (bytes: number) => `exec cell exceeded its undelivered output limit (outputBytes: ${size(bytes)})`,
  timers: (count: number) => `exec cell exceeded its live timer limit (timers: ${count})`,
  pendingToolCalls: (count: number) => `exec cell exceeded its pending tool call limit (pendingToolCalls: ${count})`,
  pendingInputs: (bytes: number) =>
    `exec cell exceeded its pending tool input limit (pendingInputBytes: ${size(bytes)})`,
  depth: (what: string, levels: number) => `${what} nests deeper than ${levels} levels`,
  budget: (bytes: number) => `the daemon's memory budget is exhausted (memoryBudgetBytes: ${size(bytes)})`,
  stored: (bytes: number) => `stored values exceed the session's limit (storedBytes: ${size(bytes)})`,
  workerReplaced:
    "exec runtime ended unexpectedly: its engine worker was replaced because another cell in it stopped responding",
} as const;
