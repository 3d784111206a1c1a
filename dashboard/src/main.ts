import { ApiError, getJson, session, whenUnauthorized } from './api.js';
import { errorText, h } from './dom.js';
import { callCenterPage } from './pages/callcenter.js';
import { messagingPage } from './pages/messaging.js';
import { overviewPage } from './pages/overview.js';
import { voicePage } from './pages/voice.js';
import './styles.css';

/** A page draws into its container and returns what stops its streams and timers. */
export type Page = (container: HTMLElement, params: string[]) => () => void;

const PAGES: { path: string; title: string; page: Page }[] = [
  { path: 'overview', title: 'Overview', page: overviewPage },
  { path: 'voice', title: 'Voice pipeline', page: voicePage },
  { path: 'callcenter', title: 'Call center', page: callCenterPage },
  { path: 'messaging', title: 'Messaging', page: messagingPage },
];

const root = document.getElementById('app')!;
let stop: (() => void) | undefined;

/** A read call any key with read scope may make: it proves the key before anything is shown. */
async function checkKey(key: string): Promise<void> {
  await getJson('/v1/interactions/health', [], key);
}

function signInView(message?: string): void {
  stop?.();
  stop = undefined;
  const input = h('input', {
    type: 'password',
    id: 'api-key',
    name: 'api-key',
    autocomplete: 'off',
    placeholder: 'sb_…',
    required: true,
    'aria-label': 'API key',
  });
  const error = h('p', { class: 'signin-error', role: 'alert' }, message ?? '');
  const form = h(
    'form',
    {
      class: 'signin',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const key = input.value.trim();
        error.textContent = 'Checking…';
        checkKey(key)
          .then(() => {
            session.signIn(key);
            if (!location.hash || location.hash === '#/') location.hash = '#/overview';
            render();
          })
          .catch((err: unknown) => {
            error.textContent =
              err instanceof ApiError && (err.status === 401 || err.status === 403)
                ? `The key was refused (${err.code}).`
                : `Could not reach the service: ${errorText(err)}`;
          });
      },
    },
    h('h1', {}, 'Switchboard operations'),
    h('label', { for: 'api-key' }, 'API key (read scope)'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    h(
      'p',
      { class: 'hint' },
      'The key stays in this browser tab only (session storage) and is sent to this service alone.',
    ),
    error,
  );
  root.replaceChildren(form);
  input.focus();
}

function render(): void {
  if (!session.key()) return signInView();
  const [path = 'overview', ...params] = location.hash.replace(/^#\/?/, '').split('/');
  const entry = PAGES.find((p) => p.path === path) ?? PAGES[0]!;
  stop?.();
  const wallboard = entry.path === 'callcenter' && params[0] === 'wallboard';
  document.body.classList.toggle('wallboard', wallboard);
  const main = h('main', { id: 'page', 'data-page': entry.path });
  const nav = h(
    'nav',
    {},
    h('span', { class: 'brand' }, 'Switchboard'),
    ...PAGES.map((p) => h('a', { href: `#/${p.path}`, class: p === entry ? 'active' : '' }, p.title)),
    h(
      'button',
      {
        class: 'signout',
        type: 'button',
        onclick: () => {
          session.signOut();
          signInView();
        },
      },
      'Sign out',
    ),
  );
  root.replaceChildren(...(wallboard ? [] : [nav]), main);
  document.title = `${entry.title} · Switchboard`;
  stop = entry.page(main, params);
}

whenUnauthorized(() => {
  session.signOut();
  signInView('The key is no longer accepted: sign in again.');
});
window.addEventListener('hashchange', render);
render();
