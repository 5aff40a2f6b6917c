// A length of time as every view writes it: `compactDuration` in the
// console, `ls` and `compare` (45s, 12m05s, 1h02m, 2d03h), `clockDuration`
// in `megatest status` (01:02:05). A config file's lengths are written as
// the config reads them ("1h 30m", src/config/duration.ts).

/** 45s, 12m05s, 1h02m, 2d03h: whole seconds, floored. */
export function compactDuration(totalSeconds: number): string {
  const s = Number.isFinite(totalSeconds) ? Math.max(0, Math.floor(totalSeconds)) : 0;
  if (s < 60) return `${s}s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes}m${String(s % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, '0')}h`;
}

/** 01:02:05: hours, minutes and seconds of a length of time (hours past 99 as they are). */
export function clockDuration(seconds: number): string {
  const s = Number.isFinite(seconds) ? Math.max(0, Math.floor(seconds)) : 0;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}
