// The words every part of megatest shares: session and agent statuses,
// checkpoint triggers, command sources, severities and log levels.

export type SessionStatus =
  | 'starting'
  | 'running'
  | 'paused'
  | 'recovering'
  | 'completed'
  | 'failed'
  | 'interrupted'
  | 'timeout';

export const SESSION_STATUSES: readonly SessionStatus[] = [
  'starting',
  'running',
  'paused',
  'recovering',
  'completed',
  'failed',
  'interrupted',
  'timeout',
];

export type AgentStatus = 'starting' | 'working' | 'idle' | 'waiting' | 'blocked' | 'paused' | 'exited' | 'crashed';

/** before_restore: the work since the last checkpoint, kept as a person's restore begins, so that restore can be undone. */
export type CheckpointTrigger = 'time' | 'tool_calls' | 'tokens' | 'phase' | 'forced' | 'before_restore' | 'final';

/** Who gave a command: a console key, the control API, a signal, the CLI (resume), or megatest itself (an automatic pause or continue). */
export type CommandSource = 'key' | 'api' | 'signal' | 'cli' | 'engine';

export type Severity = 'transient' | 'recoverable' | 'degraded' | 'critical' | 'fatal';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
