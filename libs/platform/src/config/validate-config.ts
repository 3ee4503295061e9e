import { instanceToPlain, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CommonConfig, demoSecretsIn } from './common-config';

export interface LoadConfigOptions {
  /**
   * Only the embedded default launcher (scripts/start.ts) passes true: it may run on the demo
   * token and encryption key. An option in code rather than a variable, so that no deployment
   * can set it by accident.
   */
  embeddedDefault?: boolean;
}

/**
 * Builds a config class from the environment and validates it. A bad or missing variable
 * fails start-up with a message naming it, never later at first use; so do the demo secrets,
 * outside the embedded default.
 */
export function loadConfig<T extends object>(ConfigClass: new () => T, env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): T {
  const plain = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const config = plainToInstance(ConfigClass, plain, { excludeExtraneousValues: true, exposeDefaultValues: true });
  const errors = validateSync(config, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map((error) => `${variableName(ConfigClass, error.property)}: ${Object.values(error.constraints ?? {}).join('; ')}`);
    throw new Error(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  if (config instanceof CommonConfig) {
    config.embeddedDefault = options.embeddedDefault === true;
    const demo = config.embeddedDefault ? [] : demoSecretsIn(config);
    if (demo.length > 0) throw new Error(`Invalid configuration:\n  ${demo.join('\n  ')}`);
  }
  return config;
}

/** The environment variable a config property is read from (its `@Expose` name). */
function variableName<T extends object>(ConfigClass: new () => T, property: string): string {
  const probe = Object.assign(Object.create(ConfigClass.prototype) as T, { [property]: 'probe' });
  const plain = instanceToPlain(probe, { excludeExtraneousValues: true });
  return Object.keys(plain).find((name) => plain[name] !== undefined) ?? property;
}

/** `a:b,c:d` → Map(a → [b], c → [d]); several tokens per merchant allowed. */
export function parseApiTokens(value: string): Map<string, string> {
  const byToken = new Map<string, string>();
  for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const separator = pair.indexOf(':');
    byToken.set(pair.slice(separator + 1), pair.slice(0, separator));
  }
  return byToken;
}

/** `tokenA,tokenB` → the operator tokens; empty → none (no operator routes can be called). */
export function parseAdminTokens(value: string): string[] {
  return value.split(',').map((token) => token.trim()).filter(Boolean);
}

/** Empty, or comma-separated operator tokens of at least 16 characters. */
export const ADMIN_TOKENS_PATTERN = /^(\s*[^,:\s]{16,}\s*(,\s*[^,:\s]{16,}\s*)*)?$/;

export const API_TOKENS_PATTERN = /^\s*[A-Za-z0-9._-]+:[^,:\s]{8,}\s*(,\s*[A-Za-z0-9._-]+:[^,:\s]{8,}\s*)*$/;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `5s,5m,30m` or `200ms,400ms` → milliseconds. */
export function parseDurations(value: string): number[] {
  return value.split(',').map((part) => {
    const match = /^\s*(\d+(?:\.\d+)?)(ms|s|m|h|d)\s*$/.exec(part);
    if (!match) throw new Error(`"${part}" is not a duration such as 200ms, 5s, 30m, 2h`);
    return Math.round(Number(match[1]) * UNITS[match[2]]);
  });
}

export const DURATIONS_PATTERN = /^\s*\d+(\.\d+)?(ms|s|m|h|d)\s*(,\s*\d+(\.\d+)?(ms|s|m|h|d)\s*)*$/;
