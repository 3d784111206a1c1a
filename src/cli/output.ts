import { isSwitchboardError } from '../errors/index.js';

/** `error CODE: message` on stderr; the one way every command reports failure. */
export function formatError(error: unknown): string {
  if (isSwitchboardError(error)) return `error ${error.code}: ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  return `error INTERNAL: ${message}`;
}

/** Fixed-width columns for `keys list` and similar. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
