/**
 * A record list (organizations, configurations, contacts, locations): search, sync-state filter, paging,
 * and the sync state of each record. The filters live in the address, so back/forward and links work.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, query } from '../api';
import { Loading, Notice, PageTitle } from '../components/Page';
import { Pager } from '../components/Pager';
import { SyncBadge } from '../components/SyncBadge';
import { fieldLabel, LIST_COLUMNS, recordTitle, stateLabel, TYPE_LABELS } from '../labels';
import { useTitles } from '../records';
import { Link, navigate, useRoute, withQuery } from '../router';
import { can, typeMeta, useSession } from '../session';
import type { FieldMeta, ListItem, ListMeta, RecordJson, RecordType } from '../types';

export const PAGE_SIZES = [25, 50, 100, 200];

function positiveInt(value: string | null, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function Cell({ field, record, names }: { field: FieldMeta; record: RecordJson; names: Record<string, Record<string, string>> }) {
  const value = record[field.name];
  switch (field.kind) {
    case 'ref': {
      if (typeof value !== 'string' || !field.ref) return <span class="muted">—</span>;
      return <Link href={`/${TYPE_LABELS[field.ref].path}/${value}`}>{names[field.ref]?.[value] ?? '…'}</Link>;
    }
    case 'boolean':
      return <>{value === true ? 'Yes' : 'No'}</>;
    case 'emails':
    case 'phones': {
      const items = Array.isArray(value) ? (value as ListItem[]) : [];
      const primary = items.find((i) => i.primary) ?? items[0];
      return primary ? <>{primary.value}</> : <span class="muted">—</span>;
    }
    default:
      return typeof value === 'string' && value !== '' ? <>{value}</> : <span class="muted">—</span>;
  }
}

export function RecordListPage({ type }: { type: RecordType }) {
  const { session } = useSession();
  const route = useRoute();
  const labels = TYPE_LABELS[type];
  const meta = typeMeta(session, type);
  const page = positiveInt(route.query.get('page'), 1);
  const pageSize = positiveInt(route.query.get('pageSize'), 25);
  const search = route.query.get('search') ?? '';
  const state = route.query.get('state') ?? '';
  const organizationId = route.query.get('organizationId') ?? '';

  const [searchText, setSearchText] = useState(search);
  const [items, setItems] = useState<RecordJson[] | null>(null);
  const [listMeta, setListMeta] = useState<ListMeta | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => setSearchText(search), [search]);

  useEffect(() => {
    let live = true;
    setError(null);
    const q = query({ page, pageSize, search, syncState: state, organizationId });
    api
      .get<RecordJson[]>(`/${labels.path}${q}`)
      .then((res) => {
        if (!live) return;
        setItems(res.data);
        setListMeta(res.meta ?? { page, pageSize, total: res.data.length });
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [labels.path, page, pageSize, search, state, organizationId]);

  const columns = LIST_COLUMNS[type]
    .map((name) => meta.fields.find((f) => f.name === name))
    .filter((f): f is FieldMeta => Boolean(f));
  const refIds = (target: RecordType) =>
    (items ?? []).flatMap((r) =>
      columns.filter((c) => c.ref === target && typeof r[c.name] === 'string').map((c) => r[c.name] as string),
    );
  const organizationNames = useTitles('organization', [...refIds('organization'), ...(organizationId ? [organizationId] : [])]);
  const locationNames = useTitles('location', refIds('location'));
  const names = { organization: organizationNames, location: locationNames };

  const onSearch = (event: Event) => {
    event.preventDefault();
    navigate(withQuery({ search: searchText.trim(), page: null }));
  };

  const filtered = Boolean(search || state || organizationId);

  return (
    <>
      <PageTitle title={labels.many}>
        {can(session, 'records:write') ? (
          <Link href={`/${labels.path}/new`} class="button primary">
            New {labels.one.toLowerCase()}
          </Link>
        ) : null}
      </PageTitle>
      {organizationId ? (
        <p class="filter-note">
          Showing the {labels.many.toLowerCase()} of{' '}
          <Link href={`/organizations/${organizationId}`}>{organizationNames[organizationId] ?? '…'}</Link>.{' '}
          <Link href={withQuery({ organizationId: null, page: null })}>Show all {labels.many.toLowerCase()}</Link>
        </p>
      ) : null}
      <form class="filters" role="search" aria-label={`Find ${labels.many.toLowerCase()}`} onSubmit={onSearch}>
        <div class="field">
          <label for="list-search">Search {labels.many.toLowerCase()}</label>
          <input id="list-search" type="search" value={searchText} onInput={(e) => setSearchText(e.currentTarget.value)} />
        </div>
        <button type="submit" class="button secondary">
          Search
        </button>
        <div class="field">
          <label for="list-state">Sync state</label>
          <select
            id="list-state"
            value={state}
            onChange={(e) => navigate(withQuery({ state: (e.currentTarget as HTMLSelectElement).value, page: null }))}
          >
            <option value="">All states</option>
            {session.meta.syncStates.map((s) => (
              <option key={s} value={s}>
                {stateLabel(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="list-page-size">Per page</label>
          <select
            id="list-page-size"
            value={String(pageSize)}
            onChange={(e) => navigate(withQuery({ pageSize: (e.currentTarget as HTMLSelectElement).value, page: null }))}
          >
            {PAGE_SIZES.map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </div>
        {filtered ? (
          <Link href={`/${labels.path}`} class="button link">
            Clear filters
          </Link>
        ) : null}
      </form>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <p class="result-count" role="status">
        {listMeta ? `${listMeta.total} ${listMeta.total === 1 ? labels.one.toLowerCase() : labels.many.toLowerCase()} found` : ''}
      </p>
      {items === null && !error ? <Loading what={labels.many.toLowerCase()} /> : null}
      {items ? (
        <div class="table-wrap">
          <table class="data records">
            <caption class="visually-hidden">
              {labels.many}
              {filtered ? ' (filtered)' : ''}
            </caption>
            <thead>
              <tr>
                {columns.map((c, i) => (
                  <th scope="col" key={c.name}>
                    {i === 0 ? 'Name' : fieldLabel(c.name)}
                  </th>
                ))}
                <th scope="col">Sync state</th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 ? (
                <tr>
                  <td colSpan={columns.length + 1} class="muted">
                    No {labels.many.toLowerCase()} {filtered ? 'match these filters' : 'yet'}.
                  </td>
                </tr>
              ) : null}
              {items.map((record) => (
                <tr key={record.id}>
                  {columns.map((c, i) =>
                    i === 0 ? (
                      <th scope="row" key={c.name}>
                        <Link href={`/${labels.path}/${record.id}`}>{recordTitle(record)}</Link>
                      </th>
                    ) : (
                      <td key={c.name}>
                        <Cell field={c} record={record} names={names} />
                      </td>
                    ),
                  )}
                  <td title={record.sync.message}>
                    <SyncBadge state={record.sync.state} />
                    <span class="visually-hidden">: {record.sync.message}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {listMeta && listMeta.total > 0 ? (
        <Pager meta={listMeta} label={`${labels.many} pages`} onPage={(p) => navigate(withQuery({ page: p === 1 ? null : p }))} />
      ) : null}
    </>
  );
}
