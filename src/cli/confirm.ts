// A yes/no question to the person at the terminal (clean's unfinished runs,
// offline restore), asked on stderr so stdout stays the command's output.

import { createInterface } from 'node:readline/promises';

/** True when the answer is y or yes (any case); anything else, an empty line included, is no. */
export async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}
