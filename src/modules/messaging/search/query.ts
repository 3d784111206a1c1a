import { invalid } from '../validation.js';

/**
 * The search query language, the same on every store: words must all appear (`refund
 * policy`), `"quoted words"` must appear together in order, `-word` or `-"some words"` must
 * not appear, and `or` between words gives alternatives (`refund or return`; AND binds
 * tighter than OR, as in PostgreSQL's websearch_to_tsquery). Matching ignores case; words are
 * matched whole (no stemming: messages come in many languages, and a language's stemmer
 * would mangle the others).
 *
 * The query is parsed here once and compiled for each engine, so a user's quote or dash can
 * never become engine syntax (an FTS5 syntax error, say) and both engines see the same query.
 */
export interface SearchGroup {
  /** Terms that must appear (each a word or a phrase). */
  include: string[];
  /** Terms that must not appear. */
  exclude: string[];
}

export interface ParsedQuery {
  /** Alternatives: a message matches when it matches any group. */
  groups: SearchGroup[];
}

export const MAX_QUERY_LENGTH = 500;
const MAX_TERMS = 32;
const TOKEN = /(-?)"([^"]*)"?|(\S+)/g;
const HAS_WORD = /[\p{L}\p{N}]/u;

export function parseSearchQuery(raw: unknown, field = 'q'): ParsedQuery {
  if (typeof raw !== 'string' || raw.trim().length === 0 || raw.length > MAX_QUERY_LENGTH) {
    throw invalid(field, `expected 1 to ${MAX_QUERY_LENGTH} characters of search text`);
  }
  const groups: SearchGroup[] = [{ include: [], exclude: [] }];
  let terms = 0;
  for (const match of raw.matchAll(TOKEN)) {
    const [, quotedNegation, phrase, bare] = match;
    let negated = quotedNegation === '-';
    let text = phrase ?? bare ?? '';
    if (phrase === undefined) {
      if (text.toLowerCase() === 'or') {
        if (groups[groups.length - 1]!.include.length > 0) groups.push({ include: [], exclude: [] });
        continue;
      }
      if (text.startsWith('-') && text.length > 1) {
        negated = true;
        text = text.slice(1);
      }
      text = text.replaceAll('"', ' ');
    }
    text = text.trim().replace(/\s+/g, ' ');
    if (!HAS_WORD.test(text)) continue;
    if (++terms > MAX_TERMS) throw invalid(field, `at most ${MAX_TERMS} words or phrases`);
    const group = groups[groups.length - 1]!;
    (negated ? group.exclude : group.include).push(text.toLowerCase());
  }
  // A group of exclusions alone would match nearly every message: it is dropped, and a query
  // with nothing left to find is refused rather than answered with "everything".
  const kept = groups.filter((g) => g.include.length > 0);
  if (kept.length === 0) {
    throw invalid(
      field,
      'give at least one word to find: letters or digits, not only -exclusions (emoji and punctuation are not indexed)',
    );
  }
  return { groups: kept };
}

function quoted(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/**
 * SQLite FTS5 MATCH expression. Every term is a quoted string, which FTS5 reads as a phrase
 * of the tokens inside (so punctuation cannot be operator syntax). FTS5's NOT is binary and
 * binds tighter than AND, so exclusions go after the group's included terms:
 * `"a" "b" NOT "c"` is a AND (b NOT c), which is a AND b AND NOT c.
 */
export function toFts5(query: ParsedQuery): string {
  return query.groups
    .map((g) => [...g.include.map(quoted), ...g.exclude.map((t) => `NOT ${quoted(t)}`)].join(' '))
    .map((expression) => `(${expression})`)
    .join(' OR ');
}

/** The same query in websearch_to_tsquery's syntax, with every term quoted for the same reason. */
export function toWebsearch(query: ParsedQuery): string {
  return query.groups
    .map((g) => [...g.include.map((t) => `"${t}"`), ...g.exclude.map((t) => `-"${t}"`)].join(' '))
    .join(' or ');
}
