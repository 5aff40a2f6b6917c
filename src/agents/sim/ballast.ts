// The disk_limit fault's ballast: a file of dots in project/, written in
// chunks so a large ballast neither holds the whole size in memory nor
// blocks the agent's event loop.

import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';

/** Writes project/.ballast; resolves to the error line the agent reports either way. */
export async function writeBallast(projectDir: string, bytes: number): Promise<string> {
  const target = path.join(projectDir, '.ballast');
  try {
    mkdirSync(projectDir, { recursive: true });
    const stream = createWriteStream(target);
    const chunk = Buffer.alloc(Math.min(bytes, 1024 * 1024) || 1, 0x2e);
    let written = 0;
    while (written < bytes) {
      const size = Math.min(chunk.length, bytes - written);
      if (!stream.write(size === chunk.length ? chunk : chunk.subarray(0, size))) await once(stream, 'drain');
      written += size;
    }
    stream.end();
    await once(stream, 'finish');
    return `disk usage growing: wrote ${bytes} bytes of ballast to project/.ballast`;
  } catch (error) {
    return `disk usage growing: ballast write failed: ${(error as Error).message}`;
  }
}
