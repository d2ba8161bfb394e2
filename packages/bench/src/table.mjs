// The bench's printed table: one row per comparison (medians, the median of the per-round
// ratios, their spread, the verdict), then the workloads judged on an absolute target.

const number = (value, unit) => {
  if (unit === "ms") return `${value.toFixed(value < 1 ? 3 : 1)} ms`;
  if (unit === "µs") return `${value.toFixed(1)} µs`;
  if (unit === "MiB") return `${value.toFixed(0)} MiB`;
  return `${Math.round(value).toLocaleString("en")} ${unit}`;
};
const ratio = (value) => value.toFixed(2);
const target = (t) => (t === undefined ? "" : `${t.op} ${t.value}`);

export function formatTable(results, absolute) {
  const header = ["workload", "median", "baseline", "baseline median", "ratio", "spread (min–max)", "target", ""];
  const rows = results.map((r) => [
    r.name,
    number(r.median, r.unit),
    r.baseline,
    number(r.baselineMedian, r.unit),
    `${ratio(r.ratio)} ${r.ratioMeaning}`,
    `${ratio(r.spread.min)}–${ratio(r.spread.max)}`,
    target(r.target),
    r.verdict === "info" ? "" : r.verdict === "met" ? "met" : "MISSED",
  ]);
  for (const a of absolute) {
    const [baseline, baselineMedian] = a.soloP99 === undefined ? ["", ""] : ["solo p99", number(a.soloP99, "ms")];
    const detail =
      a.ratio !== undefined
        ? `${ratio(a.ratio)} × solo p99`
        : a.p99 !== undefined
          ? `p99 ${number(a.p99, "ms")}`
          : `${a.perCellKiB.toFixed(0)} KiB/cell`;
    rows.push([
      a.name,
      number(a.median, a.unit),
      baseline,
      baselineMedian,
      detail,
      "",
      `${target(a.target)} (${a.target.of})`,
      a.verdict === "met" ? "met" : "MISSED",
    ]);
  }
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => String(row[i]).length)));
  const line = (cells) => `| ${cells.map((cell, i) => String(cell).padEnd(widths[i])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
