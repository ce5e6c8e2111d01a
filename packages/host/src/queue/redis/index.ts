/**
 * The Redis/BullMQ job queue (subpath `bulkhead/redis`): loaded only when a queue is opened with
 * `redis`, so an embedded SQLite host never loads BullMQ or ioredis.
 * @module
 */
export { RedisJobQueue, type RedisQueueSettings } from './redis-job-queue.js';
