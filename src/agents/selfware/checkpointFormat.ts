// The shape of selfware's saved task checkpoints, as far as megatest reads
// them (architehc/selfware src/session/checkpoint.rs: TaskCheckpoint,
// CheckpointDelta, ToolCallLog, ErrorLog). Newer versions wrap each one in an
// integrity envelope {sha256, payload}; older ones write the checkpoint bare.
// Every field is optional here: a file from another version, or one cut off
// mid-write, is read for what it has.
//
// Not read on purpose: `estimated_tokens` (and `updated_tokens` in a delta) is
// selfware's own guess at the size of its context, made by counting
// characters; it is not what the model was billed, so megatest never reports
// it as tokens. `cumulative_tokens` (newer versions) is its budget tally, not
// usage either. Real usage comes from the `📊 Tokens:` lines (--show-tokens).

import { z } from 'zod';

export const TASK_STATUSES = ['in_progress', 'completed', 'failed', 'paused'] as const;
export type SelfwareTaskStatus = (typeof TASK_STATUSES)[number];

const count = z.number().int().nonnegative();
const text = z.string();

export const toolCallSchema = z.object({
  timestamp: text.nullish(),
  tool_name: text,
  success: z.boolean(),
  duration_ms: count.nullish(),
});

export const errorSchema = z.object({
  timestamp: text.nullish(),
  step: count.nullish(),
  error: text,
  recovered: z.boolean().nullish(),
});

export const checkpointSchema = z.object({
  version: count.nullish(),
  task_id: text,
  task_description: text.nullish(),
  updated_at: text.nullish(),
  status: z.enum(TASK_STATUSES).nullish(),
  current_step: count.nullish(),
  tool_calls: z.array(z.unknown()).nullish(),
  errors: z.array(z.unknown()).nullish(),
});

export const deltaSchema = z.object({
  task_id: text,
  base_version: count,
  target_version: count,
  updated_at: text.nullish(),
  status: z.enum(TASK_STATUSES).nullish(),
  current_step: count.nullish(),
  new_tool_calls: z.array(z.unknown()).nullish(),
  new_errors: z.array(z.unknown()).nullish(),
});

/** The payload of an integrity envelope, or the value itself when it is a bare (older) checkpoint. */
export function unwrapEnvelope(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if (typeof record.sha256 === 'string' && record.payload !== null && typeof record.payload === 'object') {
      // The envelope's HMAC key lives in selfware's own data folder; megatest
      // reads, it does not vouch, so the digest is not checked.
      return record.payload;
    }
  }
  return value;
}
