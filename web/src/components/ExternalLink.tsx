/** A link to another application (the Temporal Web UI): a new tab, no referrer, said so in its name. */
import type { ComponentChildren } from 'preact';

export function ExternalLink({ href, children }: { href: string; children: ComponentChildren }) {
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" class="external">
      {children}
      <span class="visually-hidden"> (opens in a new tab)</span>
    </a>
  );
}
