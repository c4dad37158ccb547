import { type FormEvent, useState } from 'react';
import { api } from '../../api/endpoints';
import { ErrorMessage } from '../../components/error-message';
import { Link, navigate } from '../../router';
import { useSession } from './session';

export function RegisterPage() {
  const { logIn } = useSession();
  const [form, setForm] = useState({ company: '', name: '', email: '', password: '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.register(form);
      await logIn(form.email, form.password);
      navigate('/flows');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="auth-page">
      <h1>Register</h1>
      <p className="muted">Creates your company and you as its administrator.</p>
      <form onSubmit={submit} className="stack">
        <label>
          Company
          <input required autoComplete="organization" value={form.company} onChange={set('company')} />
        </label>
        <label>
          Your name
          <input required autoComplete="name" value={form.name} onChange={set('name')} />
        </label>
        <label>
          Email
          <input type="email" required autoComplete="email" value={form.email} onChange={set('email')} />
        </label>
        <label>
          Password (at least 10 characters)
          <input type="password" required minLength={10} autoComplete="new-password" value={form.password} onChange={set('password')} />
        </label>
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Registering…' : 'Register'}
        </button>
      </form>
      <p>
        Already registered? <Link to="/login">Log in</Link>
      </p>
    </main>
  );
}
