// Looking up the schema by key path, for messages: which keys a table
// accepts ("did you mean …?") and what a value at a path must be.

import * as z from 'zod';

/** The schema that validates the value at `path`, when it is a table, array or record. */
export function schemaAt(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = root;
  for (const segment of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject && typeof segment === 'string') {
      current = (current.shape as Record<string, z.ZodType>)[segment];
    } else if (current instanceof z.ZodRecord) {
      current = current.valueType as z.ZodType;
    } else if (current instanceof z.ZodArray && typeof segment === 'number') {
      current = current.element as z.ZodType;
    } else {
      return undefined;
    }
  }
  return unwrap(current);
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  while (current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
  return current;
}

/** The keys a table at `path` accepts, for "did you mean …?". */
export function tableKeysAt(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  const schema = schemaAt(root, path);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
}
