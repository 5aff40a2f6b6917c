// The output lines of the agent whose detail is open: read now, then every
// few seconds while it stays open, through the reader the caller handed the
// console (the console itself reads no file). Null where there is no reader
// (replay: the recording has no times to place the lines by).

import { useEffect, useState } from 'react';

/** How often an open agent detail reads the agent's output again. */
export const AGENT_OUTPUT_REFRESH_MS = 2000;

// One empty list for every render: a fresh [] each time would make the screen
// model (useScreen.ts), which compares its inputs by identity, recompute.
const NO_LINES: string[] = [];

export function useAgentOutput(agent: string | null, read: ((agent: string) => Promise<string[]>) | undefined): string[] | null {
  const [output, setOutput] = useState<{ agent: string; lines: string[] } | null>(null);
  useEffect(() => {
    if (agent === null || !read) return;
    let open = true;
    const refresh = () =>
      void read(agent).then(
        (lines) => open && setOutput({ agent, lines }),
        () => open && setOutput({ agent, lines: [] }),
      );
    refresh();
    const timer = setInterval(refresh, AGENT_OUTPUT_REFRESH_MS);
    return () => {
      open = false;
      clearInterval(timer);
    };
  }, [agent, read]);
  if (!read) return null;
  return output !== null && output.agent === agent ? output.lines : NO_LINES;
}
