// A webhook worker in its own process, for the kill -9 test: `node --import tsx worker-child.ts <DATABASE_URL>`.
import 'reflect-metadata';
import { pino } from 'pino';
import { openDatabase } from '../../src/app/database.js';
import { WebhookWorker } from '../../src/webhooks/webhook-worker.js';

const orm = await openDatabase({ databaseUrl: process.argv[2] });
const worker = new WebhookWorker(orm, pino({ level: 'silent' }), { allowPrivateUrls: true, leaseMs: 3_000, timeoutMs: 2_500, pollMs: 50 });
worker.start();
process.send?.('ready');
setInterval(() => undefined, 60_000);
