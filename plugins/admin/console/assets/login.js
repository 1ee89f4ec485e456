// The sign-in page: one field, one POST, then the app. Only this file, console.css and
// favicon.svg are served before a session exists.
const form = document.getElementById('login-form');
const input = document.getElementById('admin-key');
const status = document.getElementById('login-status');
const button = form.querySelector('button[type=submit]');

function say(text, kind) {
  status.textContent = text;
  status.className = `login-status ${kind || ''}`;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = input.value.trim();
  if (!key) {
    say('Enter the admin key.', 'error');
    input.focus();
    return;
  }
  button.disabled = true;
  input.disabled = true;
  form.setAttribute('aria-busy', 'true');
  say('Checking…', 'pending');
  try {
    const res = await fetch('/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
      credentials: 'same-origin',
    });
    if (res.ok) {
      say('Signed in. Opening the console…', 'ok');
      location.href = '/admin';
      return;
    }
    let message = `Sign-in failed (HTTP ${res.status}).`;
    try {
      const body = await res.json();
      if (body && body.error && typeof body.error.message === 'string') message = body.error.message;
    } catch {
      // not JSON: keep the generic message
    }
    say(message, 'error');
  } catch (err) {
    say(`Could not reach Switchboard: ${err instanceof Error ? err.message : String(err)}`, 'error');
  } finally {
    button.disabled = false;
    input.disabled = false;
    form.removeAttribute('aria-busy');
  }
  input.select();
  input.focus();
});
