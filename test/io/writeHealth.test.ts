// How a refused write is named in session.log, alerts and the disk_full
// error: its code once ("ENOSPC: ENOSPC: no space left on device" was every
// full-disk line), and the code where the message does not give it.

import { describe, expect, it } from 'vitest';
import { errorText } from '../../src/io/writeHealth.js';

const errno = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('errorText', () => {
  it("gives the code once, whether or not node's message starts with it", () => {
    expect(errorText(errno('ENOSPC', 'ENOSPC: no space left on device, write'))).toBe('ENOSPC: no space left on device, write');
    expect(errorText(errno('EIO', 'the disk failed'))).toBe('EIO: the disk failed');
    expect(errorText(new Error('plain'))).toBe('plain');
    expect(errorText('text')).toBe('text');
  });
});
