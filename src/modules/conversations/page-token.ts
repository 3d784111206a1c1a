import { SwitchboardError } from '../../errors/index.js';

/**
 * Session-list page tokens. Each store pages differently (a keyset on the relational side,
 * the engine's token on the wide-column side), so a token carries the store that issued it
 * ('r' or 'w'): the router sends the next page to the same store even if the mode moved.
 */
export type TokenSource = 'r' | 'w';

export function encodeToken(source: TokenSource, value: Record<string, string>): string {
  return `${source}.${Buffer.from(JSON.stringify(value)).toString('base64url')}`;
}

export function tokenSource(token: string): TokenSource {
  const source = token.slice(0, 2);
  if (source === 'r.') return 'r';
  if (source === 'w.') return 'w';
  throw invalid();
}

function invalid(): SwitchboardError {
  return new SwitchboardError('VALIDATION_FAILED', 'The page token is not one this service issued', {
    field: 'querystring.pageToken',
  });
}

export function decodeToken(token: string, source: TokenSource): Record<string, string> {
  if (tokenSource(token) !== source) throw invalid();
  try {
    const value: unknown = JSON.parse(Buffer.from(token.slice(2), 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) throw invalid();
    for (const v of Object.values(value)) if (typeof v !== 'string') throw invalid();
    return value as Record<string, string>;
  } catch {
    throw invalid();
  }
}
