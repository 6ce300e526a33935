/** Page furniture: the title (also the document title and the focus target after navigating), notices. */
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';

export function PageTitle({ title, children }: { title: string; children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · bms-docsync`;
  }, [title]);
  return (
    <div class="page-title">
      <h1 id="page-heading" tabIndex={-1}>
        {title}
      </h1>
      {children ? <div class="page-actions">{children}</div> : null}
    </div>
  );
}

export type NoticeKind = 'info' | 'success' | 'warning' | 'error';

/** A message box. Errors are alerts (read out at once); the others are polite status updates. */
export function Notice({ kind = 'info', children, id }: { kind?: NoticeKind; children: ComponentChildren; id?: string }) {
  return (
    <div id={id} class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}
