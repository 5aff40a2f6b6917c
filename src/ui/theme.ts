// Colours by role. Components ask for a role ("warning", "log.ERROR"); the
// theme (themes/*.json) says how it looks. No component names a colour.
// Also the glyph sets (Unicode or ASCII) and the pure detection of which to
// use from the environment and flags.

export const THEME_NAMES = ['dark', 'light', 'high-contrast', 'mono'] as const;
export type ThemeName = (typeof THEME_NAMES)[number];

export const THEME_ROLES = [
  'text',
  'muted',
  'title',
  'accent',
  'border',
  'selected',
  'good',
  'info',
  'warning',
  'critical',
  'simulated',
  'highlight',
  'key',
  'phase.done',
  'phase.failed',
  'phase.current',
  'phase.pending',
  'checkpoint',
  'chart.tokensPerMinute',
  'chart.testPassRate',
  'chart.linesOfCode',
  'chart.coverage',
  'chart.errors',
  'log.DEBUG',
  'log.INFO',
  'log.WARN',
  'log.ERROR',
] as const;
export type ThemeRole = (typeof THEME_ROLES)[number];

export interface RoleStyle {
  color?: string;
  backgroundColor?: string;
  bold?: boolean;
  dimColor?: boolean;
  inverse?: boolean;
  underline?: boolean;
}

export interface Theme {
  name: string;
  roles: Record<ThemeRole, RoleStyle>;
}

const NAMED_COLORS = [
  'black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white', 'gray', 'grey',
  'blackBright', 'redBright', 'greenBright', 'yellowBright', 'blueBright', 'magentaBright', 'cyanBright', 'whiteBright',
];
const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
const STYLE_KEYS = ['color', 'backgroundColor', 'bold', 'dimColor', 'inverse', 'underline'] as const;

/** Validates a theme file's JSON; every error names the file, the key and what is allowed. */
export function parseTheme(value: unknown, source: string): Theme {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${source}: a theme is a JSON object with "name" and "roles"`);
  const record = value as Record<string, unknown>;
  if (typeof record.name !== 'string' || record.name === '') throw new Error(`${source}: "name" must be a non-empty string`);
  const roles = record.roles;
  if (typeof roles !== 'object' || roles === null || Array.isArray(roles)) throw new Error(`${source}: "roles" must be an object of role → style`);
  const parsed: Partial<Record<ThemeRole, RoleStyle>> = {};
  for (const [role, style] of Object.entries(roles as Record<string, unknown>)) {
    if (!(THEME_ROLES as readonly string[]).includes(role)) {
      throw new Error(`${source}: roles.${role} is not a role; roles are ${THEME_ROLES.join(', ')}`);
    }
    parsed[role as ThemeRole] = parseStyle(style, `${source}: roles.${role}`);
  }
  const missing = THEME_ROLES.filter((role) => parsed[role] === undefined);
  if (missing.length > 0) throw new Error(`${source}: roles ${missing.join(', ')} missing; every role needs a style (an empty {} is plain text)`);
  return { name: record.name, roles: parsed as Record<ThemeRole, RoleStyle> };
}

function parseStyle(value: unknown, where: string): RoleStyle {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} must be an object like {"color":"cyan","bold":true}`);
  const style: RoleStyle = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'color' || key === 'backgroundColor') {
      if (typeof v !== 'string' || !(NAMED_COLORS.includes(v) || HEX_COLOR.test(v))) {
        throw new Error(`${where}.${key}: ${JSON.stringify(v)} is not a colour; use #rrggbb or one of ${NAMED_COLORS.join(', ')}`);
      }
      style[key] = v;
    } else if (key === 'bold' || key === 'dimColor' || key === 'inverse' || key === 'underline') {
      if (typeof v !== 'boolean') throw new Error(`${where}.${key}: must be true or false`);
      style[key] = v;
    } else {
      throw new Error(`${where}.${key}: unknown key; allowed: ${STYLE_KEYS.join(', ')}`);
    }
  }
  return style;
}

/** Text props for a role: what Ink's <Text> takes. */
export function roleStyle(theme: Theme, role: ThemeRole): RoleStyle {
  return theme.roles[role];
}

