// CPU time and peak resident memory of a process, from /proc (Linux).

import { readFileSync } from 'node:fs';

export const TICKS_PER_SECOND = 100;

/** utime+stime in clock ticks and VmHWM (peak RSS) in kB; null once the process is gone. */
export function readProc(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return { cpuTicks: Number(fields[11]) + Number(fields[12]), peakRssKb: hwm ? Number(hwm[1]) : 0 };
  } catch {
    return null;
  }
}

