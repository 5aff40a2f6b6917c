// What the report says of a simulation: a sim run is SIMULATED; a branch of
// one handed to another agent is SIMULATED in part, and says up to where.

import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/report.js';
import { fakeReport } from './fakeReport.js';

const agentRow = (markdown: string) => markdown.split('\n').find((line) => line.startsWith('| agent |'));

describe('the SIMULATED note', () => {
  it('a sim run: its agents were the sim swarm', () => {
    const markdown = renderMarkdown(fakeReport('completed', [], [], { agent_kind: 'sim', simulated: true }));
    expect(markdown).toContain('> **SIMULATED**: the agents of this run were the built-in `sim` swarm, not a real model.');
    expect(agentRow(markdown)).toBe('| agent | sim (simulated) |');
  });

  it('a branch of a sim run that another agent carried on: simulated up to its checkpoint, the agent after', () => {
    const markdown = renderMarkdown(fakeReport('completed', [], [], { agent_kind: 'command', simulated: true, branched_from: { run: 'mega-1', checkpoint: 'checkpoint_003' } }));
    expect(markdown).toContain(
      '> **SIMULATED** in part: this run goes on from checkpoint_003 of mega-1, whose agents were the built-in `sim` swarm; the work up to that checkpoint was simulated, the `command` agent did the rest.',
    );
    expect(markdown).not.toContain('the agents of this run were the built-in `sim` swarm');
    expect(agentRow(markdown)).toBe('| agent | command (from checkpoint_003 on; simulated before it) |');
  });

  it('a branch of a sim run on the sim again is simply SIMULATED; a real run says nothing', () => {
    expect(renderMarkdown(fakeReport('completed', [], [], { agent_kind: 'sim', simulated: true, branched_from: { run: 'mega-1', checkpoint: 'checkpoint_003' } }))).toContain('> **SIMULATED**: the agents');
    expect(renderMarkdown(fakeReport('completed', [], [], { agent_kind: 'command', simulated: false }))).not.toContain('SIMULATED');
  });
});
