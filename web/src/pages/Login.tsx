/** Logging in: email and password; the session token is kept in sessionStorage for this tab. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorMessage } from '../api';
import { Notice } from '../components/Page';
import { logIn, type Session } from '../session';

export function LoginPage({ onLoggedIn, expired }: { onLoggedIn: (session: Session) => void; expired: boolean }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  // Offered when the email and password open users in several accounts: only those accounts.
  const [accounts, setAccounts] = useState<Array<{ id: string; name: string }> | null>(null);
  const [accountId, setAccountId] = useState('');
  const [busy, setBusy] = useState(false);
  const emailRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Log in · bms-docsync';
    emailRef.current?.focus();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLoggedIn(await logIn(email.trim(), password, accounts ? accountId : undefined));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'account_required' && Array.isArray(err.details?.accounts)) {
        const choices = err.details.accounts as Array<{ id: string; name: string }>;
        setAccounts(choices);
        setAccountId(choices[0]?.id ?? '');
        setError('This email and password open several accounts. Choose one.');
      } else {
        setError(errorMessage(err));
      }
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login" tabIndex={-1}>
      <div class="login-card">
        <p class="brand">bms-docsync</p>
        <h1 id="page-heading" tabIndex={-1}>
          Log in
        </h1>
        <p class="muted">IT documentation in sync with Kaseya BMS.</p>
        {expired ? <Notice kind="warning">Your session has ended. Log in again to continue.</Notice> : null}
        <form onSubmit={(e) => void submit(e)}>
          <div class="field">
            <label for="login-email">Email</label>
            <input
              ref={emailRef}
              id="login-email"
              name="email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onInput={(e) => {
                setEmail(e.currentTarget.value);
                setAccounts(null);
              }}
            />
          </div>
          <div class="field">
            <label for="login-password">Password</label>
            <input
              id="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </div>
          {accounts ? (
            <div class="field">
              <label for="login-account">Account</label>
              <select id="login-account" name="account" value={accountId} onChange={(e) => setAccountId(e.currentTarget.value)}>
                {accounts.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          {error ? <Notice kind="error">{error}</Notice> : null}
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </form>
      </div>
    </main>
  );
}
