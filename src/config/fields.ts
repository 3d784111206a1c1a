/**
 * Typed configuration fields. A section is a plain object of fields (or nested sections);
 * the loader walks it to read TOML, apply `SWITCHBOARD_<SECTION>_<KEY>` overrides and
 * validate, and `ConfigOf<>` infers the resulting TypeScript type from the same object,
 * so a key is declared exactly once.
 */
export interface Field<T> {
  readonly kind: 'field';
  readonly default: T;
  /** Human description used in docs and error messages ("expected ..."). */
  readonly expected: string;
  /** Extra environment variable names accepted as aliases (e.g. the seeds' `SCYLLA_PORT`). */
  readonly aliases?: readonly string[];
  /** Parse a TOML value or an environment string; return `undefined` when it does not fit. */
  parse(raw: unknown, fromEnv: boolean): T | undefined;
  /** Marks secrets so `config print` can redact them. */
  readonly secret?: boolean;
}

export interface Section {
  readonly [key: string]: Field<unknown> | Section;
}

export type ConfigOf<S extends Section> = {
  -readonly [K in keyof S]: S[K] extends Field<infer T> ? T : S[K] extends Section ? ConfigOf<S[K]> : never;
};

interface FieldOptions {
  aliases?: readonly string[];
  secret?: boolean;
}

function field<T>(def: T, expected: string, parse: Field<T>['parse'], options: FieldOptions = {}): Field<T> {
  return { kind: 'field', default: def, expected, parse, ...options };
}

export function isField(value: Field<unknown> | Section): value is Field<unknown> {
  return (value as Field<unknown>).kind === 'field';
}

export const f = {
  string(def: string, options: FieldOptions & { nonEmpty?: boolean } = {}): Field<string> {
    return field(
      def,
      options.nonEmpty ? 'a non-empty string' : 'a string',
      (raw) => (typeof raw === 'string' && (!options.nonEmpty || raw.length > 0) ? raw : undefined),
      options,
    );
  },
  optionalString(options: FieldOptions = {}): Field<string | undefined> {
    return field<string | undefined>(
      undefined,
      'a string',
      (raw) => (typeof raw === 'string' ? (raw === '' ? undefined : raw) : undefined),
      options,
    );
  },
  int(def: number, min: number, max: number, options: FieldOptions = {}): Field<number> {
    return field(
      def,
      `an integer from ${min} to ${max}`,
      (raw, fromEnv) => {
        const n = fromEnv && typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
        return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
      },
      options,
    );
  },
  number(def: number, min: number, max: number, options: FieldOptions = {}): Field<number> {
    return field(
      def,
      `a number from ${min} to ${max}`,
      (raw, fromEnv) => {
        const n = fromEnv && typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
        return typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max ? n : undefined;
      },
      options,
    );
  },
  boolean(def: boolean, options: FieldOptions = {}): Field<boolean> {
    return field(
      def,
      'true or false',
      (raw, fromEnv) => {
        if (typeof raw === 'boolean') return raw;
        if (fromEnv && typeof raw === 'string') {
          const s = raw.trim().toLowerCase();
          if (s === 'true' || s === '1' || s === 'yes') return true;
          if (s === 'false' || s === '0' || s === 'no') return false;
        }
        return undefined;
      },
      options,
    );
  },
  oneOf<const T extends string>(values: readonly T[], def: T, options: FieldOptions = {}): Field<T> {
    return field(
      def,
      `one of ${values.map((v) => `"${v}"`).join(', ')}`,
      (raw) =>
        typeof raw === 'string' && (values as readonly string[]).includes(raw) ? (raw as T) : undefined,
      options,
    );
  },
  /**
   * A list of strings; from the environment a comma-separated value. `accept` checks the
   * whole list (entry formats, duplicates) and `expected` then describes what it accepts.
   */
  stringList(
    def: string[],
    options: FieldOptions & {
      nonEmpty?: boolean;
      accept?: (list: string[]) => boolean;
      expected?: string;
    } = {},
  ): Field<string[]> {
    return field(
      def,
      options.expected ?? (options.nonEmpty ? 'a non-empty list of strings' : 'a list of strings'),
      (raw, fromEnv) => {
        const list =
          fromEnv && typeof raw === 'string'
            ? raw
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s.length > 0)
            : raw;
        if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) return undefined;
        if (options.nonEmpty && list.length === 0) return undefined;
        if (options.accept && !options.accept(list as string[])) return undefined;
        return list as string[];
      },
      options,
    );
  },
  /** A map of name to positive integer; from the environment `dc1:3,dc2:2`. */
  intMap(def: Record<string, number>, options: FieldOptions = {}): Field<Record<string, number>> {
    return field(
      def,
      'a table of name = positive integer (env: "name:n,name:n")',
      (raw, fromEnv) => {
        let obj: unknown = raw;
        if (fromEnv && typeof raw === 'string') {
          const out: Record<string, number> = {};
          for (const part of raw.split(',').filter((p) => p.trim() !== '')) {
            const [k, v] = part.split(':').map((s) => s.trim());
            if (!k || !v || !/^\d+$/.test(v)) return undefined;
            out[k] = Number(v);
          }
          obj = out;
        }
        if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
        for (const v of Object.values(obj)) if (!Number.isInteger(v) || (v as number) < 1) return undefined;
        return obj as Record<string, number>;
      },
      options,
    );
  },
  /**
   * A structured value (array of tables and the like) checked by `check`, which returns an
   * error description or undefined. From the environment the value is JSON.
   */
  structured<T>(
    def: T,
    expected: string,
    check: (value: unknown) => string | undefined,
    options: FieldOptions = {},
  ): Field<T> {
    return field(
      def,
      expected,
      (raw, fromEnv) => {
        let value = raw;
        if (fromEnv && typeof raw === 'string') {
          try {
            value = JSON.parse(raw);
          } catch {
            return undefined;
          }
        }
        return check(value) === undefined ? (value as T) : undefined;
      },
      options,
    );
  },
};
