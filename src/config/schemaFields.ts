// Builders of the schema's leaves and tables. Each carries one "allowed"
// text that becomes the error message ("… must be <allowed>"), so every
// bound a user can break is spelt out in words.

import os from 'node:os';
import * as z from 'zod';
import { MAX_DURATION_SECONDS, MIN_DURATION_SECONDS, parseDuration } from './duration.js';

export const IDENTIFIER = /^[a-z][a-z0-9_-]*$/;

/** 1000000 -> "1_000_000", as a TOML file would spell it. */
export function formatBound(value: number): string {
  if (!Number.isInteger(value) || Math.abs(value) < 10_000) return String(value);
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, '_');
}

// Checks are added in one .check(): each chained .min() or .max() makes a whole new schema, and making the
// config's schemas was about a fifth of a `megatest config` command's start-up.

export function integer(min: number, max: number, what = 'an integer') {
  const allowed = `${what} ${formatBound(min)}..${formatBound(max)}`;
  return z.number({ error: allowed }).check(z.int({ error: allowed }), z.gte(min, { error: allowed }), z.lte(max, { error: allowed }));
}

export function decimal(min: number, max: number, what = 'a number') {
  const allowed = `${what} ${formatBound(min)}..${formatBound(max)}`;
  return z.number({ error: allowed }).check(z.gte(min, { error: allowed }), z.lte(max, { error: allowed }));
}

export function text(allowed = 'a string') {
  return z.string({ error: allowed });
}

export function nonEmptyText(allowed = 'a non-empty string') {
  return z.string({ error: allowed }).check(z.trim(), z.minLength(1, { error: allowed }));
}

/** "~", "~user", "$HOME", "${VAR}": what a shell would expand, and megatest does not (it reads the path as written). */
const SHELL_EXPANSION = /^~|\$(?:\{|[A-Za-z_])/;

/** What the path would have been in a shell, for the message: "~" and the variables set here, expanded. */
function writtenOut(value: string): string {
  return value
    .replace(/^~(?=\/|$)/, os.homedir())
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, bare?: string) => process.env[braced ?? bare ?? ''] ?? whole);
}

/**
 * A path, taken as written: megatest runs no shell over it, so `runs_dir = "~/mega_runs"` wrote into a folder named
 * "~" under the current one. A "~" or "$VAR" in it is refused, saying what to write instead (docs/config-mapping.md).
 */
export function pathText(allowed: string, { nonEmpty = false }: { nonEmpty?: boolean } = {}) {
  const base = nonEmpty ? nonEmptyText(allowed) : text(allowed);
  return base.check(
    z.refine((value: string) => !SHELL_EXPANSION.test(value), {
      error: (issue) => {
        const value = String(issue.input);
        const out = writtenOut(value);
        return `${allowed} written out: megatest expands no "~" or "$VARIABLE" in a path${out !== value && !SHELL_EXPANSION.test(out) ? ` (write "${out}")` : ''}`;
      },
    }),
  );
}

export function flag() {
  return z.boolean({ error: 'true or false' });
}

export function oneOf<const T extends readonly string[]>(values: T) {
  return z.enum(values, { error: `one of ${values.map((value) => JSON.stringify(value)).join(', ')}` });
}

export function identifier(what: string) {
  const allowed = `${what}: lower case letters, digits, "_" or "-", starting with a letter`;
  return z.string({ error: allowed }).regex(IDENTIFIER, { error: allowed });
}

export function list<T extends z.ZodType>(element: T, allowed: string, min = 0, max = 1000) {
  const bounds = min > 0 ? ` (${min}..${max} items)` : max < 1000 ? ` (at most ${max} items)` : '';
  return z.array(element, { error: `an array of ${allowed}` }).check(z.minLength(min, { error: `an array of ${allowed}${bounds}` }), z.maxLength(max, { error: `an array of ${allowed}${bounds}` }));
}

export function table<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape);
}

export function isRegex(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}

function isDurationText(value: string): boolean {
  try {
    parseDuration(value);
    return true;
  } catch {
    return false;
  }
}

const durationAllowed = `a number of seconds ${MIN_DURATION_SECONDS}..${MAX_DURATION_SECONDS} or a duration like "6h", "90m", "1h30m" (10s..24h)`;
export const durationSeconds = z.union(
  [
    integer(MIN_DURATION_SECONDS, MAX_DURATION_SECONDS),
    z.string().refine(isDurationText).transform((value) => parseDuration(value)),
  ],
  { error: durationAllowed },
);

export function targetOrTemplate(min: number, max: number, what: string) {
  return z.union([integer(min, max), z.literal('template')], {
    error: `${what} ${formatBound(min)}..${formatBound(max)}, or "template" to take the project template's target`,
  });
}

/** An identifier matched without regard to case and kept in lower case ("Architect" is the role architect). */
export function caseInsensitiveIdentifier(what: string) {
  const allowed = `${what}: letters, digits, "_" or "-", starting with a letter (any case; read as lower case)`;
  return z
    .string({ error: allowed })
    .refine((value) => IDENTIFIER.test(value.toLowerCase()), { error: allowed })
    .transform((value) => value.toLowerCase());
}

const MIN_HOURS = MIN_DURATION_SECONDS / 3600;
const durationHoursAllowed = `a number of hours (6, or 0.5 for 30 minutes; 10 s..24 h) or a duration like "6h", "90m", "45s", "1h30m"`;
/** [session] duration_hours as seconds: hours as a number (the original runner's form), or a duration string. */
export const durationHours = z.union(
  [
    z
      .number()
      .refine((hours) => hours >= MIN_HOURS - 1e-9 && hours <= MAX_DURATION_SECONDS / 3600)
      .transform((hours) => Math.round(hours * 3600)),
    z.string().refine(isDurationText).transform((value) => parseDuration(value)),
  ],
  { error: durationHoursAllowed },
);

/** A fraction 0..1 (0.8 = 80%), or "template"; stays as written (resolve.ts turns it into a percentage). */
export function fractionOrTemplate(what: string) {
  // On the checks too: a number out of range fails inside the union's number branch, whose own words were zod's ("Too big: expected number to be <=1").
  const allowed = `${what}: a fraction 0..1 (0.8 = 80%), or "template" to take the project template's target`;
  return z.union([z.number().check(z.gte(0, { error: allowed }), z.lte(1, { error: allowed })), z.literal('template')], { error: allowed });
}

/** A fraction 0..1 (0.9 = 90%). */
export function fraction(what: string) {
  const allowed = `${what}: a fraction 0..1 (0.9 = 90%)`;
  return z.number({ error: allowed }).check(z.gte(0, { error: allowed }), z.lte(1, { error: allowed }));
}

/** One of `values`, in any case; the value kept is `normalize` of its lower-case form. */
export function oneOfAnyCase<const T extends readonly string[], R>(values: T, normalize: (value: T[number]) => R, note = '') {
  const allowed = `one of ${values.map((value) => JSON.stringify(value)).join(', ')}${note}`;
  return z
    .string({ error: allowed })
    .refine((value) => values.includes(value.toLowerCase()), { error: allowed })
    .transform((value) => normalize(value.toLowerCase() as T[number]));
}
