// The console's shell: session, navigation (hash routes), and one page at a time in #view.
import { logout, startSession, toast } from './api.js';
import { h, fill } from './dom.js';

const PAGES = {
  providers: () => import('./pages/providers.js'),
  credentials: () => import('./pages/credentials.js'),
  usage: () => import('./pages/usage.js'),
  live: () => import('./pages/live.js'),
  playground: () => import('./pages/playground.js'),
  settings: () => import('./pages/settings.js'),
};
const TITLES = { providers: 'Providers', credentials: 'Credentials', usage: 'Usage', live: 'Live requests', playground: 'Playground', settings: 'Settings' };

const view = document.getElementById('view');
const nav = document.getElementById('nav');
const menu = document.getElementById('menu-toggle');
let leave = null; // the current page's cleanup
let generation = 0;

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const name = PAGES[parts[0]] ? parts[0] : 'providers';
  return { name, args: PAGES[parts[0]] ? parts.slice(1) : [] };
}

async function route() {
  const { name, args } = parseHash();
  const mine = ++generation;
  if (leave) {
    try {
      leave();
    } catch {
      // a page's cleanup failing must not block the next page
    }
    leave = null;
  }
  for (const a of nav.querySelectorAll('a[data-page]')) {
    const current = a.dataset.page === name;
    a.classList.toggle('current', current);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  closeMenu();
  document.title = `${TITLES[name]} · Switchboard console`;
  view.dataset.page = name;
  let mod;
  try {
    mod = await PAGES[name]();
  } catch (err) {
    fill(view, h('div', { class: 'panel' }, h('h1', null, 'Could not load this page'), h('p', { class: 'muted' }, String(err && err.message ? err.message : err))));
    return;
  }
  if (mine !== generation) return;
  const root = h('div', { class: 'page', 'data-testid': `page-${name}`, 'data-args': args.join('/') });
  fill(view, root);
  try {
    const cleanup = await mod.render(root, args);
    if (mine !== generation) {
      if (typeof cleanup === 'function') cleanup();
      return;
    }
    leave = typeof cleanup === 'function' ? cleanup : null;
    root.dataset.loaded = 'true';
  } catch (err) {
    if (err && err.status === 401) return;
    root.append(h('div', { class: 'panel' }, h('p', { class: 'muted' }, `This page failed to load: ${err && err.message ? err.message : String(err)}`)));
  }
}

function closeMenu() {
  nav.classList.remove('open');
  menu.setAttribute('aria-expanded', 'false');
}

menu.addEventListener('click', () => {
  const open = !nav.classList.contains('open');
  nav.classList.toggle('open', open);
  menu.setAttribute('aria-expanded', String(open));
});
document.getElementById('logout').addEventListener('click', (e) => {
  e.currentTarget.disabled = true;
  logout();
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') closeMenu();
});
window.addEventListener('hashchange', route);

async function main() {
  try {
    await startSession();
  } catch (err) {
    if (err && err.status === 401) return; // on the way to the sign-in page
    toast(`Could not start the session: ${err && err.message ? err.message : String(err)}`, 'error');
  }
  if (!location.hash) history.replaceState(null, '', '#/providers');
  route();
}
main();
