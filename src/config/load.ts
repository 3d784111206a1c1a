import { readFileSync, existsSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { SwitchboardError } from '../errors/index.js';
import { isField, type Field, type Section } from './fields.js';
import { configSchema, type SwitchboardConfig } from './schema.js';

export interface LoadConfigOptions {
  /** Path to a TOML file; falls back to `SWITCHBOARD_CONFIG`, then `./switchboard.toml` if present. */
  path?: string;
  /** Environment to read overrides from (defaults to `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Values that win over file and environment (used by CLI flags such as `--port`). */
  overrides?: DeepPartial<SwitchboardConfig>;
}

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends Record<string, unknown> ? DeepPartial<T[K]> : T[K];
};

/** The environment variable that overrides `path` (e.g. `['scylla','port']` → `SWITCHBOARD_SCYLLA_PORT`). */
export function envName(path: readonly string[]): string {
  return `SWITCHBOARD_${path.join('_').toUpperCase()}`;
}

function invalid(
  key: string,
  value: unknown,
  expected: string,
  source: string,
  secret = false,
): SwitchboardError {
  // A secret's bad value (a password, an API key) must not end up in logs or terminals.
  const shown = secret ? '"<redacted>"' : (JSON.stringify(value) ?? String(value));
  return new SwitchboardError(
    'CONFIG_INVALID',
    `Invalid configuration ${key} = ${shown} (from ${source}): expected ${expected}`,
    { field: key, details: { value: shown, expected, source } },
  );
}

function readFile(path: string): Record<string, unknown> {
  try {
    return parseToml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new SwitchboardError(
      'CONFIG_INVALID',
      `Cannot read configuration file ${path}: ${(error as Error).message}`,
      {
        field: 'config',
        cause: error,
      },
    );
  }
}

/**
 * Loads and validates the configuration: defaults, then the TOML file, then environment
 * overrides, then explicit overrides. Unknown keys in the file are errors too, because a
 * typo that silently falls back to a default is worse than a refusal to start.
 */
export function loadConfig(options: LoadConfigOptions = {}): SwitchboardConfig {
  const env = options.env ?? process.env;
  const explicitPath = options.path ?? env.SWITCHBOARD_CONFIG;
  let file: Record<string, unknown> = {};
  let fileLabel = 'defaults';
  if (explicitPath) {
    if (!existsSync(explicitPath)) {
      throw new SwitchboardError('CONFIG_INVALID', `Configuration file not found: ${explicitPath}`, {
        field: 'config',
      });
    }
    file = readFile(explicitPath);
    fileLabel = explicitPath;
  } else if (existsSync('switchboard.toml')) {
    file = readFile('switchboard.toml');
    fileLabel = 'switchboard.toml';
  }
  return walk(
    configSchema,
    file,
    env,
    (options.overrides ?? {}) as Record<string, unknown>,
    [],
    fileLabel,
  ) as SwitchboardConfig;
}

function walk(
  section: Section,
  file: unknown,
  env: NodeJS.ProcessEnv,
  overrides: Record<string, unknown>,
  path: string[],
  fileLabel: string,
): Record<string, unknown> {
  const dotted = path.join('.');
  if (file !== undefined && (typeof file !== 'object' || file === null || Array.isArray(file))) {
    throw invalid(dotted, file, 'a table', fileLabel);
  }
  const fileObj = (file ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(fileObj)) {
    if (!(key in section)) {
      const where = [...path, key].join('.');
      throw new SwitchboardError(
        'CONFIG_INVALID',
        `Unknown configuration key ${where} in ${fileLabel}; known keys here: ${Object.keys(section).join(', ')}`,
        { field: where },
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(section)) {
    const keyPath = [...path, key];
    if (!isField(spec)) {
      out[key] = walk(
        spec,
        fileObj[key],
        env,
        (overrides[key] ?? {}) as Record<string, unknown>,
        keyPath,
        fileLabel,
      );
      continue;
    }
    out[key] = resolveField(spec, keyPath, fileObj[key], env, overrides[key], fileLabel);
  }
  return out;
}

function resolveField(
  spec: Field<unknown>,
  keyPath: string[],
  fileValue: unknown,
  env: NodeJS.ProcessEnv,
  override: unknown,
  fileLabel: string,
): unknown {
  const key = keyPath.join('.');
  if (override !== undefined) {
    const parsed = spec.parse(override, typeof override === 'string');
    if (parsed === undefined && override !== undefined) {
      throw invalid(key, override, spec.expected, 'command line', spec.secret);
    }
    return parsed;
  }
  const names = [envName(keyPath), ...(spec.aliases ?? [])];
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined) continue;
    const parsed = spec.parse(raw, true);
    if (parsed === undefined && raw !== '') {
      throw invalid(key, raw, spec.expected, `environment ${name}`, spec.secret);
    }
    return parsed ?? spec.default;
  }
  if (fileValue !== undefined) {
    const parsed = spec.parse(fileValue, false);
    if (parsed === undefined) throw invalid(key, fileValue, spec.expected, fileLabel, spec.secret);
    return parsed;
  }
  return spec.default;
}

export interface KeyReference {
  key: string;
  env: string;
  aliases: readonly string[];
  expected: string;
  /** The default as TOML would write it; secrets and unset values are empty. */
  default: string;
  secret: boolean;
}

/** Every configuration key with its override variable and default, for docs/CONFIGURATION.md. */
export function listEnvironmentKeys(): KeyReference[] {
  const out: KeyReference[] = [];
  const visit = (section: Section, path: string[]) => {
    for (const [key, spec] of Object.entries(section)) {
      if (!isField(spec)) {
        visit(spec, [...path, key]);
        continue;
      }
      const keyPath = [...path, key];
      out.push({
        key: keyPath.join('.'),
        env: envName(keyPath),
        aliases: spec.aliases ?? [],
        expected: spec.expected,
        default: spec.default === undefined || spec.secret ? '' : JSON.stringify(spec.default),
        secret: spec.secret ?? false,
      });
    }
  };
  visit(configSchema, []);
  return out;
}
