/** Record names for references (a contact's organization, …), fetched once per record and cached. */
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { recordTitle, TYPE_LABELS } from './labels';
import type { RecordJson, RecordType } from './types';

const titles = new Map<string, Promise<string>>();

export function fetchTitle(type: RecordType, id: string): Promise<string> {
  const key = `${type}:${id}`;
  let found = titles.get(key);
  if (!found) {
    found = api
      .get<RecordJson>(`/${TYPE_LABELS[type].path}/${encodeURIComponent(id)}`)
      .then((res) => recordTitle(res.data))
      .catch(() => {
        titles.delete(key);
        return `(${TYPE_LABELS[type].one.toLowerCase()} not found)`;
      });
    titles.set(key, found);
  }
  return found;
}

/** Tells the cache a record's name may have changed. */
export function forgetTitle(type: RecordType, id: string): void {
  titles.delete(`${type}:${id}`);
}

/** Names of the given records, filled in as they arrive. */
export function useTitles(type: RecordType, ids: string[]): Record<string, string> {
  const [names, setNames] = useState<Record<string, string>>({});
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    let live = true;
    const unique = key ? key.split(',') : [];
    void Promise.all(unique.map(async (id) => [id, await fetchTitle(type, id)] as const)).then((pairs) => {
      if (live) setNames(Object.fromEntries(pairs));
    });
    return () => {
      live = false;
    };
  }, [type, key]);
  return names;
}
