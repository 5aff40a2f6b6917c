// Entry point of one sim agent process (built to dist/agents/sim/simAgent.js
// and started by the sim adapter): stdio wiring around SimAgent. It speaks the
// same JSONL protocol as any `command` agent, so the same adapter drives it.

import { parseAgentCommand } from '../jsonl.js';
import { LineSplitter } from '../command.js';
import { parseSimOptions, parseSimResume, SIM_OPTIONS_ENV, SIM_RESUME_ENV } from './options.js';
import { SimAgent } from './runtime.js';

function main(): void {
  const env = process.env;
  const options = parseSimOptions(env[SIM_OPTIONS_ENV]);
  const resume = parseSimResume(env[SIM_RESUME_ENV]);
  const projectDir = env.MEGATEST_PROJECT_DIR || process.cwd();
  const maxContext = Number(env.MEGATEST_MAX_CONTEXT);
  const agent = new SimAgent(
    {
      name: env.MEGATEST_AGENT_NAME || 'sim-agent',
      role: env.MEGATEST_AGENT_ROLE || 'developer',
      model: env.MEGATEST_MODEL || 'sim',
      projectDir,
      maxContextTokens: Number.isFinite(maxContext) && maxContext > 0 ? maxContext : 200_000,
    },
    options,
    {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
      exit: (code) => process.exit(code),
      stopReading: () => {
        process.stdin.removeAllListeners('data');
        process.stdin.removeAllListeners('end');
        process.stdin.pause();
      },
    },
    resume,
  );

  const lines = new LineSplitter((line) => {
    const command = parseAgentCommand(line);
    if (command) agent.command(command);
    else if (line.trim() !== '') process.stdout.write(`[sim] ignoring a stdin line that is not a command: ${line.slice(0, 200)}\n`);
  });
  process.stdin.on('data', (chunk: Buffer) => lines.push(chunk));
  process.stdin.on('end', () => {
    lines.end();
    agent.inputEnded();
  });
  agent.start();
}

try {
  main();
} catch (error) {
  process.stderr.write(`[sim] ${(error as Error).message}\n`);
  process.exit(2);
}
