import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { getToken, onForbidden, onUnauthorized, setToken } from '../../api/client';
import { api } from '../../api/endpoints';
import type { Me } from '../../api/types';
import { navigate } from '../../router';

interface Session {
  me: Me | null;
  /** True until the stored token has been checked. */
  loading: boolean;
  logIn(email: string, password: string): Promise<void>;
  logOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(getToken() !== null);

  useEffect(() => {
    if (!getToken()) return;
    api
      .me()
      .then(setMe)
      .catch(() => setToken(null))
      .finally(() => setLoading(false));
  }, []);

  useEffect(
    () =>
      onUnauthorized(() => {
        setToken(null);
        setMe(null);
        navigate('/login', { replace: true });
      }),
    [],
  );

  // A refusal may mean an administrator lowered this user's role: the fresh /me hides the controls it no
  // longer allows. A failed refresh keeps what the page knew (a 401 logs out through onUnauthorized).
  // Refusals that come together (or a page polling what it may not read) share the one /me in flight.
  useEffect(() => {
    let asking = false;
    return onForbidden(() => {
      if (asking) return;
      asking = true;
      api
        .me()
        .then(setMe)
        .catch(() => undefined)
        .finally(() => {
          asking = false;
        });
    });
  }, []);

  const logIn = useCallback(async (email: string, password: string) => {
    const { token } = await api.login({ email, password });
    setToken(token);
    setMe(await api.me());
  }, []);

  const logOut = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // The token may already be gone; logging out locally is what matters.
    }
    setToken(null);
    setMe(null);
    navigate('/login');
  }, []);

  return <SessionContext.Provider value={{ me, loading, logIn, logOut }}>{children}</SessionContext.Provider>;
}
