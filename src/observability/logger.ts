import winston from 'winston';

export type Logger = winston.Logger;

/**
 * One JSON object per line on stdout. Child loggers (`logger.child({ requestId })`) carry
 * request-scoped fields. Nothing in the code base writes to the console directly.
 */
export function createLogger(level: string, defaultMeta: Record<string, unknown> = {}): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service: 'concierge', pid: process.pid, ...defaultMeta },
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: [] })],
  });
}

/** A logger that writes nothing, for tests that only need the type. */
export function createSilentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
