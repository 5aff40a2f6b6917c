// Every switch over a union ends here: the compiler proves the default is
// unreachable, and at run time a value from a newer writer fails loudly.

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
