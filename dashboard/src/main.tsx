// The dashboard: a runs list and a page per run, routed by path (/ and /runs/<id>), which the server
// answers with this same page.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  forgetToken,
  saveToken,
  storedToken,
  takeTokenFromFragment,
  whenUnauthorized,
} from './api.js';
import { Link } from './router.js';
import { RunPage } from './run-page.js';
import { RunsPage } from './runs-page.js';
import './styles.css';

function TokenForm(props: { onSaved(): void }) {
  const [value, setValue] = useState('');
  return (
    <div class="overlay">
      <form
        class="token-form"
        onSubmit={(event) => {
          event.preventDefault();
          saveToken(value);
          props.onSaved();
        }}
      >
        <h2>Server token</h2>
        <p>
          This server needs its bearer token (<code>server.token</code> or{' '}
          <code>SWITCHYARD_TOKEN</code>). It is kept in this browser only.
        </p>
        <input
          type="password"
          autoFocus
          placeholder="token"
          value={value}
          onInput={(event) => setValue((event.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={value.trim() === ''}>
          Save
        </button>
      </form>
    </div>
  );
}

function App() {
  const [path, setPath] = useState(location.pathname);
  const [needToken, setNeedToken] = useState(false);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    whenUnauthorized(() => setNeedToken(true));
    return () => removeEventListener('popstate', onPop);
  }, []);
  const run = /^\/runs\/([^/]+)\/?$/.exec(path);
  return (
    <>
      <header class="top">
        <Link href="/" class="brand">
          Switchyard
        </Link>
        <nav>
          <Link href="/">Runs</Link>
          <a href="/openapi.json">API</a>
          {storedToken() !== null && (
            <button
              class="link"
              onClick={() => {
                forgetToken();
                setNeedToken(true);
              }}
            >
              Forget token
            </button>
          )}
        </nav>
      </header>
      <main key={generation}>
        {run?.[1] ? <RunPage runId={decodeURIComponent(run[1])} /> : <RunsPage />}
      </main>
      {needToken && (
        <TokenForm
          onSaved={() => {
            setNeedToken(false);
            setGeneration((n) => n + 1);
          }}
        />
      )}
    </>
  );
}

takeTokenFromFragment();
render(<App />, document.getElementById('app') as HTMLElement);
