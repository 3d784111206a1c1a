import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors/index.js';
import { mapRelationalError } from '../../src/ports/relational/errors.js';
import { loggableError } from '../../src/shared/loggable-error.js';

/** A pg DatabaseError as the driver builds it: message, SQLSTATE code, severity. */
function pgError(code: string, message: string, severity = 'ERROR'): Error {
  return Object.assign(new Error(message), { code, severity });
}

describe('PostgreSQL errors mapped by SQLSTATE class (issue 23)', () => {
  it.each([
    ['55000', 'database "x" is not currently accepting connections', 'FATAL'],
    ['57P01', 'terminating connection due to administrator command', 'FATAL'],
    ['57P03', 'the database system is starting up', 'FATAL'],
    ['53300', 'sorry, too many clients already', 'FATAL'],
    ['53100', 'could not extend file: No space left on device', 'ERROR'],
    ['08006', 'connection failure', 'ERROR'],
    ['08P01', 'protocol violation', 'FATAL'],
  ])('%s (%s) is 503 STORE_UNAVAILABLE naming the relational port', (code, message, severity) => {
    const mapped = mapRelationalError('postgres', pgError(code, message, severity));
    expect(isSwitchboardError(mapped, 'STORE_UNAVAILABLE')).toBe(true);
    expect((mapped as { status: number }).status).toBe(503);
    expect((mapped as { details: unknown }).details).toMatchObject({
      port: 'relational',
      dialect: 'postgres',
    });
  });

  it('leaves a non-fatal 55000 and SQL mistakes alone, and maps 57014 to STORE_TIMEOUT', () => {
    const notReady = pgError('55000', 'currval of sequence "s" is not yet defined in this session');
    expect(mapRelationalError('postgres', notReady)).toBe(notReady);
    const syntax = pgError('42601', 'syntax error at or near "selec"');
    expect(mapRelationalError('postgres', syntax)).toBe(syntax);
    expect(
      isSwitchboardError(
        mapRelationalError('postgres', pgError('57014', 'canceling statement')),
        'STORE_TIMEOUT',
      ),
    ).toBe(true);
  });

  it('logs a connection failure with its code and message, but never the message of other errors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
    });
    expect(loggableError(refused)).toMatchObject({
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED 127.0.0.1:6379',
    });
    const fatal = mapRelationalError(
      'postgres',
      pgError('55000', 'database "x" is not currently accepting connections', 'FATAL'),
    );
    expect(loggableError(fatal)).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: 'A backing store is unavailable',
      port: 'relational',
      cause: { code: '55000', message: 'database "x" is not currently accepting connections' },
    });
    const withData = pgError('23505', 'duplicate key value (phone)=(+919876543210)');
    expect(loggableError(withData)).not.toHaveProperty('message');
  });
});
