import { pino, type Logger } from 'pino';

/** Structured JSON logs on stdout; secrets in headers never reach them. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'identity-hub' },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'], remove: true },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
