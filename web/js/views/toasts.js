// Notifications in the corner: success and error messages that go away by themselves.
import { el } from '../dom.js';

const LIFETIME_MS = 8000;

export function createToasts(region) {
  /** kind: 'success' | 'error'; text is shown as text. */
  return function toast(kind, text) {
    const close = el('button', { type: 'button', 'aria-label': 'Fechar notificação' }, '×');
    const node = el(
      'div',
      { class: 'toast', role: kind === 'error' ? 'alert' : 'status', dataset: { testid: 'toast', kind } },
      el('p', { text }),
      close,
    );
    const remove = () => node.remove();
    close.addEventListener('click', remove);
    region.append(node);
    setTimeout(remove, LIFETIME_MS);
    return node;
  };
}
