/** A tiny element builder: the pages are a few tables, cards and charts, not worth a framework. */
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | ((e: Event) => void)> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, '').toLowerCase(), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false) el.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
  return el;
}

/** A titled panel whose body shows a loading, empty or error state until it has data. */
export class Panel {
  readonly el: HTMLElement;
  readonly body: HTMLElement;
  private readonly status: HTMLElement;

  constructor(title: string, options: { id?: string; wide?: boolean } = {}) {
    this.status = h('div', { class: 'state', role: 'status' }, 'Loading…');
    this.body = h('div', { class: 'panel-body' });
    this.el = h(
      'section',
      { class: options.wide ? 'panel wide' : 'panel', ...(options.id ? { 'data-panel': options.id } : {}) },
      h('h2', {}, title),
      this.status,
      this.body,
    );
  }

  /** Shows the data. */
  ready(): void {
    this.status.hidden = true;
    this.body.hidden = false;
    this.el.classList.remove('is-empty', 'is-error');
  }

  empty(message: string): void {
    this.show(message, 'is-empty');
  }

  error(message: string): void {
    this.show(message, 'is-error');
  }

  private show(message: string, cls: string): void {
    this.status.textContent = message;
    this.status.hidden = false;
    this.body.hidden = true;
    this.el.classList.remove('is-empty', 'is-error');
    this.el.classList.add(cls);
  }
}

export function table(
  headers: string[],
  rows: Child[][],
  attrs: Record<string, string> = {},
): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', {}, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

export const ms = (v: number | null | undefined): string =>
  v === null || v === undefined ? '–' : `${v.toFixed(0)} ms`;
export const num = (v: number | null | undefined, digits = 0): string =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
export const pct = (v: number | null | undefined): string =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(1)} %`;

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
