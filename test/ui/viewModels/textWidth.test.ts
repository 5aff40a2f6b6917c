// Emoji and CJK as the terminal draws them: two columns, one character. An
// agent printing 🚀, 连接失败 or 👩‍👩‍👧‍👦 overran its cells (measured in code
// points), shifted the grid, wrapped rows and pushed the header off an 80x24
// screen; a ZWJ family was cut into its members.

import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { lastEventMs } from '../../../src/state/runState.js';
import { applyLogLines, setOrchestratorLiveness } from '../../../src/state/applyEvent.js';
import { initialUiState } from '../../../src/state/uiState.js';
import { glyphsFor } from '../../../src/ui/components/themeContext.js';
import { UNICODE_GLYPHS } from '../../../src/ui/theme.js';
import { agentDetailModel } from '../../../src/ui/viewModels/agentDetail.js';
import { clipSpans, clipSpansWithEllipsis, fit, textWidth, toAscii, truncate, wrapSpans, wrapText } from '../../../src/ui/viewModels/format.js';
import { logPaneModel, wrapSpans as wrapLogSpans } from '../../../src/ui/viewModels/logPane.js';
import { screenModel } from '../../../src/ui/viewModels/screen.js';
import { fixtureState } from '../helpers.js';

const FAMILY = '👩‍👩‍👧‍👦';
const TEXT = `🚀 agent-1 正在处理 step 3 — naïve café ${FAMILY} ✅ ｗｉｄｅ　ｔｅｘｔ ${'長'.repeat(30)}`;
/** The columns a terminal gives `text`, measured as Ink measures, apart from the code under test. */
const columns = (text: string) => stringWidth(text);
const joined = (spans: readonly { text: string }[]) => spans.map((s) => s.text).join('');

describe('text measured in terminal columns', () => {
  it('counts a wide character as two columns and a ZWJ sequence as one character', () => {
    expect(textWidth('漢字')).toBe(4);
    expect(textWidth(FAMILY)).toBe(2);
    expect(textWidth('e\u0301')).toBe(1);
    expect(textWidth(TEXT)).toBe(stringWidth(TEXT));
    expect(textWidth('plain ascii')).toBe(11);
  });

  it('cuts between characters, never inside a ZWJ sequence, and fills the column a wide one leaves', () => {
    expect(truncate(`ab${FAMILY}cd`, 4)).toBe('ab… ');
    expect(truncate(`ab${FAMILY}cd`, 5)).toBe(`ab${FAMILY}…`);
    expect(truncate('漢字漢字', 4, '')).toBe('漢字');
    expect(truncate('漢字漢字', 5)).toBe('漢字…');
    for (let width = 1; width <= 30; width++) {
      expect(columns(fit(TEXT, width)), `fit to ${width}`).toBe(width);
      expect(columns(fit(TEXT, width, 'right')), `fit right to ${width}`).toBe(width);
      expect(columns(joined(clipSpans([{ text: TEXT, role: 'text' }], width))), `clip to ${width}`).toBe(width);
      expect(columns(joined(clipSpansWithEllipsis([{ text: TEXT, role: 'text' }], width, '…'))), `clip… to ${width}`).toBe(width);
      expect(fit(TEXT, width)).not.toMatch(/\u200d$/);
    }
  });

  it('wraps rows to their width in columns: the message line, the alerts, the help, the log', () => {
    for (const width of [9, 20, 41, 80]) {
      for (const row of wrapSpans([{ text: TEXT, role: 'text' }], width, 10)) expect(columns(joined(row)), `${width}`).toBeLessThanOrEqual(width);
      for (const row of wrapText(TEXT, width, '  ')) expect(columns(row), `${width}`).toBeLessThanOrEqual(width);
      const rows = wrapLogSpans([{ text: TEXT, role: 'text' }], width);
      for (const row of rows) expect(columns(joined(row)), `${width}`).toBeLessThanOrEqual(width);
      // Nothing lost: the rows hold every character, whole.
      expect(rows.map((row) => joined(row).trimStart()).join('').replaceAll(' ', '')).toBe(TEXT.replaceAll(' ', ''));
    }
  });

  it('a log line too tall for the pane ends with the ellipsis within the width', () => {
    const line = { id: 1, ts: '2026-01-01T00:00:00.000Z', level: 'ERROR' as const, source: 'agent-1', message: TEXT.repeat(3) };
    const model = logPaneModel([line], { filter: '', anchorId: null, height: 2, width: 40 });
    for (const row of model.rows) expect(columns(joined(row.spans))).toBeLessThanOrEqual(40);
    expect(joined(model.rows[1]!.spans)).toMatch(/…$/);
  });

  it('a non-UTF-8 terminal gets as many ASCII columns as the text took', () => {
    expect(toAscii(`a${FAMILY}b`)).toBe('a??b');
    expect(toAscii('漢—e\u0301')).toBe('??-e');
    expect(columns(toAscii(TEXT))).toBe(columns(TEXT));
  });
});

describe('an emoji-printing run at 80x24', () => {
  function emojiRun() {
    const base = setOrchestratorLiveness(fixtureState(250), 'alive');
    const run = { ...base, agents: base.agents.map((a) => ({ ...a, task: `🔧 ${a.task ?? 'work'} — 修复 ✨ ${FAMILY}`, role: '测试工程师' })) };
    const ts = base.log[base.log.length - 1]?.ts ?? '2025-11-24T09:04:00.000Z';
    return applyLogLines(run, [`${ts} ERROR [agent-1] 💥 连接失败 timeout ETIMEDOUT 🌐 — café ${'漢字'.repeat(20)}`, `${ts} INFO  [agent-2] ${TEXT}`]);
  }

  it('lays every row out within 80 columns: grid, log, alerts, agent detail', () => {
    const run = emojiRun();
    for (const overlay of [{ kind: 'none' as const }, { kind: 'agent' as const, name: run.agents[0]!.name }]) {
      for (const bottomPane of ['log', 'alerts'] as const) {
        const model = screenModel({
          run,
          ui: { ...initialUiState('live'), overlay, bottomPane },
          wallMs: lastEventMs(run),
          position: null,
          columns: 80,
          rows: 24,
          glyphs: glyphsFor(false),
          runDir: 'runs/x',
          minElapsedSeconds: 0,
          agentOutput: [TEXT, `${FAMILY}${'漢'.repeat(50)}`],
          stopping: false,
        });
        const rows = drawnRows(model);
        for (const row of rows) expect(columns(row), `${overlay.kind} ${bottomPane}: ${row}`).toBeLessThanOrEqual(80);
      }
    }
  });

  it("the agent detail's rows fit the width", () => {
    const run = emojiRun();
    const detail = agentDetailModel(run.agents[0]!, run.alerts, [TEXT], { width: 60, rows: 20, glyphs: UNICODE_GLYPHS });
    for (const row of detail.rows) expect(columns(joined(row))).toBeLessThanOrEqual(60);
  });
});

/** Every text row a screen model holds, each as one string (spans joined, cells joined). */
function drawnRows(model: unknown): string[] {
  const out: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      const isSpan = (v: unknown) => typeof v === 'object' && v !== null && Object.keys(v).sort().join() === 'role,text';
      if (value.length > 0 && value.every(isSpan)) {
        out.push(value.map((v: { text: string }) => v.text).join(''));
        return;
      }
      value.forEach(visit);
    } else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  visit(model);
  return out;
}
