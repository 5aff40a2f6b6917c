// ServiceMesh (microservices): service-mesh building blocks, written by the
// sim as a small real JavaScript project. Each component's templates are in
// microservices/, one file each.

import { registry } from './microservices/registry.js';
import { loadBalancer } from './microservices/loadBalancer.js';
import { circuitBreaker } from './microservices/circuitBreaker.js';
import { retry } from './microservices/retry.js';
import { health } from './microservices/health.js';
import { router } from './microservices/router.js';
import { metrics } from './microservices/metrics.js';

export const MICROSERVICES_PROJECT = {
  name: 'ServiceMesh',
  packageName: 'servicemesh',
  description: 'Service-mesh building blocks: registry, load balancing, circuit breaking, retries, health, routing, metrics.',
  components: [registry, loadBalancer, circuitBreaker, retry, health, router, metrics],
  vocabulary: ['service', 'endpoint', 'upstream', 'sidecar', 'timeout', 'quota', 'canary', 'tenant', 'route', 'budget'],
};
