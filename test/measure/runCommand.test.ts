import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KILL_GRACE_MS, removeDeadCommandTmps, runCommand } from '../../src/measure/runCommand.js';
import { isRunning } from '../helpers/processes.js';

const temporaryDirs: string[] = [];
function makeTemporaryDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'megatest-run-'));
  temporaryDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

function readPid(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

describe('runCommand', () => {
  it('returns exit code, both streams and duration of a finished command', async () => {
    const result = await runCommand('echo out; echo err >&2; exit 3', { cwd: makeTemporaryDir(), timeoutMs: 10_000 });
    expect(result).toMatchObject({ code: 3, signal: null, stdout: 'out\n', stderr: 'err\n', timedOut: false, stdoutKept: { kept: 'whole', totalBytes: 4 } });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('runs in cwd with the extra environment added', async () => {
    const cwd = makeTemporaryDir();
    const result = await runCommand('pwd -P; echo "$MEGATEST_PROBE"; test -n "$PATH" && echo path-kept', {
      cwd,
      timeoutMs: 10_000,
      env: { MEGATEST_PROBE: 'probe-value' },
    });
    expect(result.stdout.split('\n').slice(1, 3)).toEqual(['probe-value', 'path-kept']);
    expect(result.stdout.split('\n')[0]).toBe(realpathSync(cwd));
  });

  it('keeps only the last maxOutputBytes of each stream', async () => {
    const result = await runCommand("i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done; printf 'E%.0s' $(seq 1 500) >&2", {
      cwd: makeTemporaryDir(),
      timeoutMs: 10_000,
      maxOutputBytes: 20,
    });
    const everything = Array.from({ length: 2000 }, (_, index) => `line-${index}\n`).join('');
    expect(result.stdout).toBe(everything.slice(-20));
    expect(Buffer.byteLength(result.stdout)).toBe(20);
    expect(result.stderr).toBe('E'.repeat(20));
  });

  it('says how much of each stream it kept', async () => {
    const result = await runCommand("echo short; printf 'E%.0s' $(seq 1 50) >&2", { cwd: makeTemporaryDir(), timeoutMs: 10_000, maxOutputBytes: 20 });
    expect(result.stdoutKept).toEqual({ kept: 'whole', totalBytes: 6 });
    expect(result.stderrKept).toEqual({ kept: 'tail', totalBytes: 50 });
  });

  it('puts the lines keepLines chose from the part cut in front of the tail, in order, once each', async () => {
    // 2,000 lines in several writes (the chunks split lines), every 100th a summary line.
    const script = "i=0; while [ $i -lt 2000 ]; do if [ $((i % 100)) -eq 0 ]; then echo \"SUMMARY $i\"; else echo \"noise line $i\"; fi; i=$((i+1)); done";
    const seen: string[] = [];
    const result = await runCommand(script, {
      cwd: makeTemporaryDir(),
      timeoutMs: 30_000,
      maxOutputBytes: 200,
      keepLines: () => (line) => {
        seen.push(line);
        return line.startsWith('SUMMARY');
      },
    });
    const lines = Array.from({ length: 2000 }, (_, index) => (index % 100 === 0 ? `SUMMARY ${index}` : `noise line ${index}`));
    // Every line seen whole, once (stdout's; stderr is empty).
    expect(seen).toEqual(lines);
    const whole = lines.map((line) => `${line}\n`).join('');
    expect(result.stdoutKept).toEqual({ kept: 'lines', totalBytes: Buffer.byteLength(whole) });
    const tail = whole.slice(whole.length - 200);
    const tailFromWholeLine = tail.slice(tail.indexOf('\n') + 1);
    const linesInTail = tailFromWholeLine.split('\n').length - 1;
    const summariesBefore = lines.slice(0, lines.length - linesInTail).filter((line) => line.startsWith('SUMMARY'));
    expect(summariesBefore).toHaveLength(20);
    expect(result.stdout).toBe(summariesBefore.map((line) => `${line}\n`).join('') + tailFromWholeLine);
    expect(result.stderrKept).toEqual({ kept: 'whole', totalBytes: 0 });
  });

  it('cuts a stream to its tail when the chosen lines are over maxKeptLineBytes, and bounds the line keepLines sees', async () => {
    const script = "i=0; while [ $i -lt 500 ]; do echo \"SUMMARY $i\"; i=$((i+1)); done; head -c 100000 /dev/zero | tr '\\0' x; echo";
    const lengths: number[] = [];
    const result = await runCommand(script, {
      cwd: makeTemporaryDir(),
      timeoutMs: 30_000,
      maxOutputBytes: 100,
      maxKeptLineBytes: 1000,
      keepLines: () => (line) => {
        lengths.push(line.length);
        return line.startsWith('SUMMARY');
      },
    });
    expect(result.stdoutKept.kept).toBe('tail');
    expect(Buffer.byteLength(result.stdout)).toBe(100);
    // The lines after the store filled are not read any more.
    expect(Math.max(...lengths)).toBeLessThan(64 * 1024 + 1);
    const bounded = await runCommand("head -c 100000 /dev/zero | tr '\\0' x; echo; echo SUMMARY end; head -c 300 /dev/zero | tr '\\0' y; echo", {
      cwd: makeTemporaryDir(),
      timeoutMs: 30_000,
      maxOutputBytes: 100,
      keepLines: () => (line) => {
        lengths.push(line.length);
        return line.startsWith('SUMMARY');
      },
    });
    expect(lengths).toContain(64 * 1024);
    // The tail (99 "y" and a newline) holds no whole line.
    expect(bounded.stdout).toBe('SUMMARY end\n');
  });

  it('does not start the kept tail in the middle of a UTF-8 character', async () => {
    // "é" is 2 bytes; the last 5 bytes start inside one, so 2 whole ones are kept.
    const result = await runCommand("printf 'éééééééééé'", { cwd: makeTemporaryDir(), timeoutMs: 10_000, maxOutputBytes: 5 });
    expect(result.stdout).toBe('éé');
  });

  it('kills the whole process tree at the time limit, grandchildren too', async () => {
    const cwd = makeTemporaryDir();
    // The shell starts a child shell that starts a sleeping grandchild; each writes its pid.
    const command = "sh -c 'sleep 120 & echo $! > grandchild.pid; wait' & echo $! > child.pid; wait";
    const result = await runCommand(command, { cwd, timeoutMs: 1500 });
    expect(result.timedOut).toBe(true);
    expect(result.code).toBeNull();
    expect(result.signal).toBe('SIGTERM');
    expect(result.durationMs).toBeGreaterThanOrEqual(1500);
    // SIGTERM (not SIGKILL) shows the tree went without the grace period; no
    // upper bound on the time, which a loaded machine could break.
    // runCommand returns once the group is gone: no waiting needed here.
    expect(isRunning(readPid(path.join(cwd, 'child.pid')))).toBe(false);
    expect(isRunning(readPid(path.join(cwd, 'grandchild.pid')))).toBe(false);
  });

  it('follows SIGTERM with SIGKILL for a tree that ignores SIGTERM', async () => {
    const cwd = makeTemporaryDir();
    const command = "trap '' TERM; sh -c \"trap '' TERM; echo \\$\\$ > grandchild.pid; while :; do sleep 1; done\" & wait; wait";
    const result = await runCommand(command, { cwd, timeoutMs: 800 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(result.durationMs).toBeGreaterThanOrEqual(800 + KILL_GRACE_MS);
    expect(isRunning(readPid(path.join(cwd, 'grandchild.pid')))).toBe(false);
  });

  it('ends processes a finished command left running in the background', async () => {
    const cwd = makeTemporaryDir();
    // Not timed out: it did not wait for the stray (120 s), a deadline only such a wait misses,
    // however loaded the machine. (That SIGTERM ends a group without the grace is shown above.)
    const result = await runCommand('sleep 120 & echo $! > stray.pid; echo done', { cwd, timeoutMs: 60_000 });
    expect(result).toMatchObject({ code: 0, stdout: 'done\n', timedOut: false });
    expect(isRunning(readPid(path.join(cwd, 'stray.pid')))).toBe(false);
  });

  it('gives the command a temp folder of its own (TMPDIR, TMP, TEMP) and removes it, with what is in it, when the command ends', async () => {
    const result = await runCommand('echo "$TMPDIR"; echo "$TMP"; echo "$TEMP"; mkdir "$TMPDIR/left" && echo x > "$TMPDIR/left/file"', {
      cwd: makeTemporaryDir(),
      timeoutMs: 10_000,
    });
    expect(result.code).toBe(0);
    const [tmp, tmpAlso, temp] = result.stdout.trim().split('\n');
    expect([tmpAlso, temp]).toEqual([tmp, tmp]);
    expect(path.dirname(tmp!)).toBe(os.tmpdir());
    expect(path.basename(tmp!)).toMatch(/^megatest-cmd-/);
    expect(existsSync(tmp!)).toBe(false);
  });

  it("removes it after an abort too, with the test runner's coverage folder in it", async () => {
    const cwd = makeTemporaryDir();
    writeFileSync(
      path.join(cwd, 'waits.test.mjs'),
      "import { writeFileSync } from 'node:fs';\nimport test from 'node:test';\ntest('waits', async () => { writeFileSync('started', ''); await new Promise((resolve) => setTimeout(resolve, 120_000)); });\n",
    );
    const abort = new AbortController();
    const running = runCommand('echo "$TMPDIR" > tmpdir.txt; node --test --experimental-test-coverage waits.test.mjs', { cwd, timeoutMs: 120_000, signal: abort.signal });
    // Aborted once the test itself runs (the runner's coverage folder exists by then), not after a guessed delay.
    while (!existsSync(path.join(cwd, 'started'))) await new Promise((resolve) => setTimeout(resolve, 20));
    const tmp = readFileSync(path.join(cwd, 'tmpdir.txt'), 'utf8').trim();
    expect(readdirSync(tmp).some((name) => name.startsWith('node-coverage-'))).toBe(true);
    abort.abort();
    expect((await running).aborted).toBe(true);
    expect(existsSync(tmp)).toBe(false);
  });

  it('removes the temp folders a megatest killed with SIGKILL left, and no other', () => {
    const dir = makeTemporaryDir();
    const dead = spawnSync('true').pid!;
    const names = [`megatest-cmd-${dead}-Ab12Cd`, `megatest-cmd-${process.pid}-Ef34Gh`, 'megatest-cmd-1-Ij56Kl', 'node-coverage-Mn78Op', 'megatest-cmd-notapid'];
    for (const name of names) {
      mkdirSync(path.join(dir, name, 'inside'), { recursive: true });
      writeFileSync(path.join(dir, name, 'inside', 'file'), 'x');
    }
    const before = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    try {
      removeDeadCommandTmps(dir);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
    expect(readdirSync(dir).sort()).toEqual(names.slice(1).sort());
  });

  it("kills the command a megatest killed with SIGKILL left running in this project (its group too), then removes its folder; a live megatest's command, and another project's orphan, are left alone", async () => {
    const dir = makeTemporaryDir();
    const dead = spawnSync('true').pid!;
    const project = path.join(dir, 'run', 'project');
    const otherProject = path.join(dir, 'other-run', 'project');
    const orphanTmp = path.join(dir, `megatest-cmd-${dead}-Ab12Cd`);
    const otherOrphanTmp = path.join(dir, `megatest-cmd-${dead}-Qr90St`);
    const liveTmp = path.join(dir, `megatest-cmd-${process.pid}-Ef34Gh`);
    for (const folder of [orphanTmp, otherOrphanTmp, liveTmp]) mkdirSync(folder);
    // As runCommand starts a command: a shell leading a group of its own, the folder and the project named in its environment.
    // In it a test runner that set another TMPDIR, one in a group of its own (setsid), and one that dropped the variable.
    const start = (tmp: string, projectDir: string) =>
      spawn('/bin/sh', ['-c', 'TMPDIR=/elsewhere sleep 600 & echo $! > "$MEGATEST_COMMAND_TMP/runner.pid"; setsid sleep 600 & echo $! > "$MEGATEST_COMMAND_TMP/setsid.pid"; env -u MEGATEST_COMMAND_TMP sleep 600 & echo $! > "$MEGATEST_COMMAND_TMP/unmarked.pid"; echo started > "$MEGATEST_COMMAND_TMP/started"; wait'], {
        env: { ...process.env, TMPDIR: tmp, MEGATEST_COMMAND_TMP: tmp, MEGATEST_COMMAND_DIR: projectDir },
        detached: true,
        stdio: 'ignore',
      });
    const orphan = start(orphanTmp, project);
    const otherOrphan = start(otherOrphanTmp, otherProject);
    const live = start(liveTmp, project);
    const pidsIn = (tmp: string) => [readPid(path.join(tmp, 'runner.pid')), readPid(path.join(tmp, 'setsid.pid')), readPid(path.join(tmp, 'unmarked.pid'))];
    try {
      await expect.poll(() => [orphanTmp, otherOrphanTmp, liveTmp].every((tmp) => existsSync(path.join(tmp, 'started'))), { timeout: 30_000 }).toBe(true);
      // Each has become its sleep (exec'd): before, a forked shell or `env` still held the environment it was started with,
      // and a loaded machine counted the unmarked one as a fourth process naming the folder.
      const execd = (pid: number) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep\0');
        } catch {
          return false;
        }
      };
      await expect.poll(() => [orphanTmp, otherOrphanTmp, liveTmp].flatMap(pidsIn).every(execd), { timeout: 30_000 }).toBe(true);
      const orphanPids = [orphan.pid!, ...pidsIn(orphanTmp)];
      const otherPids = [otherOrphan.pid!, ...pidsIn(otherOrphanTmp)];
      const livePids = [live.pid!, ...pidsIn(liveTmp)];
      const before = process.env.TMPDIR;
      process.env.TMPDIR = dir;
      let removed;
      try {
        removed = removeDeadCommandTmps(project);
      } finally {
        if (before === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = before;
      }
      // The shell, the runner and the setsid one name the folder; the unmarked one went with the shell's group.
      expect(removed).toEqual({ folders: 1, processes: 3 });
      await expect.poll(() => orphanPids.filter(isRunning), { timeout: 30_000 }).toEqual([]);
      expect(existsSync(orphanTmp)).toBe(false);
      expect(livePids.filter(isRunning)).toEqual(livePids);
      expect(existsSync(liveTmp)).toBe(true);
      // The other run's orphan is that run's resume's to kill; its folder stays while it runs.
      expect(otherPids.filter(isRunning)).toEqual(otherPids);
      expect(existsSync(otherOrphanTmp)).toBe(true);
    } finally {
      for (const child of [orphan, otherOrphan, live]) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      }
      for (const tmp of [orphanTmp, otherOrphanTmp, liveTmp]) {
        for (const file of ['runner.pid', 'setsid.pid', 'unmarked.pid']) {
          try {
            process.kill(readPid(path.join(tmp, file)), 'SIGKILL');
          } catch {
            // gone, or never started
          }
        }
      }
    }
  });

  it('rejects bad arguments with the argument named', async () => {
    await expect(runCommand('true', { cwd: path.join(os.tmpdir(), 'megatest-no-such-dir'), timeoutMs: 1000 })).rejects.toThrow(
      /cwd ".*megatest-no-such-dir" is not an existing directory/,
    );
    await expect(runCommand('true', { cwd: os.tmpdir(), timeoutMs: 0 })).rejects.toThrow(/timeoutMs must be a positive number/);
    await expect(runCommand('  ', { cwd: os.tmpdir(), timeoutMs: 1000 })).rejects.toThrow(/command must be a non-empty/);
    await expect(runCommand('true', { cwd: os.tmpdir(), timeoutMs: 1000, maxOutputBytes: 0 })).rejects.toThrow(/maxOutputBytes/);
  });
});
