import { h } from '../dom.js';

/** Messaging: placeholder until the read-only activity route exists. */
export function messagingPage(container: HTMLElement): () => void {
  container.append(h('h1', {}, 'Messaging'), h('p', { class: 'state' }, 'Not available yet.'));
  return () => {};
}
