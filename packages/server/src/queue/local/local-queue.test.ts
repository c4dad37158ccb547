import { queueConformanceSuite } from '../conformance.js';
import { LocalQueue } from './local-queue.js';

queueConformanceSuite('local', async () => new LocalQueue());
