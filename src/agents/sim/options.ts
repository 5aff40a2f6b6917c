// The sim agent's settings, passed from the adapter to the child process as
// JSON in MEGATEST_SIM_OPTIONS (and the resume state in MEGATEST_SIM_RESUME).

import { z } from 'zod';
import type { SimFaultConfig } from '../../config/types.js';
import { SIM_FAULT_KINDS } from '../../config/schema.js';
import { simFaultTriggerProblem } from '../../config/simFaults.js';
import type { AgentResumeState } from '../types.js';

export interface SimOptions {
  /** task_queue | database | microservices */
  template: string;
  seed: number;
  tokensPerMinute: number;
  toolCallsPerMinute: number;
  /** Share of each phase's time the agent takes for its tasks ([sim] work_share); 0.75 when unset. */
  workShare?: number;
  /** Already filtered to this agent; at_seconds from session start (faultTrigger.ts). */
  faults: SimFaultConfig[];
  sessionStartMs: number;
  /**
   * Where the agent records the faults that fired, so a restarted agent does
   * not replay them; the adapter puts it in the agent's folder. Unset: no record.
   */
  firedFaultsFile?: string;
  /** Size of the disk_limit fault's ballast file (default 64 MiB). */
  ballastBytes?: number;
}

export const SIM_OPTIONS_ENV = 'MEGATEST_SIM_OPTIONS';
export const SIM_RESUME_ENV = 'MEGATEST_SIM_RESUME';
export const DEFAULT_BALLAST_BYTES = 64 * 1024 * 1024;

const faultSchema = z
  .object({
    at_seconds: z.number().finite().nonnegative().optional(),
    after_tool_calls: z.number().int().positive().optional(),
    in_phase: z.string().min(1).optional(),
    kind: z.enum(SIM_FAULT_KINDS),
    agent: z.string(),
  })
  .strict()
  .superRefine((fault, context) => {
    const problem = simFaultTriggerProblem(fault);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: `must be ${problem}`, input: fault });
  });

const simOptionsSchema = z.object({
  template: z.string().min(1),
  seed: z.number().int(),
  tokensPerMinute: z.number().finite().nonnegative(),
  toolCallsPerMinute: z.number().finite().nonnegative(),
  workShare: z.number().finite().min(0.05).max(0.95).optional(),
  faults: z.array(faultSchema),
  sessionStartMs: z.number().finite(),
  firedFaultsFile: z.string().min(1).optional(),
  ballastBytes: z.number().int().nonnegative().optional(),
});

const resumeSchema = z.object({
  kind: z.string(),
  name: z.string(),
  role: z.string(),
  model: z.string(),
  phase: z.string(),
  objectives: z.array(z.string()),
  completed: z.array(z.string()),
  context_tokens: z.number().finite().nonnegative(),
  native: z.record(z.string(), z.unknown()).optional(),
});

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

export function parseSimOptions(json: string | undefined): SimOptions {
  if (!json) throw new Error(`sim agent: ${SIM_OPTIONS_ENV} is not set; the sim adapter passes it`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`sim agent: ${SIM_OPTIONS_ENV} is not JSON: ${(error as Error).message}`);
  }
  const parsed = simOptionsSchema.safeParse(value);
  if (!parsed.success) throw new Error(`sim agent: bad ${SIM_OPTIONS_ENV}: ${describe(parsed.error)}`);
  return parsed.data;
}

export function parseSimResume(json: string | undefined): AgentResumeState | undefined {
  if (!json) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`sim agent: ${SIM_RESUME_ENV} is not JSON: ${(error as Error).message}`);
  }
  const parsed = resumeSchema.safeParse(value);
  if (!parsed.success) throw new Error(`sim agent: bad ${SIM_RESUME_ENV}: ${describe(parsed.error)}`);
  return parsed.data as AgentResumeState;
}
