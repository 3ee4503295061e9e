import { LoggerService, LogLevel } from '@nestjs/common';
import { maskUrlsInText } from '../crypto/url-credentials';
import { requestContext } from './request-context';
import { serviceContext } from './service-context';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/** Values that look like credentials are replaced before a line is written, and so are the credentials of every URL. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/(Bearer\s+)[^\s"',]+/gi, '$1********'],
  [/whsec_[A-Za-z0-9+/=]+/g, 'whsec_********'],
  [/("(?:authorization|x-api-key|api-key|secret|password|token|clientSecret|privateKey|access_token)"\s*:\s*")[^"]*(")/gi, '$1********$2'],
  [/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, '-----BEGIN $1PRIVATE KEY-----********-----END $1PRIVATE KEY-----'],
];

export function redact(text: string): string {
  return maskUrlsInText(SECRET_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text));
}

/**
 * One JSON object per line on stdout (`LOG_FORMAT=json`, the default), or a readable line
 * (`pretty`). A line logged while serving an HTTP request carries its `requestId`; a line logged
 * in a {@link serviceContext} carries that service's name. Every line passes through {@link redact}.
 */
export class JsonLogger implements LoggerService {
  private readonly enabled: Set<LogLevel>;

  constructor(private readonly service: string, level = 'log', private readonly format = 'json') {
    this.enabled = new Set(LEVELS.slice(0, LEVELS.indexOf(level as LogLevel) + 1));
  }

  log(message: unknown, ...rest: unknown[]): void { this.write('log', message, rest); }
  error(message: unknown, ...rest: unknown[]): void { this.write('error', message, rest); }
  warn(message: unknown, ...rest: unknown[]): void { this.write('warn', message, rest); }
  debug(message: unknown, ...rest: unknown[]): void { this.write('debug', message, rest); }
  verbose(message: unknown, ...rest: unknown[]): void { this.write('verbose', message, rest); }

  private write(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (!this.enabled.has(level)) return;
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const fields = message !== null && typeof message === 'object' && !(message instanceof Error) ? (message as Record<string, unknown>) : { msg: message instanceof Error ? message.message : String(message) };
    const stack = rest.find((r): r is string => typeof r === 'string' && r.includes('\n    at '));
    const requestId = requestContext.requestId();
    const service = serviceContext.service() ?? this.service;
    const entry = { time: new Date().toISOString(), level, service, context, ...(requestId ? { requestId } : {}), ...fields, ...(stack ? { stack } : {}) };
    const line = this.format === 'pretty'
      ? `${entry.time} ${level.toUpperCase().padEnd(5)} [${service}${context ? ':' + context : ''}] ${JSON.stringify(fields)}`
      : JSON.stringify(entry);
    (level === 'error' ? process.stderr : process.stdout).write(redact(line) + '\n');
  }
}
