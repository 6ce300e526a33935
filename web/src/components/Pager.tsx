/** Previous / next paging with the position in words. */
import type { ListMeta } from '../types';

export function Pager({ meta, onPage, label }: { meta: ListMeta; onPage: (page: number) => void; label: string }) {
  const pages = Math.max(1, Math.ceil(meta.total / meta.pageSize));
  const first = meta.total === 0 ? 0 : (meta.page - 1) * meta.pageSize + 1;
  const last = Math.min(meta.total, meta.page * meta.pageSize);
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" class="button secondary" disabled={meta.page <= 1} onClick={() => onPage(meta.page - 1)}>
        Previous page
      </button>
      <span class="pager-position">
        {meta.total === 0 ? 'No records' : `${first}–${last} of ${meta.total}`} · page {meta.page} of {pages}
      </span>
      <button type="button" class="button secondary" disabled={meta.page >= pages} onClick={() => onPage(meta.page + 1)}>
        Next page
      </button>
    </nav>
  );
}
