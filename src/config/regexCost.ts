// Error rules' patterns are matched on the orchestrator's one thread. A
// pattern such as `(\w+\s?)+:` backtracks for hours on one 80-character error
// message it does not match, and every agent's events and every command of a
// person wait behind it. Such patterns are refused when the config is loaded.
//
// The check reads the pattern's tree (ret, the parser safe-regex2 uses) and
// refuses the two shapes people write by accident:
//   - a repeat of variable length inside an unbounded repeat: (\w+\s?)+,
//     (a*)*, ([a-z]{1,9} )* — exponential in the line's length;
//   - an unbounded repeat inside a repeat of 3 or more: (.*a){12} — the line's
//     length to that power.
// safe-regex2 itself refuses any repeat in a repeat, bounded ones too (an
// address pattern as \d{1,3}(\.\d{1,3}){3}), and every lookbehind (ret does not
// parse it). It is a heuristic all the same: overlapping alternatives as
// (a|a)* pass.

import { createRequire } from 'node:module';
import type { Token, Tokens } from 'ret';
import type * as Ret from 'ret';
import { assertNever } from '../contract/assertNever.js';

/**
 * A repeat inside a repeat needs a repeated group: a `)` followed by `*`, `+`
 * or `{`. A pattern without one (every shipped rule) is not parsed, and ret
 * is not loaded at all: each `megatest config` command pays for it.
 */
const REPEATED_GROUP = /\)[*+{]/;

// ret is CommonJS: its module.exports is the tokenizer, with the token types on it (its typings describe that object
// as the default export's namespace). Loaded on first need.
let loaded: { tokenizer: typeof Ret.tokenizer; types: typeof Ret.types } | undefined;
function ret(): NonNullable<typeof loaded> {
  if (loaded === undefined) {
    const module = createRequire(import.meta.url)('ret') as typeof Ret.tokenizer & { types: typeof Ret.types };
    loaded = { tokenizer: module, types: module.types };
  }
  return loaded;
}

/** Why the pattern may take hours to fail on one line, or null when its shape is not one of the slow ones. */
export function slowPatternShape(pattern: string): string | null {
  if (!REPEATED_GROUP.test(pattern)) return null;
  let tree: Tokens;
  try {
    // A lookbehind has the shape of a lookahead for this purpose; ret knows only the latter.
    tree = ret().tokenizer(pattern.replace(/\(\?<([=!])/g, '(?$1'));
  } catch {
    return null; // JavaScript accepted it (the caller checks that first): no shape known, nothing refused
  }
  return walk(tree, null);
}

/** The repeat a token sits in (the innermost that allows more than one round), or null. */
type Outer = { unbounded: boolean; max: number } | null;

function walk(token: Tokens | Token, outer: Outer): string | null {
  const { types } = ret();
  switch (token.type) {
    case types.ROOT:
    case types.GROUP:
      for (const part of [...(token.stack ?? []), ...(token.options ?? []).flat()]) {
        const found = walk(part, outer);
        if (found) return found;
      }
      return null;
    case types.REPETITION: {
      const unbounded = token.max === Number.POSITIVE_INFINITY;
      if (outer?.unbounded && token.max > token.min) return 'a repeat of variable length inside an unbounded repeat (as in (\\w+\\s?)+)';
      if (outer && outer.max >= 3 && unbounded) return 'an unbounded repeat inside a repeat of 3 or more (as in (.*a){12})';
      return walk(token.value, token.max > 1 ? { unbounded, max: token.max } : outer);
    }
    case types.SET: // a set's ranges never repeat
    case types.POSITION:
    case types.REFERENCE:
    case types.CHAR:
      return null;
    default:
      return assertNever(token, 'regular expression token');
  }
}
