// The login form: POST /api/login (the gateway sets the HttpOnly session cookie).
import { byTestId, show } from '../dom.js';

async function postLogin(login, password) {
  let res;
  try {
    res = await fetch('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ login, password }),
    });
  } catch {
    return { ok: false, message: 'não foi possível falar com o servidor; verifique a conexão' };
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.ok && body?.agent) return { ok: true, agent: body.agent, expiresMs: body.expires_ms ?? null };
  if (res.status === 429) {
    const wait = Number(res.headers.get('Retry-After'));
    const after = Number.isFinite(wait) && wait > 0 ? ` Tente de novo em ${Math.ceil(wait)} s.` : '';
    return { ok: false, message: `${body?.error?.message ?? 'muitas tentativas'}.${after}` };
  }
  return { ok: false, message: body?.error?.message ?? `o servidor recusou o login (HTTP ${res.status})` };
}

/** Wires the login form; onLoggedIn({agent, expiresMs}) runs after a successful login. */
export function createLogin(onLoggedIn) {
  const screen = byTestId('login-screen');
  const form = byTestId('login-form');
  const user = byTestId('login-user');
  const password = byTestId('login-password');
  const error = byTestId('login-error');
  const submit = byTestId('login-submit');

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    show(error, false);
    if (!user.value.trim() || !password.value) {
      error.textContent = 'informe usuário e senha';
      show(error, true);
      (user.value.trim() ? password : user).focus();
      return;
    }
    submit.disabled = true;
    const r = await postLogin(user.value.trim(), password.value);
    submit.disabled = false;
    if (!r.ok) {
      error.textContent = r.message;
      show(error, true);
      password.select();
      return;
    }
    password.value = '';
    onLoggedIn(r);
  });

  return {
    show(message) {
      show(screen, true);
      if (message) {
        error.textContent = message;
        show(error, true);
      } else {
        show(error, false);
      }
      (user.value ? password : user).focus();
    },
    hide() {
      show(screen, false);
    },
  };
}
