// Names in project/ that are not UTF-8 (a Latin-1 `caf\xe9.txt`, bytes a
// test wrote) cannot be kept: a manifest's paths are JSON strings, and Node
// hands such a name over with U+FFFD in place of its bytes, a name that
// opens nothing. The walk leaves them out, as before, but no longer in
// silence: it names them (escaped) for the checkpoint's log line and alert.

import { readdirSync, type Dirent } from 'node:fs';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The entries of a folder listing whose names are what is on disk, and
 * the others' names with their bytes escaped. Only a listing with a U+FFFD
 * in some name is read again, as bytes: a real U+FFFD is a name like any
 * other.
 */
export function splitUnnamed(absolute: string, names: Dirent[]): { named: Dirent[]; unnamed: string[] } {
  if (!names.some((dirent) => dirent.name.includes('\uFFFD'))) return { named: names, unnamed: [] };
  const unnamed: string[] = [];
  const garbled = new Set<string>();
  for (const bytes of readdirSync(absolute, { encoding: 'buffer' })) {
    const name = bytes.toString('utf8');
    if (Buffer.from(name, 'utf8').equals(bytes)) continue;
    garbled.add(name);
    unnamed.push(escapedName(bytes));
  }
  return { named: names.filter((dirent) => !garbled.has(dirent.name)), unnamed };
}

/** The name with every byte that is not part of a UTF-8 character written as `\xNN`. */
export function escapedName(bytes: Buffer): string {
  let out = '';
  for (let at = 0; at < bytes.length; ) {
    let taken = 0;
    for (let length = 1; length <= 4 && at + length <= bytes.length; length += 1) {
      try {
        out += STRICT_UTF8.decode(bytes.subarray(at, at + length));
        taken = length;
        break;
      } catch {
        // not a whole character yet: one more byte
      }
    }
    if (taken === 0) {
      out += `\\x${bytes[at]!.toString(16).padStart(2, '0')}`;
      taken = 1;
    }
    at += taken;
  }
  return out;
}
