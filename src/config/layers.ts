// A configuration layer: one source of values (a shipped file, a preset, a
// --config file, the flags), placed where it sits in the merged tree, and
// how layers merge (later layers win).

export type Table = Record<string, unknown>;

export interface FlagOrigin {
  flag: string;
  value: unknown;
}

/** One source of configuration values, already placed where it sits in the merged tree. */
export interface Layer {
  /** How messages name the layer: a file path, or "the command line". */
  label: string;
  file?: string;
  source?: string;
  /** Where the file's top level sits in the merged tree (['projects', 'database'] for a template file). */
  prefix: string[];
  data: Table;
  /** Command-line layer only: the flag that set each dotted key. */
  flags?: Map<string, FlagOrigin>;
  /** A shipped file unchanged since the build checked it as this layer (parsedShipped.ts): not checked again. */
  checkedAtBuild?: true;
}

export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Tables merge key by key; anything else (arrays included) is replaced by the later layer. */
export function deepMerge(base: Table, over: Table): Table {
  const result: Table = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const existing = result[key];
    result[key] = isTable(existing) && isTable(value) ? deepMerge(existing, value) : value;
  }
  return result;
}
