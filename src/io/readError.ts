// A run folder's file that the disk would not give back (EIO, EISDIR, EACCES
// …): not bad input but a failed read, so the CLI says it in one line and
// exits 1 (src/cli/main.ts). It imports nothing, so the CLI can recognise it
// without loading the readers that throw it.

export class RunFileReadError extends Error {
  constructor(
    message: string,
    /** The file that could not be read. */
    readonly file: string,
    /** The error code (EIO, EISDIR …). */
    readonly code: string,
  ) {
    super(message);
    this.name = 'RunFileReadError';
  }

  /**
   * `cannot read FILE (CODE)` for an error the file system raised (it has a
   * code: EIO, EISDIR, ERR_STRING_TOO_LONG …); anything else (a bug) is
   * returned as it is, never passed off as a bad disk.
   */
  static from(error: unknown, file: string, what = 'read'): Error {
    if (error instanceof RunFileReadError) return error;
    const errno = error as NodeJS.ErrnoException;
    if (typeof errno?.code !== 'string') return error instanceof Error ? error : new Error(String(error));
    // The error's own path when it has one: the file that failed may be another the reader opened.
    const failed = errno.path ?? file;
    return new RunFileReadError(`cannot ${what} ${failed} (${errno.code})`, failed, errno.code);
  }

  /** The file system error for a path that is not a regular file (a FIFO would block a reader forever; a folder fails its reads). */
  static notAFile(file: string, isDirectory: boolean): NodeJS.ErrnoException {
    const code = isDirectory ? 'EISDIR' : 'not a regular file';
    return Object.assign(new Error(`${code}: ${file}`), { code, path: file });
  }

  /** The same failure, said by `command` with what it means for it. */
  static say(error: unknown, file: string, command: string, consequence: string): Error {
    const failed = RunFileReadError.from(error, file);
    if (!(failed instanceof RunFileReadError)) return failed;
    return new RunFileReadError(`${command}: ${failed.message}; ${consequence}`, failed.file, failed.code);
  }
}
