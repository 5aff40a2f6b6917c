// The control API's routes and their handlers: each checks its input
// (a checkpoint id is never a path) and hands the request to the engine.

import { CHECKPOINT_ID_PATTERN, type EngineControl } from '../contract/control.js';
import type { CommandSource } from '../contract/events.js';
import { describeValue, HttpError, type Reply } from './httpExchange.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js';

export interface RouteContext {
  url: URL;
  source: CommandSource;
  body: string;
}

export interface Route {
  method: 'GET' | 'POST';
  handle(context: RouteContext): Promise<Reply>;
}

function parseJsonBody(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, `invalid JSON body: ${(error as Error).message}`);
  }
}

function checkpointIdFrom(body: string): string {
  const parsed = parseJsonBody(body);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'expected a JSON object body like {"checkpoint":"checkpoint_007"}');
  }
  const id = (parsed as Record<string, unknown>).checkpoint;
  if (id === undefined) throw new HttpError(400, 'missing "checkpoint" in the body; expected {"checkpoint":"checkpoint_007"}');
  // Validated before the engine sees it: an id is never a path.
  if (typeof id !== 'string' || !CHECKPOINT_ID_PATTERN.test(id)) {
    throw new HttpError(400, `"checkpoint" ${describeValue(id)} is not a checkpoint id; expected checkpoint_ followed by digits, e.g. checkpoint_007`);
  }
  return id;
}

function agentFrom(url: URL): string | undefined {
  const values = url.searchParams.getAll('agent');
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new HttpError(400, 'give ?agent= at most once');
  const agent = values[0]!;
  if (agent === '' || agent.length > 128 || /[\u0000-\u001f\u007f]/.test(agent)) {
    throw new HttpError(400, `?agent=${describeValue(agent)}: expected an agent name (1-128 printable characters), or no ?agent= for every agent`);
  }
  return agent;
}

/** Routes by path; a POST answers {ok: true, event(s): …} with what the engine recorded. */
export function buildRoutes(engine: EngineControl): Record<string, Route> {
  const action = (run: (context: RouteContext) => Promise<unknown>, key: 'event' | 'events' = 'event'): Route => ({
    method: 'POST',
    handle: async (context) => ({ status: 200, json: { ok: true, [key]: await run(context) } }),
  });
  return {
    '/api/status': {
      method: 'GET',
      handle: async () => {
        const snapshot = engine.status();
        return { status: 200, json: { ...snapshot, agents: snapshot.metrics?.agents ?? [] } };
      },
    },
    '/metrics': {
      method: 'GET',
      handle: async () => {
        const metrics = engine.metrics();
        const status = metrics ? engine.status() : null;
        const text = metrics && status
          ? await renderPrometheus(metrics, metrics.session_id || status.session_id, status.cost_usd ?? null)
          : '# megatest: no metrics snapshot taken yet\n';
        return { status: 200, text, contentType: PROMETHEUS_CONTENT_TYPE };
      },
    },
    '/api/checkpoint': action(({ body, source }) => {
      parseJsonBody(body);
      return engine.checkpoint(source);
    }),
    '/api/compress': action(({ url, body, source }) => {
      parseJsonBody(body);
      return engine.compress(agentFrom(url), source);
    }, 'events'),
    '/api/restore': action(({ body, source }) => engine.restore(checkpointIdFrom(body), source)),
    '/api/pause': action(({ body, source }) => {
      parseJsonBody(body);
      return engine.pause(source);
    }),
    '/api/resume': action(({ body, source }) => {
      parseJsonBody(body);
      return engine.resume(source);
    }),
    '/api/stop': action(({ body, source }) => {
      parseJsonBody(body);
      return engine.stop(source);
    }),
  };
}
