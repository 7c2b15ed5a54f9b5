// The header every page shares: the brand, the navigation between Sources and the payload preview with the
// current page marked, and room on the right for a page's own controls (the Sources page's session). Each
// page's HTML holds an empty <header class="app-bar">; this fills it, so the two cannot drift apart.

// The pages the navigation offers, in its order.
const pages = [
  { path: '/sources', label: 'Sources' },
  { path: '/preview', label: 'Payload preview' },
];

// Fills `header` for the page at `current` (a path of `pages`): the brand, then the navigation with
// `current` marked aria-current="page". Returns `header`. A link to /sources carries data-nav, which the
// Sources page's router takes over without a reload.
export function siteHeader(header, current) {
  const link = (path, text, props = {}) => {
    const a = document.createElement('a');
    a.href = path;
    a.textContent = text;
    if (path === '/sources') a.dataset.nav = '';
    for (const [name, value] of Object.entries(props)) a.setAttribute(name, value);
    return a;
  };
  const nav = document.createElement('nav');
  nav.className = 'app-nav';
  nav.setAttribute('aria-label', 'Main');
  for (const { path, label } of pages) nav.append(link(path, label, path === current ? { 'aria-current': 'page' } : {}));
  header.replaceChildren(link('/sources', 'dispatch', { class: 'brand' }), nav);
  return header;
}
