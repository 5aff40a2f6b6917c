// `megatest config migrate` never costs a user their file: an empty or
// comments-only input (what `config migrate a.toml > a.toml` leaves, the shell
// having emptied it) is refused, as is a standard output that is the input
// itself; the comments it cannot carry over, and a value it drops where a file
// set both an old and today's name, are said in the header.

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/config/errors.js';
import { migrateConfigFile, refuseOutputOntoInput } from '../../src/config/migrate.js';
import { loadConfig } from '../../src/config/load.js';
import TOML from '@iarna/toml';

const dir = mkdtempSync(path.join(os.tmpdir(), 'megatest-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scratch(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('config migrate refuses what would lose the file', () => {
  it('an empty or comments-only file: one line naming it, a usage error (exit 2)', () => {
    for (const [name, text] of [
      ['empty.toml', ''],
      ['comments.toml', '# the original runner\'s settings\n\n   # nothing else\n'],
    ] as const) {
      const file = scratch(name, text);
      const error = thrown(() => migrateConfigFile(file));
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toBe(
        `megatest config migrate: ${file} holds no settings (empty, or only comments): nothing to migrate; give the original runner's mega_test_config.toml`,
      );
    }
  });

  it('standard output that is the input file itself (`>> a.toml`, `> a.toml`), and nothing is written', () => {
    const file = scratch('same.toml', '[session]\nagent_count = 4\n');
    const fd = openSync(file, 'a');
    try {
      const error = thrown(() => refuseOutputOntoInput(file, fd));
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toMatch(new RegExp(`^megatest config migrate: standard output is ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} itself .*write to another file`));
      expect(error.message).not.toContain('\n');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('[session]\nagent_count = 4\n');
    const other = openSync(path.join(dir, 'other.toml'), 'w');
    try {
      expect(() => refuseOutputOntoInput(file, other)).not.toThrow();
    } finally {
      closeSync(other);
    }
  });
});

describe('config migrate says what it does not carry over', () => {
  it('the comments, in its header', () => {
    const text = migrateConfigFile(scratch('commented.toml', '# keep me\n[session]\nagent_count = 4 # four\n')).text;
    expect(text).toMatch(/^# Comments are not carried over/m);
    expect(text).not.toContain('keep me');
  });

  it('a value set under both an old and today\'s name: which was kept and which dropped', () => {
    const migration = migrateConfigFile(scratch('both.toml', '[session]\nagents = 4\nagent_count = 6\n[consensus]\nquorum = 2\nmin_votes = 3\n'));
    expect(migration.renamed).toEqual([
      '[session] agents -> [session] agent_count (both were set: kept [session] agent_count = 6, dropped [session] agents = 4)',
      '[consensus] quorum -> [consensus] min_votes (both were set: kept [consensus] min_votes = 3, dropped [consensus] quorum = 2)',
    ]);
    expect(migration.text).toContain('#   [session] agents -> [session] agent_count (both were set: kept [session] agent_count = 6, dropped [session] agents = 4)');
    expect(migration.text).toMatch(/^agent_count = 6$/m);
    // one name alone is a plain rename
    expect(migrateConfigFile(scratch('one.toml', '[session]\nagents = 4\n')).renamed).toEqual(['[session] agents -> [session] agent_count']);
  });
});

describe('config migrate says what it wrote otherwise', () => {
  it("roles, log level and event names in megatest's spelling: each listed in the header, before and after; the result resolves as the original does", () => {
    const original = scratch(
      'spelled.toml',
      '[agent]\nroles = ["Architect", "CODER"]\n[monitoring]\nlog_level = "TRACE"\n[notifications]\nevents = ["phase_complete", "complete"]\nwebhook_url = "http://127.0.0.1:9/x"\n',
    );
    const migration = migrateConfigFile(original);
    expect(migration.changed).toEqual([
      '[agent] roles = ["Architect","CODER"] -> ["architect","coder"]',
      '[monitoring] log_level = "TRACE" -> "debug"',
      '[notifications] events = ["phase_complete","complete"] -> ["phase_ended","session_ended"]',
    ]);
    expect(migration.text).toContain("# Written in megatest's spelling (as megatest reads them):\n#   [agent] roles = [\"Architect\",\"CODER\"] -> [\"architect\",\"coder\"]\n");
    const migrated = scratch('spelled.migrated.toml', migration.text);
    expect(loadConfig({ configFile: migrated })).toEqual(loadConfig({ configFile: original }));
    // Already in megatest's spelling: nothing listed.
    expect(migrateConfigFile(migrated).changed).toEqual([]);
    expect(migrateConfigFile(migrated).text).not.toContain("megatest's spelling");
  });
});

describe('config migrate: a webhook URL written as an environment variable', () => {
  it.each([['${SLACK_WEBHOOK}'], ['$SLACK_WEBHOOK']])('%s: "env:SLACK_WEBHOOK", which megatest reads (config check refuses the shell spelling), and the header says so', (written) => {
    const original = scratch('hook.toml', `[notifications]\nwebhook_url = "${written}"\n`);
    const migration = migrateConfigFile(original);
    expect(migration.changed).toEqual([`[notifications] webhook_url = "${written}" -> "env:SLACK_WEBHOOK"`]);
    expect(migration.text).toMatch(/^webhook_url = "env:SLACK_WEBHOOK"$/m);
    const migrated = scratch('hook.migrated.toml', migration.text);
    expect(loadConfig({ configFile: migrated }).notifications.webhook_url).toBe('env:SLACK_WEBHOOK');
  });

  it('a URL with a variable inside it is left as written (no shell expands it; megatest takes it as a URL)', () => {
    expect(migrateConfigFile(scratch('hook2.toml', '[notifications]\nwebhook_url = "https://hooks.example.com/$TOKEN"\n')).changed).toEqual([]);
  });
});

describe('config migrate quotes a refused value as the file wrote it', () => {
  it('a log level megatest has not: "VERBOSE" at its line, not the lower-cased "verbose" of the migration', () => {
    const file = scratch('verbose.toml', '[monitoring]\nlog_level = "VERBOSE"\n');
    const message = (() => {
      try {
        migrateConfigFile(file);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(new RegExp(`^\\[monitoring\\]\\.log_level = "VERBOSE" in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(line 2\\)`));
  });

  it('a file name with a line break: the header still one comment line, the output TOML', () => {
    const file = scratch('two\nlines.toml', '[session]\nagent_count = 4\n');
    const text = migrateConfigFile(file).text;
    expect(text.split('\n')[0]).toBe(`# ${JSON.stringify(file)}, migrated by megatest config migrate to megatest's current form.`);
    expect(() => TOML.parse(text)).not.toThrow();
  });
});
