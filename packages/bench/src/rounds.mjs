// The bench's method: each workload is measured right after its baseline, round by round, and
// judged on the median of the per-round ratios, so that a load that comes and goes (other
// processes, CPU frequency, a noisy neighbour) weighs on both sides of each ratio alike.
import { median, spread } from "./stats.mjs";

/**
 * Runs `steps` (each returning named figures of one sample) in order, `rounds` times after one
 * unrecorded warm-up round; returns one record of figures per round.
 */
export async function measureRounds(steps, rounds, progress) {
  const records = [];
  for (let round = 0; round <= rounds; round++) {
    const record = {};
    for (const step of steps) Object.assign(record, await step());
    if (round > 0) records.push(record);
    progress(round === 0 ? "warm-up round done" : `round ${round}/${rounds} done`);
  }
  return records;
}

/**
 * A step that samples baseline, workload, workload, baseline (each returning a list of
 * figures), so that a load drifting within the step weighs on both sides alike. Its figures
 * are `summary` (median, mean) of each side's samples, named `[baseline, workload]`.
 */
export function abba([baselineName, workloadName], summary, baseline, workload) {
  return async () => {
    const first = await baseline();
    const workloads = [...(await workload()), ...(await workload())];
    const baselines = [...first, ...(await baseline())];
    return { [baselineName]: summary(baselines), [workloadName]: summary(workloads) };
  };
}

/**
 * A comparison's verdict from its per-round ratios: met when their median is on the target's
 * side (`≤` or `≥` `value`); without a target the ratio is reported only.
 */
export function judge(comparison, records) {
  const { figure, baselineFigure } = comparison;
  const ratios = records.map((record) =>
    comparison.faster ? record[baselineFigure] / record[figure] : record[figure] / record[baselineFigure],
  );
  const ratio = median(ratios);
  const { target } = comparison;
  const met = target === undefined ? undefined : target.op === "≤" ? ratio <= target.value : ratio >= target.value;
  return {
    id: comparison.id,
    name: comparison.name,
    unit: comparison.unit,
    median: median(records.map((record) => record[figure])),
    baseline: comparison.baseline,
    baselineMedian: median(records.map((record) => record[baselineFigure])),
    ratioMeaning: comparison.ratioMeaning,
    ratio,
    spread: spread(ratios),
    ratios,
    target,
    verdict: met === undefined ? "info" : met ? "met" : "missed",
  };
}
