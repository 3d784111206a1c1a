import cassandra from 'cassandra-driver';
import { SwitchboardError, isSwitchboardError } from '../../../errors/index.js';

/**
 * Translation of cassandra-driver errors into the one error catalogue. Only errors that say
 * the cluster is unreachable, overloaded or slow become STORE_UNAVAILABLE / STORE_TIMEOUT
 * and count against the circuit breaker; a statement the server refuses is a programming or
 * schema error and must not open the breaker for everyone else.
 */

const { errors, types } = cassandra;
const codes = types.responseErrorCodes;

interface Context {
  operation: string;
  table?: string;
}

function where(context: Context): string {
  return context.table && context.table !== '-'
    ? `${context.operation} on ${context.table}`
    : context.operation;
}

function unavailable(context: Context, error: Error, message: string, transient = true): SwitchboardError {
  return new SwitchboardError(
    'STORE_UNAVAILABLE',
    `ScyllaDB unavailable during ${where(context)}: ${message}`,
    {
      cause: error,
      details: { port: 'wide_column', engine: 'scylladb', driverError: error.name, transient },
    },
  );
}

function timeout(context: Context, error: Error, message: string): SwitchboardError {
  return new SwitchboardError(
    'STORE_TIMEOUT',
    `ScyllaDB did not answer in time during ${where(context)}: ${message}`,
    {
      cause: error,
      details: { port: 'wide_column', engine: 'scylladb', driverError: error.name, transient: true },
    },
  );
}

/**
 * A statement naming a keyspace, table or column the cluster does not have. ScyllaDB and
 * Cassandra 3.x say "unconfigured table t"; Cassandra 4.0+ says "table t does not exist" and
 * "keyspace k does not exist" (Schema.validateTable); columns are "Undefined column name c".
 */
const SCHEMA_MISSING =
  /unconfigured (table|columnfamily)|(keyspace|table) \S+ does not exist|undefined column name|undefined name/i;

export function toSwitchboardError(error: unknown, context: Context): SwitchboardError {
  if (isSwitchboardError(error)) return error;
  if (!(error instanceof Error)) {
    return new SwitchboardError('INTERNAL', `ScyllaDB: unexpected failure during ${where(context)}`, {
      cause: error,
    });
  }
  if (error instanceof errors.NoHostAvailableError) {
    const inner = Object.values((error.innerErrors ?? {}) as Record<string, unknown>);
    if (inner.length > 0 && inner.every((e) => e instanceof errors.OperationTimedOutError)) {
      return timeout(context, error, error.message);
    }
    const auth = inner.find((e) => e instanceof errors.AuthenticationError) as Error | undefined;
    if (auth) return unavailable(context, error, `authentication failed: ${auth.message}`);
    // The driver's own message embeds inspected inner errors with stacks; name each host and its reason instead.
    const hosts = Object.entries((error.innerErrors ?? {}) as Record<string, unknown>).map(
      ([host, e]) => `${host}: ${e instanceof Error ? e.message : String(e)}`,
    );
    const firstLine = error.message.split('\n')[0] ?? error.message;
    return unavailable(
      context,
      error,
      hosts.length > 0 ? `no host answered (${hosts.join('; ')})` : firstLine,
    );
  }
  if (error instanceof errors.OperationTimedOutError) return timeout(context, error, error.message);
  if (error instanceof errors.AuthenticationError || error instanceof errors.BusyConnectionError) {
    return unavailable(context, error, error.message);
  }
  if (error instanceof errors.ResponseError) {
    switch (error.code) {
      case codes.readTimeout:
      case codes.writeTimeout:
        return timeout(context, error, error.message);
      case codes.unavailableException:
      case codes.overloaded:
      case codes.isBootstrapping:
      case codes.readFailure:
      case codes.writeFailure:
      case codes.truncateError:
      case codes.serverError:
        return unavailable(context, error, error.message);
      case codes.badCredentials:
      case codes.unauthorized:
        // The cluster is up; these credentials cannot do this. Retrying will not help, so the
        // breaker must not open for every other caller.
        return unavailable(context, error, error.message, false);
      case codes.invalid:
      case codes.configError:
        if (SCHEMA_MISSING.test(error.message)) {
          return new SwitchboardError(
            'SCHEMA_NOT_APPLIED',
            `ScyllaDB: ${error.message} (during ${where(context)}); run \`switchboard schema apply\``,
            { cause: error, details: { engine: 'scylladb' } },
          );
        }
        break;
      default:
        break;
    }
    return new SwitchboardError('QUERY_REJECTED', `ScyllaDB refused ${where(context)}: ${error.message}`, {
      cause: error,
      ...(context.table ? { field: context.table } : {}),
      details: { engine: 'scylladb', serverCode: error.code },
    });
  }
  if (error instanceof errors.ArgumentError && /localDataCenter/i.test(error.message)) {
    return new SwitchboardError('CONFIG_INVALID', `scylla.local_data_center: ${error.message}`, {
      cause: error,
      field: 'scylla.local_data_center',
    });
  }
  if (error instanceof errors.ArgumentError || error instanceof errors.NotSupportedError) {
    return new SwitchboardError(
      'QUERY_REJECTED',
      `ScyllaDB driver refused ${where(context)}: ${error.message}`,
      {
        cause: error,
        details: { engine: 'scylladb', driverError: error.name },
      },
    );
  }
  if (error instanceof TypeError) {
    // The driver's encoder throws TypeError for a value that does not fit the column.
    return new SwitchboardError(
      'VALUE_INVALID',
      `ScyllaDB could not encode a value for ${where(context)}: ${error.message}`,
      {
        cause: error,
      },
    );
  }
  return unavailable(context, error, error.message);
}

/** Whether an error says the cluster itself is unhealthy (the breaker's notion of failure). */
export function isStoreFailure(error: unknown): boolean {
  return (
    isSwitchboardError(error) &&
    (error.code === 'STORE_UNAVAILABLE' || error.code === 'STORE_TIMEOUT') &&
    error.details?.transient !== false
  );
}

/** Whether the server refused the keyspace `tablets` option (a ScyllaDB without tablets, before 6.0). */
export function isTabletsOptionRejected(error: unknown): boolean {
  const cause = isSwitchboardError(error) ? error.cause : error;
  return (
    cause instanceof errors.ResponseError &&
    (cause.code === codes.syntaxError || cause.code === codes.configError || cause.code === codes.invalid) &&
    /tablets/i.test(cause.message)
  );
}
