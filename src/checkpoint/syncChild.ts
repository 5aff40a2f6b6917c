// One small shell kept beside the process to run `sync -f` (durableFiles.ts,
// syncFileSystem). Starting `sync` from Node forks this whole process, and
// the fork costs what its memory maps do: at 50,000 files about 30 ms a
// call, two calls a checkpoint. The shell is forked once; each sync after
// that is the shell forking itself, a small process, a millisecond or so.
//
// The shell reads one path a line and answers one exit status a line, in
// order. It ends when its input closes, so it never outlives this process:
// not even a SIGKILL of this one leaves it running past the sync it is in.
// It keeps this process alive only while a sync is waiting. Whatever goes
// wrong with it (it is killed, cannot start, a path holds a newline), the
// caller is told to run `sync` itself, and the next call starts a new shell.
// The shell finds `sync` on the PATH it was started with: when this
// process's PATH changes, the next call starts a new shell with the new one.

import { spawn, type ChildProcess } from 'node:child_process';

// stderr is dropped: a failed sync is told by its status, and the caller then fsyncs file by file.
const SCRIPT = 'while IFS= read -r p; do sync -f "$p" 2>/dev/null; echo $?; done';

/** A shell running `sync -f` for each path written to it. */
export class SyncChild {
  private child: ChildProcess | null = null;
  /** Callers waiting for an answer, in the order their paths were written. */
  private waiting: ((status: number | null) => void)[] = [];
  private unread = '';
  /** PATH when the shell was started. */
  private startedWithPath: string | undefined;

  /**
   * The exit status of `sync -f target` (not starting with '-') (0: synced; 127: no `sync`), or
   * null when the shell could not answer: the caller then runs `sync` itself.
   */
  run(target: string): Promise<number | null> {
    if (target.includes('\n')) return Promise.resolve(null);
    if (this.child !== null && process.env.PATH !== this.startedWithPath) this.stop();
    const child = this.child ?? this.start();
    if (child === null || child.stdin === null) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === 1) this.hold(child, true);
      child.stdin!.write(`${target}\n`);
    });
  }

  /** Ends the shell (its input closed): for tests, and for a process that wants no child left. */
  stop(): void {
    this.child?.stdin?.end();
    this.drop(this.child);
  }

  private start(): ChildProcess | null {
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'ignore'], windowsHide: true });
    } catch {
      return null;
    }
    this.child = child;
    this.unread = '';
    this.startedWithPath = process.env.PATH;
    child.on('error', () => this.drop(child));
    child.on('exit', () => this.drop(child));
    // A write to a shell that just died: its exit answers the waiting callers.
    child.stdin!.on('error', () => this.drop(child));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.answer(child, chunk));
    this.hold(child, false);
    return child;
  }

  private answer(child: ChildProcess, chunk: string): void {
    this.unread += chunk;
    for (let end = this.unread.indexOf('\n'); end >= 0; end = this.unread.indexOf('\n')) {
      const line = this.unread.slice(0, end);
      this.unread = this.unread.slice(end + 1);
      const status = /^\d+$/.test(line) ? Number(line) : null;
      this.waiting.shift()?.(status);
    }
    if (this.waiting.length === 0) this.hold(child, false);
  }

  /** Lets the shell keep this process alive (while a sync is waiting) or not. */
  private hold(child: ChildProcess, alive: boolean): void {
    const handles = [child, child.stdin, child.stdout] as ({ ref?: () => void; unref?: () => void } | null)[];
    for (const handle of handles) (alive ? handle?.ref : handle?.unref)?.call(handle);
  }

  private drop(child: ChildProcess | null): void {
    if (child === null || this.child !== child) return;
    this.child = null;
    this.hold(child, false);
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve(null);
  }
}
