// pnpm bench: every workload and its baseline in one run, as one table of medians and p99s.
import { availableParallelism, cpus, totalmem } from "node:os";
import { pipelined, roundTrip, start } from "./baselines.mjs";
import { peer } from "./peer.mjs";
import { median, p99 } from "./stats.mjs";
import { daemonWorkloads } from "./workloads.mjs";

const scale = Number(process.env.BENCH_SCALE ?? 1);
const ms = (value) => `${value.toFixed(value < 1 ? 3 : 1)} ms`;
const perSecond = (value) => `${Math.round(value).toLocaleString("en")} /s`;
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

console.log(
  `machine: ${cpus()[0]?.model ?? "unknown"} × ${availableParallelism()}, ${mib(totalmem())}, Node ${process.version}`,
);
console.log("measuring baselines…");
const b0 = await roundTrip(2000 * scale);
const b0Pipelined = await pipelined(20_000 * scale, 500);
const b0Start = await start(8);
console.log("measuring the in-process peer…");
const peerResults = await peer(50 * scale);
console.log("measuring the daemon…");
const d = await daemonWorkloads(scale);

const b0Median = median(b0);
const rows = [
  ["B0 round trip (bare vscode-jsonrpc, two processes)", ms(b0Median), ms(p99(b0)), "", "", ""],
  ["B0 pipelined", perSecond(b0Pipelined), "", "", "", ""],
  ["B0 start (spawn node + first response)", ms(median(b0Start)), ms(p99(b0Start)), "", "", ""],
  ["peer: trivial cell (in-process)", ms(median(peerResults.trivial)), ms(p99(peerResults.trivial)), "", "", ""],
  ["peer: 100 awaited host calls", ms(median(peerResults.hundredCalls)), ms(p99(peerResults.hundredCalls)), "", "", ""],
  row("trivial cell text(1), execute→completed", d.trivial, median(d.trivial) / b0Median, "× B0", 3, "≤"),
  row(
    "sequential awaited tools.echo, per call",
    d.sequentialPerCall,
    median(d.sequentialPerCall) / b0Median,
    "× B0",
    2,
    "≤",
  ),
  [
    "2,000 parallel tools.echo (Promise.all)",
    perSecond(d.parallelPerSecond),
    "",
    (d.parallelPerSecond / b0Pipelined).toFixed(2),
    "× B0 pipelined ≥ 0.8",
    d.parallelPerSecond / b0Pipelined >= 0.8 ? "met" : "MISSED",
  ],
  row("cold start to first completed cell", d.coldStart, median(d.coldStart) / median(b0Start), "× B0 start", 1.5, "≤"),
  [
    "terminate a spinning cell",
    ms(median(d.terminate)),
    ms(p99(d.terminate)),
    ms(median(d.terminate)),
    "≤ 20 ms",
    median(d.terminate) <= 20 ? "met" : "MISSED",
  ],
  [
    "1,000 concurrent cells awaiting a tool",
    `peak ${mib(d.concurrent.peak)}`,
    "",
    `${(d.concurrent.perCell / 1024).toFixed(0)} KiB/cell`,
    "peak ≤ 512 MiB",
    d.concurrent.peak <= 512 * 1024 * 1024 ? "met" : "MISSED",
  ],
  row(
    "100 awaited host calls (vs the peer)",
    d.hundredCalls,
    median(peerResults.hundredCalls) / median(d.hundredCalls),
    "× faster",
    2,
    "≥",
  ),
  [
    "tool-call p99 with a spinning neighbour session",
    ms(median(d.neighbourGaps)),
    ms(p99(d.neighbourGaps)),
    (p99(d.neighbourGaps) / p99(d.soloGaps)).toFixed(2),
    `× solo p99 (${ms(p99(d.soloGaps))}) ≤ 2`,
    p99(d.neighbourGaps) / p99(d.soloGaps) <= 2 ? "met" : "MISSED",
  ],
];

function row(name, values, ratio, unit, target, direction) {
  const met = direction === "≤" ? ratio <= target : ratio >= target;
  return [
    name,
    ms(median(values)),
    ms(p99(values)),
    ratio.toFixed(2),
    `${unit} ${direction} ${target}`,
    met ? "met" : "MISSED",
  ];
}

const header = ["workload", "median", "p99", "ratio", "target", ""];
const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => String(r[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
console.log();
console.log(line(header));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const r of rows) console.log(line(r));
