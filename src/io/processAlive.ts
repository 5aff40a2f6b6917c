// Whether a process is running, by pid: kept apart from sessions.ts so the
// checkpoint store and the command runner can ask without loading the run
// listing (config, legacy folders) that sessions.ts brings in.

/** True while pid names a process, ours or another user's (EPERM: it exists, we may not signal it). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
