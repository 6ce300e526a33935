/** The logged-in person: who they are, their account, what their role may do, and the record metadata. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api, clearToken, setToken } from './api';
/** The actions roles are granted: api/permissions.ts owns them; the API tells the session which it has. */
import type { Action } from '../../api/permissions';
import type { Account, LoginRequest, Me, Permissions, RecordsMeta, RecordType, RecordTypeMeta, User } from './types';

export interface Session {
  me: Me;
  account: Account;
  permissions: Permissions;
  meta: RecordsMeta;
}

export interface SessionContextValue {
  session: Session;
  logout: () => Promise<void>;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a session');
  return value;
}

export type { Action };

export function can(session: Session, action: Action): boolean {
  return session.permissions.actions.includes(action);
}

export function typeMeta(session: Session, type: RecordType): RecordTypeMeta {
  const found = session.meta.recordTypes.find((t) => t.type === type);
  if (!found) throw new Error(`No metadata for ${type}`);
  return found;
}

export async function loadSession(): Promise<Session> {
  const [me, permissions, meta] = await Promise.all([
    api.get<Me>('/me'),
    api.get<Permissions>('/meta/permissions'),
    api.get<RecordsMeta>('/meta/records'),
  ]);
  return { me: me.data, account: me.data.account, permissions: permissions.data, meta: meta.data };
}

/** `accountId` is needed only when the email and password open users in several accounts (409 account_required). */
export async function logIn(email: string, password: string, accountId?: string): Promise<Session> {
  const res = await api.post<{ token: string; user: User; account: Account }>('/auth/login', { email, password, accountId } satisfies LoginRequest);
  setToken(res.data.token);
  return loadSession();
}

export async function logOut(): Promise<void> {
  try {
    await api.post('/auth/logout');
  } finally {
    clearToken();
  }
}