export interface Glyphs {
  ascii: boolean;
  ellipsis: string;
  rule: string;
  barDone: string;
  barTodo: string;
  barNow: string;
  checkpointMark: string;
  phaseSeparator: string;
  selected: string;
  ok: string;
  failed: string;
  running: string;
  /** Where a run that ended early (timeout, stop, failure) stopped, on the phase bar. */
  stopped: string;
  /** A one-line sparkline's eight levels, lowest first. */
  spark: readonly string[];
  /** asciichart's symbols: ┼ ┤ ╶ ╴ ─ ╰ ╭ ╮ ╯ │ */
  chart: readonly string[];
  /** Replay's timeline bar: its marks (one per kind of TimelineMark), the cursor, the played and unplayed track. */
  marks: { checkpoint: string; restore: string; error: string; recovery: string; damage: string; cursor: string; played: string; track: string };
}

export const UNICODE_GLYPHS: Glyphs = {
  ascii: false,
  ellipsis: '…',
  rule: '─',
  barDone: '█',
  barTodo: '░',
  barNow: '▌',
  checkpointMark: '▼',
  phaseSeparator: '│',
  selected: '▶',
  ok: '✓',
  failed: '✗',
  running: '●',
  stopped: '■',
  spark: ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
  chart: ['┼', '┤', '╶', '╴', '─', '╰', '╭', '╮', '╯', '│'],
  marks: { checkpoint: '▼', restore: '↺', error: '✗', recovery: '✚', damage: '!', cursor: '┃', played: '━', track: '─' },
};

export const ASCII_GLYPHS: Glyphs = {
  ascii: true,
  ellipsis: '~',
  rule: '-',
  barDone: '#',
  barTodo: '.',
  barNow: '>',
  checkpointMark: 'v',
  phaseSeparator: '|',
  selected: '>',
  ok: '+',
  failed: 'x',
  running: '*',
  stopped: 'X',
  spark: ['_', '.', ':', '-', '=', '+', '*', '#'],
  chart: ['+', '|', '-', '-', '-', '\\', '/', '\\', '/', '|'],
  marks: { checkpoint: 'v', restore: 'R', error: 'X', recovery: '+', damage: '!', cursor: '|', played: '=', track: '-' },
};

export interface DisplayChoice {
  theme: ThemeName;
  ascii: boolean;
  /** Why the choice differs from what was asked, for `--verbose` or the log. */
  reasons: string[];
}

/**
 * Which theme and glyphs to use. `NO_COLOR` (set and non-empty, per
 * no-color.org) forces mono; a locale that is not UTF-8 (LC_ALL, then
 * LC_CTYPE, then LANG; none set means the C locale), `TERM=linux` or `dumb`
 * (the Linux console's font lacks box drawing), or `--ascii` give ASCII.
 */
export function detectDisplay(env: Readonly<Record<string, string | undefined>>, flags: { theme?: string; ascii?: boolean } = {}): DisplayChoice {
  const reasons: string[] = [];
  const asked = flags.theme ?? 'dark';
  if (!(THEME_NAMES as readonly string[]).includes(asked)) {
    throw new Error(`--theme ${JSON.stringify(asked)}: unknown theme; choose one of ${THEME_NAMES.join(', ')}`);
  }
  let theme = asked as ThemeName;
  const term = env.TERM ?? '';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '' && theme !== 'mono') {
    theme = 'mono';
    reasons.push('NO_COLOR is set: mono theme');
  }
  if (term === 'dumb' && theme !== 'mono') {
    theme = 'mono';
    reasons.push('TERM=dumb: mono theme');
  }
  let ascii = flags.ascii === true;
  if (!ascii) {
    const locale = firstSet(env.LC_ALL, env.LC_CTYPE, env.LANG) ?? 'C';
    if (!/utf-?8/i.test(locale)) {
      ascii = true;
      reasons.push(`locale ${locale} is not UTF-8: ASCII glyphs`);
    } else if (term === 'linux' || term === 'dumb') {
      ascii = true;
      reasons.push(`TERM=${term}: ASCII glyphs`);
    }
  }
  return { theme, ascii, reasons };
}

function firstSet(...values: (string | undefined)[]): string | undefined {
  return values.find((v) => v !== undefined && v !== '');
}
