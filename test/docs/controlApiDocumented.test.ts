// docs/control-api.md and the control API say the same thing: its Routes
// table lists exactly the routes src/control/routes.ts serves (method and
// path); its GET /api/status example has exactly the fields of
// StatusSnapshot, CheckpointSummary and AgentMetrics (src/contract/); and the
// Prometheus names it gives are the ones src/control/prometheus.ts writes.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { EngineControl } from '../../src/contract/control.js';
import { buildRoutes } from '../../src/control/routes.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const read = (file: string) => readFileSync(path.join(PACKAGE_ROOT, file), 'utf8');
const doc = read('docs/control-api.md');

/** The property names of an interface, as the source declares them. */
function interfaceFields(file: string, name: string): string[] {
  const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest, true);
  let fields: string[] | undefined;
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === name) fields = node.members.map((member) => member.name!.getText(source));
  });
  if (!fields) throw new Error(`no interface ${name} in ${file}`);
  return fields;
}

/** The code block that follows a heading. */
function blockAfter(heading: string, fence: string): string {
  const start = doc.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}"`);
  const open = doc.indexOf(`\`\`\`${fence}\n`, start);
  return doc.slice(open, doc.indexOf('\n```\n', open + 1));
}

describe('docs/control-api.md and the control API', () => {
  it('the Routes table lists exactly the routes served, with their methods', () => {
    const routes = buildRoutes({} as EngineControl);
    const served = Object.entries(routes).map(([route, { method }]) => `${method} ${route}`);
    const start = doc.indexOf('\n## Routes\n');
    const table = doc.slice(start, doc.indexOf('\n## ', start + 1));
    const listed = [...table.matchAll(/^\| `(GET|POST) (\/[a-z/]+)[^`]*`/gm)].map((match) => `${match[1]} ${match[2]}`);
    expect(listed.sort()).toEqual(served.sort());
  });

  it('the GET /api/status example has the fields of a StatusSnapshot, its last_checkpoint and an agent', () => {
    const example = blockAfter('### GET /api/status', 'json');
    const topLevel = [...example.matchAll(/^ {2}"([a-z_]+)":/gm)].map((match) => match[1]!);
    // The route adds `agents` (the metrics' agents) to the snapshot.
    expect(topLevel.sort()).toEqual([...interfaceFields('src/contract/control.ts', 'StatusSnapshot'), 'agents'].sort());
    const checkpoint = /"last_checkpoint": \{([^}]*)\}/.exec(example)![1]!;
    expect([...checkpoint.matchAll(/"([a-z_]+)":/g)].map((match) => match[1]).sort()).toEqual(interfaceFields('src/contract/control.ts', 'CheckpointSummary').sort());
    const agent = /"agents": \[\s*\{([^}]*)\}/.exec(example)![1]!;
    expect([...agent.matchAll(/"([a-z_]+)":/g)].map((match) => match[1]).sort()).toEqual(interfaceFields('src/contract/metrics.ts', 'AgentMetrics').sort());
  });

  it('every Prometheus name it gives is written, and every name written is given', () => {
    const namesIn = (text: string) => new Set([...text.matchAll(/\bmegatest_[a-z_]+/g)].map((match) => match[0]));
    const written = namesIn(read('src/control/prometheus.ts'));
    const given = namesIn(doc);
    expect([...given].filter((name) => !written.has(name))).toEqual([]);
    expect([...written].filter((name) => !given.has(name))).toEqual([]);
  });
});
