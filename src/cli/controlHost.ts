// `--control-host ADDR`: the address the control API binds instead of
// 127.0.0.1. Checked before the run folder is made: "bad host" used to start
// the run with a warning and no control API at all.

import { isIP } from 'node:net';
import { UsageError } from '../config/errors.js';

/** A host name as DNS spells it: labels of letters, digits and inner hyphens, joined by dots. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function checkControlHost(host: string | undefined): void {
  if (host === undefined || isIP(host) !== 0 || HOST_NAME.test(host)) return;
  throw new UsageError(`--control-host ${JSON.stringify(host)}: use an IP address of this machine (e.g. 0.0.0.0 or 192.168.1.5) or its host name`);
}
