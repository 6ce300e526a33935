/** Changing one's own password: the current one proves it is the person; their other sessions end. */
import { useState } from 'preact/hooks';
import { api, ApiError, errorMessage } from '../api';
import { Notice, PageTitle } from '../components/Page';
import type { OwnPasswordChangeRequest } from '../types';

const FIELDS = [
  { name: 'currentPassword', label: 'Current password', autoComplete: 'current-password' },
  { name: 'newPassword', label: 'New password', autoComplete: 'new-password' },
  { name: 'repeatPassword', label: 'New password again', autoComplete: 'new-password' },
] as const;
type FieldName = (typeof FIELDS)[number]['name'];

export function ChangePasswordPage() {
  const empty: Record<FieldName, string> = { currentPassword: '', newPassword: '', repeatPassword: '' };
  const [form, setForm] = useState(empty);
  const [result, setResult] = useState<{ ok: boolean; message: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (form.newPassword !== form.repeatPassword) {
      setResult({ ok: false, message: 'The new password and its repetition differ.', field: 'repeatPassword' });
      return;
    }
    setBusy(true);
    setResult(null);
    try {
      await api.post('/me/password', { currentPassword: form.currentPassword, newPassword: form.newPassword } satisfies OwnPasswordChangeRequest);
      setForm(empty);
      setResult({ ok: true, message: 'Password changed. You stay logged in here; your other sessions have ended.' });
    } catch (err) {
      setResult({ ok: false, message: errorMessage(err), field: err instanceof ApiError ? err.fields()[0] : undefined });
    } finally {
      setBusy(false);
    }
  };

  const invalid = (name: string) => (result && !result.ok && result.field === name ? ('true' as const) : undefined);
  return (
    <>
      <PageTitle title="Change password" />
      <form class="panel" onSubmit={(e) => void submit(e)}>
        {FIELDS.map((f) => (
          <div class="field" key={f.name}>
            <label for={`password-${f.name}`}>{f.label}</label>
            <input
              id={`password-${f.name}`}
              name={f.name}
              type="password"
              autoComplete={f.autoComplete}
              required
              value={form[f.name]}
              onInput={(e) => setForm({ ...form, [f.name]: e.currentTarget.value })}
              aria-invalid={invalid(f.name)}
              aria-describedby={invalid(f.name) ? 'password-result' : undefined}
            />
          </div>
        ))}
        {result ? (
          <Notice id="password-result" kind={result.ok ? 'success' : 'error'}>
            {result.message}
          </Notice>
        ) : null}
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </>
  );
}
