// The address the control API binds for a host given as an IP address or a
// host name. A name is resolved once (dns.lookup, as the OS resolves it) and
// the address is what control.json records: a client then reaches the very
// address that was bound, whatever the name resolves to later.

import { lookup } from 'node:dns/promises';
import net from 'node:net';

export async function resolveBindHost(host: string, options: { tryBind?: boolean } = {}): Promise<string> {
  let address = host;
  if (net.isIP(host) === 0) {
    try {
      address = (await lookup(host)).address;
    } catch (error) {
      throw new Error(`host name does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  if (options.tryBind) await tryBind(address);
  return address;
}

/** Listens on a free port of the address and closes again: EADDRNOTAVAIL means it is no address of this machine. */
function tryBind(address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(`${address} is not an address this machine can listen on (${error.code ?? error.message})`));
    });
    probe.listen({ host: address, port: 0, exclusive: true }, () => probe.close(() => resolve()));
  });
}
