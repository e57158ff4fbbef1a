import { useCallback, useState } from 'react';
import { storeApiKey, storedApiKey } from '../auth/session';
import { SignIn } from '../auth/sign-in';
import { Console } from './console';

/** Sign-in until there is a key; the console after. A refused key anywhere comes back here with a notice. */
export function App() {
  const [apiKey, setApiKey] = useState(storedApiKey);
  const [notice, setNotice] = useState<string | null>(null);
  const signOut = useCallback((message: string | null) => {
    storeApiKey(null);
    setApiKey(null);
    setNotice(message);
  }, []);

  if (!apiKey) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(key) => {
          storeApiKey(key);
          setNotice(null);
          setApiKey(key);
        }}
      />
    );
  }
  return <Console key={apiKey} apiKey={apiKey} onSignOut={signOut} />;
}
