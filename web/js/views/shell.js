// The frame around the screens: the agent's name, the connection state, the offline banner,
// the Atendimento / Histórico tabs and the logout button.
import { byTestId, show } from '../dom.js';

const STATE_WORDS = {
  connecting: 'Conectando…',
  live: 'Conectado',
  reconnecting: 'Reconectando…',
  stopped: 'Desconectado',
};

export function createShell({ onLogout, onTab }) {
  const app = byTestId('app');
  const name = byTestId('agent-name');
  const conn = byTestId('connection-state');
  const banner = byTestId('offline-banner');
  const tabs = [byTestId('tab-atendimento'), byTestId('tab-historico')];
  let countdownTimer = null;

  byTestId('logout').addEventListener('click', onLogout);

  function select(tab, focus = false) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      show(document.getElementById(t.getAttribute('aria-controls')), on);
    }
    if (focus) tab.focus();
    onTab(tab === tabs[0] ? 'atendimento' : 'historico');
  }
  for (const t of tabs) {
    t.addEventListener('click', () => select(t));
    t.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      e.preventDefault();
      select(tabs[(tabs.indexOf(t) + 1) % tabs.length], true);
    });
  }

  return {
    setAgent(agent) {
      name.textContent = agent ? `${agent.name}${agent.role === 'supervisor' ? ' (supervisor)' : ''}` : '';
    },
    /** state: see Connection; detail.retryAtMs while reconnecting. */
    setConnection(state, detail = {}) {
      clearInterval(countdownTimer);
      countdownTimer = null;
      conn.dataset.state = state;
      conn.textContent = STATE_WORDS[state] ?? state;
      app.dataset.live = String(state === 'live');
      const offline = state !== 'live';
      show(banner, offline);
      if (!offline) return;
      const say = () => {
        const left = detail.retryAtMs ? Math.max(0, Math.ceil((detail.retryAtMs - Date.now()) / 1000)) : 0;
        const why = detail.draining ? 'O servidor está reiniciando.' : 'Sem conexão com o servidor.';
        banner.textContent =
          state === 'reconnecting'
            ? `${why} Nova tentativa em ${left} s. O que está na tela pode estar desatualizado e as ações estão suspensas.`
            : 'Conectando ao servidor… As ações ficam suspensas até a conexão ser restabelecida.';
      };
      say();
      if (state === 'reconnecting') countdownTimer = setInterval(say, 1000);
    },
    showApp(visible) {
      show(app, visible);
    },
    selectAtendimento() {
      select(tabs[0]);
    },
  };
}
