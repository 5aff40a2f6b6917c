// How the console entries (runConsole.ts, runReplay.ts) load React and Ink.
//
// NODE_ENV: React and Ink are loaded as their production builds unless the
// process already chose (NODE_ENV set, as under vitest). React's development
// build records a performance.measure carrying a props diff for every
// component render and Node keeps every measure in its global performance
// buffer: under a busy run the console's heap grew by ~30 MB a second. It
// also costs far more CPU.
//
// CI and CONTINUOUS_INTEGRATION: Ink reads them once, when loaded, and in its
// "CI mode" writes no frame until it unmounts. The console only opens where a
// person looks at it (`run` goes headless under CI; `attach` and `replay`
// need a terminal), so a CI variable left in a person's shell must not blank
// it.
//
// The packages read these once, when first loaded, and Node loads the
// CommonJS ones (react, react-reconciler, scheduler) while it links the
// importing module graph, before any of that graph runs. So the console's
// graph is imported dynamically, inside this, and no entry may import react,
// ink, zustand's React binding or a component statically. Every variable is
// put back afterwards: `megatest run` spawns the orchestrator (and through it
// the agents and the project's own tests), which must not inherit values
// they never asked for.

const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

export async function importForConsole<T>(load: () => Promise<T>): Promise<T> {
  const saved = new Map<string, string | undefined>();
  const set = (name: string, value: string) => {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  };
  if (process.env.NODE_ENV === undefined) set('NODE_ENV', 'production');
  for (const name of CI_VARIABLES) if (process.env[name] !== undefined) set(name, 'false');
  try {
    return await load();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
