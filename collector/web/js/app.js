// What every page shares: who is logged in (and so what they may do), and
// moving between pages without reloading (history.pushState).
import { h } from './dom.js';

export const session = { user: null, role: null };

const RANK = { viewer: 1, analyst: 2, admin: 3 };

// True when the logged-in role is at least `role`. The API checks anyway;
// this only hides what would be refused.
export function can(role) {
  return (RANK[session.role] || 0) >= RANK[role];
}

let rerender = () => {};

export function setRenderer(fn) {
  rerender = fn;
}

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  rerender();
}

export function refresh() {
  rerender();
}

// An in-app link: a real href (open in a new tab, copy), followed without a reload.
export function link(href, props, ...children) {
  return h(
    'a',
    {
      ...props,
      href,
      onclick: (e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      },
    },
    ...children,
  );
}
