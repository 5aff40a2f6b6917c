// Errors the CLI turns into exit code 2. Each message is one line a user can
// act on: which file, key or argument, the value found, and what is allowed.

export interface ConfigErrorLocation {
  file?: string;
  key?: string;
  line?: number;
}

/** A configuration file (or the value it produced) is missing, malformed or invalid. */
export class ConfigError extends Error {
  readonly file?: string;
  readonly key?: string;
  readonly line?: number;

  constructor(message: string, location: ConfigErrorLocation = {}) {
    super(message);
    this.name = 'ConfigError';
    this.file = location.file;
    this.key = location.key;
    this.line = location.line;
  }
}

/** A command-line argument is invalid. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
