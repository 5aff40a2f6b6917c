// RedQueue (task_queue): a Redis-flavoured job queue, written by the sim as a
// small real JavaScript project. Each component's templates are in
// taskQueue/, one file each.

import { resp } from './taskQueue/resp.js';
import { queue } from './taskQueue/queue.js';
import { workerPool } from './taskQueue/workerPool.js';
import { aof } from './taskQueue/aof.js';
import { dispatcher } from './taskQueue/dispatcher.js';
import { stats } from './taskQueue/stats.js';

export const TASK_QUEUE_PROJECT = {
  name: 'RedQueue',
  packageName: 'redqueue',
  description: 'A Redis-flavoured job queue: RESP protocol, priorities, delayed jobs, workers, AOF persistence.',
  components: [resp, queue, workerPool, aof, dispatcher, stats],
  vocabulary: ['queue', 'worker', 'job', 'retry', 'lease', 'shard', 'channel', 'backlog', 'batch', 'ttl'],
};
