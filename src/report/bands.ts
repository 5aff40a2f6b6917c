// The seed's efficiency and quality bands, as ratings: acceptable, good,
// excellent, and "below" under the first. Tokens per line of code and tool
// calls per task are better lower; line coverage is better higher. One table
// for the report and compare: the report rated 135 tokens/LOC "good" by
// bands of its own while compare rated the same run "excellent".

export type BandRating = 'excellent' | 'good' | 'acceptable' | 'below' | 'not measured';

export interface Band {
  /** What the figure is, for the legend. */
  label: string;
  unit: string;
  lowerIsBetter: boolean;
  acceptable: number;
  good: number;
  excellent: number;
}

export const BANDS = {
  tokens_per_loc: { label: 'Tokens/LOC', unit: 'tokens per line', lowerIsBetter: true, acceptable: 500, good: 300, excellent: 200 },
  tool_calls_per_task: { label: 'Tool calls/task', unit: 'calls per task', lowerIsBetter: true, acceptable: 50, good: 30, excellent: 20 },
  coverage: { label: 'Coverage', unit: '%', lowerIsBetter: false, acceptable: 70, good: 80, excellent: 90 },
  // The report's own figure (compare has no column for it): the last build's time.
  build_time_seconds: { label: 'Build time', unit: 's', lowerIsBetter: true, acceptable: 300, good: 120, excellent: 30 },
} as const satisfies Record<string, Band>;

export type BandName = keyof typeof BANDS;

/** Lower-is-better bands are strict (< 500); higher-is-better ones inclusive (>= 70 %). */
export function rateBand(value: number | null, band: Band): BandRating {
  if (value === null || !Number.isFinite(value)) return 'not measured';
  const meets = (limit: number) => (band.lowerIsBetter ? value < limit : value >= limit);
  if (meets(band.excellent)) return 'excellent';
  if (meets(band.good)) return 'good';
  if (meets(band.acceptable)) return 'acceptable';
  return 'below';
}

/** One line per band for the legend: "Tokens/LOC: < 500 acceptable, < 300 good, < 200 excellent". */
export function bandLegend(band: Band): string {
  const op = band.lowerIsBetter ? '<' : '>=';
  const unit = band.unit === '%' ? ' %' : '';
  return `${band.label}: ${op} ${band.acceptable}${unit} acceptable, ${op} ${band.good}${unit} good, ${op} ${band.excellent}${unit} excellent (else below)`;
}
