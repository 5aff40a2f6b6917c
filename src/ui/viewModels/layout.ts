// How the screen's rows and columns are shared out. Readable at 80x24
// (header, phase bar, two charts, the top agents, a few log lines, key
// line); a larger terminal gets more charts, taller charts, every agent, a
// longer log and an alerts pane.

export interface Layout {
  width: number;
  /** Rows drawn: one less than the terminal, so Ink never has to clear the whole screen. */
  height: number;
  header: number;
  phaseBar: number;
  /**
   * Replay's rows under the phase bar: 2 for the timeline bar and the status
   * line, 1 for the status line alone, 0 live (or in a pane too short for them).
   */
  timeline: number;
  charts: { perRow: number; chartRows: number; count: number; height: number; width: number };
  agents: { rows: number };
  log: { rows: number; width: number };
  alerts: { rows: number; width: number; beside: boolean };
  /** The message rows (toast, filter prompt, standing warning) and the key line: the message gets `footer - 1` rows. */
  footer: number;
}

const CHART_MIN_WIDTH = 38;
/** The agent grid's title, column header and one agent, and the log's title and one line. */
const ESSENTIAL_ROWS = 3 + 2;
const MAX_CHARTS = 5;

/** The columns drawn in a terminal `columns` wide. */
export function layoutWidth(columns: number): number {
  return Math.max(20, columns);
}

/**
 * `timeline`: the rows replay asks for under the phase bar (2, or 0 live);
 * `messageRows`: the rows the message line needs (1 unless a long message
 * wraps). In a pane too short for them and the essentials, both may get fewer
 * (the layout's `timeline` and `footer` say how many).
 */
export function computeLayout(columns: number, rows: number, counts: { agents: number; alerts: number; charts?: number; timeline?: number; messageRows?: number }): Layout {
  const width = layoutWidth(columns);
  const height = Math.max(10, rows - 1);
  const header = 2;
  const phaseBar = 2;
  let timeline = counts.timeline ?? 0;
  let messageRows = Math.max(1, counts.messageRows ?? 1);
  const chartsAvailable = counts.charts ?? MAX_CHARTS;

  const perRow = Math.max(1, Math.min(chartsAvailable, Math.floor(width / CHART_MIN_WIDTH)));
  const chartRows = height >= 38 && perRow < chartsAvailable ? 2 : 1;
  const chartHeight = height >= 50 ? 8 : height >= 30 ? 5 : 4;
  const chartCount = Math.min(chartsAvailable, perRow * chartRows);
  const chartWidth = Math.floor((width - (perRow - 1)) / perRow);
  // Each chart row is a title line and the plot.
  let chartBlock = chartRows * (chartHeight + 1);

  const fixed = () => header + phaseBar + timeline + 1 + messageRows;
  let rest = height - fixed() - chartBlock;
  let chartHeightUsed = chartHeight;
  let chartRowsUsed = chartRows;
  let chartCountUsed = chartCount;
  if (rest < 8) {
    // A very short terminal: shrink the charts before the agents and log disappear.
    const shrink = Math.min(chartHeight - 2, 8 - rest);
    chartHeightUsed = chartHeight - Math.max(0, shrink);
    chartBlock = chartRows * (chartHeightUsed + 1);
    rest = height - fixed() - chartBlock;
  }
  if (rest < ESSENTIAL_ROWS) {
    // A pane too short for a chart beside an agent and a log line (a tmux split): the charts go.
    chartRowsUsed = 0;
    chartCountUsed = 0;
    chartBlock = 0;
    rest = height - fixed();
  }
  // Still too short (12 or 13 rows): rather than the agents' and the log's
  // titles being drawn over (Ink squeezes what overflows the body into rows
  // on top of each other), replay's timeline bar gives way, then a long
  // message's extra rows (its first row stays, ending with an ellipsis), then
  // replay's status line: the dashboard is then laid out as the live one.
  while (rest < ESSENTIAL_ROWS) {
    if (timeline > 1) timeline = 1;
    else if (messageRows > 1) messageRows -= 1;
    else if (timeline > 0) timeline = 0;
    else break;
    rest = height - fixed();
  }
  const footer = 1 + messageRows;

  // Agents: a title and a column header, then as many rows as the room allows (up to all).
  const agentWanted = Math.max(1, counts.agents);
  const agentBudget = Math.max(1, Math.floor((rest - 2 - 2) * 0.45));
  const agentRows = Math.max(1, Math.min(agentWanted, agentBudget));
  const afterAgents = rest - 2 - agentRows;

  const beside = width >= 110;
  const logTitle = 1;
  let logRows: number;
  let alertRows: number;
  let logWidth = width;
  let alertWidth = width;
  if (beside) {
    logRows = Math.max(1, afterAgents - logTitle);
    alertRows = logRows;
    alertWidth = Math.max(30, Math.floor(width * 0.35));
    logWidth = width - alertWidth - 1;
  } else if (afterAgents >= 12 && counts.alerts > 0) {
    alertRows = Math.min(counts.alerts, 4);
    logRows = Math.max(1, afterAgents - logTitle - 1 - alertRows);
  } else {
    alertRows = 0;
    logRows = Math.max(1, afterAgents - logTitle);
  }
  return {
    width,
    height,
    header,
    phaseBar,
    timeline,
    charts: { perRow, chartRows: chartRowsUsed, count: chartCountUsed, height: chartHeightUsed, width: chartWidth },
    agents: { rows: agentRows },
    log: { rows: logRows, width: logWidth },
    alerts: { rows: alertRows, width: alertWidth, beside },
    footer,
  };
}
