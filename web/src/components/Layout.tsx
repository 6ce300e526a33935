/** The frame of every page after login: who is logged in (account, plan, user, role), the menu, the page. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { PLAN_LABELS, ROLE_LABELS, TYPE_LABELS, TYPE_ORDER } from '../labels';
import { Link } from '../router';
import { type Action, can, useSession } from '../session';

const MENU: Array<{ href: string; label: string; section?: string; needs?: Action }> = [
  { href: '/', label: 'Overview' },
  ...TYPE_ORDER.map((t) => ({ href: `/${TYPE_LABELS[t].path}`, label: TYPE_LABELS[t].many, section: 'Documentation' })),
  { href: '/integration', label: 'Integration', section: 'Kaseya BMS' },
  { href: '/review', label: 'Review matches', section: 'Kaseya BMS' },
  { href: '/problems', label: 'Problems', section: 'Kaseya BMS' },
  { href: '/manage', label: 'Manage data', section: 'Kaseya BMS' },
  { href: '/adopt', label: 'Adopt records', section: 'Kaseya BMS', needs: 'records:adopt' },
  { href: '/logs', label: 'Logs', section: 'Kaseya BMS' },
  { href: '/notifications', label: 'Notifications', section: 'Kaseya BMS', needs: 'notifications:read' },
];

function isCurrent(href: string, path: string): boolean {
  return href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
}

/** Sent on `window` when a page changed what needs a person (e.g. after a retry): the menu's count is read again. */
export const PROBLEMS_CHANGED = 'bms-docsync:problems-changed';

/** How many records need a person (the Problems menu entry shows it), read again on each page change. */
function useProblemCount(path: string): number | null {
  const [count, setCount] = useState<number | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const again = () => setTick((t) => t + 1);
    window.addEventListener(PROBLEMS_CHANGED, again);
    return () => window.removeEventListener(PROBLEMS_CHANGED, again);
  }, []);
  useEffect(() => {
    let live = true;
    api
      .get<unknown[]>('/problems?limit=1')
      .then((res) => live && setCount((res.meta as unknown as { total: number }).total))
      .catch(() => live && setCount(null));
    return () => {
      live = false;
    };
  }, [path, tick]);
  return count;
}

export function Layout({ path, children }: { path: string; children: ComponentChildren }) {
  const { session, logout } = useSession();
  const problems = useProblemCount(path);
  const skip = (event: MouseEvent) => {
    event.preventDefault();
    document.getElementById('main')?.focus();
  };
  const menu = MENU.filter((m) => !m.needs || can(session, m.needs));
  const sections = [...new Set(menu.map((m) => m.section ?? ''))];
  return (
    <div class="app">
      <a class="skip-link" href="#main" onClick={skip}>
        Skip to main content
      </a>
      <header class="topbar">
        <Link href="/" class="brand">
          bms-docsync
        </Link>
        <div class="who">
          <p class="who-account">
            <span class="visually-hidden">Account: </span>
            <strong data-testid="account-name">{session.account.name}</strong>{' '}
            <span class="tag">{PLAN_LABELS[session.account.plan]} plan</span>
          </p>
          <p class="who-user">
            <span class="visually-hidden">Logged in as </span>
            <span data-testid="user-name">{session.me.name}</span>{' '}
            <span class="tag tag-role" data-testid="user-role">
              {ROLE_LABELS[session.me.role]}
            </span>
          </p>
          <Link href="/password" class="button secondary small">
            Change password
          </Link>
          <button type="button" class="button secondary small" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </header>
      <div class="shell">
        <nav class="sidebar" aria-label="Main menu">
          {sections.map((section) => (
            <div class="menu-section" key={section}>
              {section ? <p class="menu-heading">{section}</p> : null}
              <ul>
                {menu.filter((m) => (m.section ?? '') === section).map((m) => (
                  <li key={m.href}>
                    <Link href={m.href} aria-current={isCurrent(m.href, path) ? 'page' : undefined}>
                      {m.label}
                      {m.href === '/problems' && problems !== null ? (
                        <span class={`menu-count${problems > 0 ? ' has-problems' : ''}`} data-testid="problem-count">
                          {' '}
                          {problems}
                          <span class="visually-hidden"> records need you</span>
                        </span>
                      ) : null}
                    </Link>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
