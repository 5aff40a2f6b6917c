// `--control-host ADDR`: the address the control API binds instead of
// 127.0.0.1. Checked before the run folder is made: "bad host" used to start
// the run with a warning and no control API at all, and so did a host name
// (this check took names, the server refused them).

import { isIP } from 'node:net';
import { UsageError } from '../config/errors.js';
import { resolveBindHost } from '../control/bindHost.js';

/** A host name as DNS spells it: labels of letters, digits and inner hyphens, joined by dots. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const ALLOWED = 'use an IP address of this machine (e.g. 0.0.0.0 or 192.168.1.5) or its host name';

/**
 * The address to bind for `--control-host HOST`: HOST itself for an IP
 * address, its DNS address for a name. A name that does not resolve, or an
 * address this machine cannot bind, is refused here (exit 2) rather than
 * found out by the orchestrator, which would run on with no control API.
 */
export async function checkControlHost(host: string | undefined): Promise<string | undefined> {
  if (host === undefined) return undefined;
  if (isIP(host) === 0 && !HOST_NAME.test(host)) throw new UsageError(`--control-host ${JSON.stringify(host)}: ${ALLOWED}`);
  try {
    return await resolveBindHost(host, { tryBind: true });
  } catch (error) {
    throw new UsageError(`--control-host ${JSON.stringify(host)}: ${(error as Error).message}; ${ALLOWED}`);
  }
}
