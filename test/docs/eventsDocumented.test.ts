// docs/run-state.md's table of events and the event contract say the same
// thing: every type of EventBodies (src/contract/events.ts) has a row naming
// exactly its fields (`?` for an optional one), and no row names a type or
// field the code lacks. The words a field takes that docs list (checkpoint
// triggers, limit actions) are every word the code has.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/contract/events.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const read = (file: string) => readFileSync(path.join(PACKAGE_ROOT, file), 'utf8');

/** A section of a Markdown file: from its `## heading` line to the next `## `. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** The body fields of each event type as events.ts declares them: `name` or `name?`. */
function declaredFields(): Map<string, string[]> {
  const source = ts.createSourceFile('events.ts', read('src/contract/events.ts'), ts.ScriptTarget.Latest, true);
  const fields = new Map<string, string[]>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== 'EventBodies') return;
    for (const member of node.members) {
      if (!ts.isPropertySignature(member) || !member.type || !ts.isTypeLiteralNode(member.type)) throw new Error(`EventBodies.${member.name?.getText(source)} is no type literal`);
      fields.set(
        member.name.getText(source),
        member.type.members.map((field) => `${field.name!.getText(source)}${field.questionToken ? '?' : ''}`),
      );
    }
  });
  return fields;
}

/** The rows of run-state.md's events table: type → fields, as written. */
function documentedFields(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const match of section(markdown, 'The events').matchAll(/^\| `([a-z_]+)` \| (.*) \|$/gm)) {
    rows.set(match[1]!, [...match[2]!.matchAll(/`([a-z_]+\??)`/g)].map((field) => field[1]!));
  }
  return rows;
}

/** The words a union type alias of statuses.ts allows. */
function unionWords(file: string, alias: string): string[] {
  const match = new RegExp(`export type ${alias} =([^;]*);`).exec(read(file));
  if (!match) throw new Error(`no type ${alias} in ${file}`);
  return [...match[1]!.matchAll(/'([a-z_]+)'/g)].map((word) => word[1]!);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(PACKAGE_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(PACKAGE_ROOT, path.join(entry.parentPath, entry.name)));
}

describe('docs/run-state.md names the events as src/contract/events.ts has them', () => {
  const runState = read('docs/run-state.md');

  it('one row per event type, each with exactly its fields', () => {
    const declared = declaredFields();
    expect([...declared.keys()].sort()).toEqual([...EVENT_TYPES].sort());
    expect(Object.fromEntries(documentedFields(runState))).toEqual(Object.fromEntries(declared));
  });

  it('every checkpoint trigger is listed, in run-state.md and in recovery.md\'s triggers', () => {
    const triggers = unionWords('src/contract/statuses.ts', 'CheckpointTrigger');
    expect(triggers).toContain('before_restore');
    const listed = /`checkpoint_created\.trigger`:([^\n]*(?:\n {2}[^\n]*)*)/.exec(section(runState, 'The events'));
    expect(listed, 'a `checkpoint_created.trigger` bullet').not.toBeNull();
    expect([...listed![1]!.matchAll(/`([a-z_]+)`/g)].map((word) => word[1]).filter((word) => word !== 'checkpoint_created')).toEqual(triggers);
    const recovery = /\*\*Triggers\.\*\*([\s\S]*?)\n\n/.exec(section(read('docs/recovery.md'), 'Checkpoints'));
    expect(recovery, 'recovery.md\'s **Triggers.** paragraph').not.toBeNull();
    for (const trigger of triggers) expect(recovery![1], trigger).toContain(`\`${trigger}\``);
  });

  it('every limit action the engine emits is listed, and none it does not', () => {
    const emitted = new Set<string>();
    for (const file of sourceFiles('src')) {
      for (const match of read(file).matchAll(/type: 'limit',[^}]*?action: '([a-z_]+)'/g)) emitted.add(match[1]!);
    }
    expect(emitted).toContain('retry');
    const listed = /`limit\.action`:([^\n]*(?:\n {2}[^\n]*)*)/.exec(section(runState, 'The events'));
    expect(listed, 'a `limit.action` bullet').not.toBeNull();
    const words = [...listed![1]!.matchAll(/`([a-z_]+)`/g)].map((word) => word[1]!);
    expect(words.sort()).toEqual([...emitted].sort());
  });
});
