import { listEnvironmentKeys } from './load.js';

/**
 * The configuration reference as Markdown: every key, its environment override, its default
 * and what it accepts. docs/CONFIGURATION.md is this text (a test keeps the two equal), and
 * `switchboard config reference` prints it.
 */
export function configurationReference(): string {
  const rows = listEnvironmentKeys();
  const sections = new Map<string, typeof rows>();
  for (const row of rows) {
    const section = row.key.split('.').slice(0, -1).join('.');
    sections.set(section, [...(sections.get(section) ?? []), row]);
  }
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const lines = [
    '# Configuration reference',
    '',
    'Generated from the configuration schema (`switchboard config reference`); do not edit by hand.',
    'Every key can be set in `switchboard.toml` (path from `--config` or `SWITCHBOARD_CONFIG`) and',
    'overridden by its environment variable. Lists are comma-separated in the environment; tables',
    'of tables (such as `voice.branches`) are JSON there. A bad value stops start-up with an error',
    'that names the key, the value and what was expected.',
  ];
  for (const [section, keys] of sections) {
    lines.push('', `## [${section}]`, '', '| key | environment | default | accepts |', '|---|---|---|---|');
    for (const k of keys) {
      const env = [k.env, ...k.aliases].map((name) => `\`${name}\``).join(', ');
      const def = k.secret ? '(secret)' : k.default === '' ? '(unset)' : `\`${escape(k.default)}\``;
      lines.push(`| \`${k.key.split('.').pop()}\` | ${env} | ${def} | ${escape(k.expected)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
