/** The console's stylesheet: plain CSS, no build. */
export const CONSOLE_CSS = `
:root { color-scheme: light dark; --muted: #777; --line: #8884; --accent: #c2410c; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 1rem 3rem; }
header { display: flex; gap: 1rem; align-items: baseline; border-bottom: 1px solid var(--line); padding: .6rem 0; }
header a.home { font-weight: 700; color: var(--accent); text-decoration: none; font-size: 1.2rem; }
header form { margin-left: auto; }
.banner { background: #fde68a; color: #422006; padding: .5rem 1rem; margin: .5rem 0; border-radius: 4px; }
.notice { padding: .5rem 1rem; margin: .5rem 0; border-radius: 4px; border: 1px solid var(--line); }
.notice.error { border-color: #dc2626; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.muted { color: var(--muted); }
.sev1, .sev2 { font-weight: 700; color: #dc2626; }
code, pre { font: 13px ui-monospace, monospace; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
a:focus, button:focus, input:focus, summary:focus { outline: 3px solid var(--accent); outline-offset: 1px; }
form.inline { display: inline; }
img.chart { max-width: 100%; border: 1px solid var(--line); }
input[type=text], input[type=password] { width: min(40rem, 100%); padding: .3rem; }
`;

/**
 * The console's only script: listens to /api/v1/events and, on an append that concerns this page,
 * fetches the page again and swaps its <main>. Without JavaScript the pages read the same (reload).
 */
export const CONSOLE_JS = `
(() => {
  const main = document.querySelector('main');
  const incident = main && main.dataset.incident;
  if (!main || !window.EventSource || main.dataset.live !== 'on') return;
  // From what the page shows: events appended between its rendering and the stream's start are sent first.
  const query = new URLSearchParams();
  if (incident) query.set('incident', incident);
  if (main.dataset.after) query.set('after', main.dataset.after);
  const url = '/api/v1/events?' + query;
  let pending = false;
  const refresh = async () => {
    if (pending) return;
    pending = true;
    await new Promise((r) => setTimeout(r, 150));
    pending = false;
    const res = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const fresh = doc.querySelector('main');
    if (!fresh) return;
    // Keep what someone is typing, and where the keyboard is.
    const active = document.activeElement;
    const id = active && main.contains(active) ? active.id : '';
    const typed = id && 'value' in active ? active.value : undefined;
    main.innerHTML = fresh.innerHTML;
    const again = id && document.getElementById(id);
    if (again) { if (typed !== undefined) again.value = typed; again.focus(); }
    document.body.dataset.updated = String(Date.now());
  };
  const source = new EventSource(url);
  source.addEventListener('timeline', refresh);
  source.addEventListener('open', () => { document.body.dataset.live = 'connected'; });
})();
`;
