import { type FormEvent, lazy, Suspense, useEffect, useState } from 'react';
import { ApiError, request } from '../../api/client';
import { CopyableId } from '../../components/copy-button';
import { ErrorMessage } from '../../components/error-message';
import { formatTime } from '../../components/format';
import { RenameForm } from '../../components/rename-form';
import { StatusBadge } from '../../components/status-badge';
import { useAction } from '../../components/use-action';
import { useAsync } from '../../components/use-async';
import { useCanWrite } from '../../components/use-can-write';
import { Link, navigate } from '../../router';

interface Script {
  id: string;
  name: string;
  language: 'javascript' | 'typescript';
  description: string | null;
  draft_version: number;
  deployed_version: number | null;
  deployed_at: string | null;
  code?: string;
}
interface ScriptVersion {
  number: number;
  status: string;
  created_at: string;
  deployed_at: string | null;
}
interface TestResult {
  ok: boolean;
  output?: unknown;
  error?: { code: string; message: string };
  logs: unknown[];
  duration_ms: number;
}

const enc = encodeURIComponent;

// CodeMirror is a chunk of its own, fetched when a script page opens.
const CodeEditor = lazy(() => import('./code-editor'));

interface Problem {
  text: string;
  line?: number;
  column?: number;
}

/** The compile problems of a 422 from deploy or test ("line 3, column 5: ..." under `code`), with their places. */
export function compileProblems(error: unknown): Problem[] {
  if (!(error instanceof ApiError) || error.status !== 422) return [];
  return (error.fieldErrors.code ?? []).map((text) => {
    const m = /^line (\d+)(?:, column (\d+))?/.exec(text);
    return m ? { text, line: Number(m[1]), ...(m[2] ? { column: Number(m[2]) } : {}) } : { text };
  });
}

/** A script: edit the draft's code, save it, test it on a sample payload, deploy it; its versions. */
export function ScriptPage({ scriptId }: { scriptId: string }) {
  const script = useAsync(() => request<{ data: Script }>(`/scripts/${enc(scriptId)}`).then((r) => r.data), [scriptId]);
  const versions = useAsync(() => request<{ data: ScriptVersion[] }>(`/scripts/${enc(scriptId)}/versions`).then((r) => r.data), [scriptId]);
  const [code, setCode] = useState<string | null>(null);
  const [goTo, setGoTo] = useState<{ line: number; column?: number }>();
  const canWrite = useCanWrite();
  const [sample, setSample] = useState('{"id": 1}');
  const [variables, setVariables] = useState('');
  const [testVersion, setTestVersion] = useState('');
  const [shown, setShown] = useState<{ number: number; code: string } | null>(null);
  const [result, setResult] = useState<TestResult | null>(null);
  const { act, busy, error, notice, setNotice } = useAction();

  // Leaving with unsaved code asks first; the draft on the server is what a deploy takes.
  const dirty = code !== null && script.data !== undefined && code !== script.data.code;
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  if (!script.data)
    return script.error ? <ErrorMessage error={script.error} title="The script could not be loaded" /> : <p className="muted">Loading…</p>;
  const s = script.data;
  const text = code ?? s.code ?? '';
  const problems = compileProblems(error);
  const deployedVersions = (versions.data ?? []).filter((v) => v.status !== 'draft');
  const showVersion = (number: number) =>
    act(async () => {
      const res = await request<{ data: { code: string } }>(`/scripts/${enc(s.id)}/versions/${number}`);
      setShown({ number, code: res.data.code });
      return '';
    });

  const save = async () => {
    if (dirty) await request(`/scripts/${enc(s.id)}`, { method: 'PATCH', body: { code: text } });
  };
  const onSave = () =>
    act(async () => {
      await save();
      script.reload();
      return `Saved the draft (version ${s.draft_version}).`;
    });
  const onLanguage = (language: string) =>
    act(async () => {
      await request(`/scripts/${enc(s.id)}`, { method: 'PATCH', body: { language } });
      script.reload();
      return `The draft is now ${language === 'typescript' ? 'TypeScript' : 'JavaScript'}; deploy checks it as such.`;
    });
  const onDeploy = () =>
    act(async () => {
      await save();
      const deployed = await request<{ data: ScriptVersion }>(`/scripts/${enc(s.id)}/deploy`, { method: 'POST' });
      script.reload();
      versions.reload();
      return `Deployed version ${deployed.data.number}.`;
    });
  const onTest = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      let payload: unknown;
      try {
        payload = sample.trim() ? JSON.parse(sample) : null;
      } catch {
        throw new Error('The sample payload is not JSON.');
      }
      let vars: unknown;
      try {
        vars = variables.trim() ? JSON.parse(variables) : undefined;
      } catch {
        throw new Error('The variables are not JSON: write an object of strings, e.g. {"region": "uk"}.');
      }
      if (testVersion === '') await save();
      const body = {
        payload,
        ...(vars === undefined ? {} : { variables: vars }),
        ...(testVersion ? { version: Number(testVersion) } : {}),
      };
      const res = await request<{ data: TestResult }>(`/scripts/${enc(s.id)}/test`, { method: 'POST', body });
      setResult(res.data);
      return res.data.ok ? 'The test run succeeded.' : 'The test run failed.';
    });
  };
  const remove = () =>
    act(async () => {
      if (!window.confirm(`Delete the script "${s.name}" and all its versions?`)) return '';
      await request(`/scripts/${enc(s.id)}`, { method: 'DELETE' });
      navigate('/scripts');
      return '';
    });

  return (
    <main>
      <p className="flow-id">
        <span>Script id</span> <CopyableId id={s.id} label="script id" />
      </p>
      <div className="page-head">
        <h1>{s.name}</h1>
        <div className="row">
          <Link to="/scripts">All scripts</Link>
          {canWrite ? (
            <button type="button" className="danger" onClick={() => void remove()} disabled={busy}>
              Delete script
            </button>
          ) : null}
        </div>
      </div>
      <p className="muted">
        {s.description ? `${s.description} · ` : ''}
        {s.language === 'typescript' ? 'TypeScript' : 'JavaScript'} · draft version {s.draft_version} ·{' '}
        {s.deployed_version ? `deployed version ${s.deployed_version} (${formatTime(s.deployed_at)})` : 'never deployed'}
      </p>
      {canWrite ? (
        <div className="toolbar">
          <button type="button" className="primary" onClick={() => void onSave()} disabled={busy || !dirty}>
            {dirty ? 'Save draft' : 'Saved'}
          </button>
          <button type="button" onClick={() => void onDeploy()} disabled={busy}>
            Deploy
          </button>
          <span role="status" className="notice">
            {notice}
          </span>
        </div>
      ) : (
        <p className="muted">You can read this script; a manager or administrator can change, test and deploy it.</p>
      )}
      {canWrite ? (
        <div className="row wrap">
          <RenameForm
            key={`${s.name}\u0000${s.description ?? ''}`}
            api={`/scripts/${enc(s.id)}`}
            noun="script"
            name={s.name}
            description={s.description}
            onSaved={() => {
              setNotice('Saved the name and description.');
              script.reload();
            }}
          />
          <label>
            Language
            <select value={s.language} onChange={(e) => void onLanguage(e.target.value)} disabled={busy}>
              <option value="javascript">JavaScript</option>
              <option value="typescript">TypeScript</option>
            </select>
          </label>
        </div>
      ) : null}
      <ErrorMessage error={error} />
      {problems.length > 0 ? (
        <ul className="plain" aria-label="Compile problems" data-testid="compile-problems">
          {problems.map((p) => (
            <li key={p.text}>
              {p.line ? (
                <button
                  type="button"
                  className="link"
                  onClick={() => setGoTo({ line: p.line!, ...(p.column ? { column: p.column } : {}) })}
                >
                  Go to {p.text}
                </button>
              ) : (
                p.text
              )}
            </li>
          ))}
        </ul>
      ) : null}
      <h2 id="script-code-label">Code of the draft</h2>
      <p className="muted">Tab indents; press Escape first to move on with Tab.</p>
      <Suspense fallback={<p className="muted">Loading the editor…</p>}>
        <CodeEditor
          value={text}
          onChange={setCode}
          language={s.language}
          label={`Code of the draft of ${s.name}`}
          readOnly={!canWrite}
          goTo={goTo}
        />
      </Suspense>
      {canWrite ? (
        <form onSubmit={onTest} className="card stack">
          <h2>Test on a sample</h2>
          <label>
            Sample payload (JSON)
            <textarea className="code" rows={4} value={sample} onChange={(e) => setSample(e.target.value)} />
          </label>
          <label>
            Variables (optional JSON object of strings)
            <textarea
              className="code"
              rows={2}
              value={variables}
              onChange={(e) => setVariables(e.target.value)}
              placeholder='{"region": "uk"}'
            />
          </label>
          <label>
            Code to run
            <select value={testVersion} onChange={(e) => setTestVersion(e.target.value)}>
              <option value="">the draft (saved first)</option>
              {deployedVersions.map((v) => (
                <option key={v.number} value={String(v.number)}>
                  version {v.number} ({v.status})
                </option>
              ))}
            </select>
          </label>
          <div>
            <button type="submit" disabled={busy}>
              Run the test
            </button>
          </div>
          {result ? (
            <div data-testid="script-test-result">
              <p>
                <StatusBadge status={result.ok ? 'success' : 'failure'} /> in {result.duration_ms} ms
              </p>
              {result.error ? (
                <p className="error">
                  {result.error.code}: {result.error.message}
                </p>
              ) : null}
              {result.ok ? <pre className="code output">{JSON.stringify(result.output, null, 2)}</pre> : null}
              {result.logs.length > 0 ? (
                <>
                  <h3>Logged</h3>
                  <pre className="code output">{result.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}</pre>
                </>
              ) : null}
            </div>
          ) : null}
        </form>
      ) : null}
      <h2>Versions</h2>
      <ul className="plain">
        {(versions.data ?? []).map((v) => (
          <li key={v.number}>
            Version {v.number} <StatusBadge status={v.status} /> <span className="muted">{formatTime(v.deployed_at ?? v.created_at)}</span>{' '}
            {v.status !== 'draft' ? (
              <button type="button" className="link" onClick={() => void showVersion(v.number)}>
                Show the code of version {v.number}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {shown ? (
        <section className="card" aria-label={`Code of version ${shown.number}`}>
          <h3>Code of version {shown.number}</h3>
          <pre className="code output" data-testid="version-code">
            {shown.code}
          </pre>
          {canWrite ? (
            <button
              type="button"
              onClick={() => {
                setCode(shown.code);
                setNotice(`The draft now has the code of version ${shown.number}; save or deploy to keep it.`);
              }}
            >
              Put this code in the draft
            </button>
          ) : null}
        </section>
      ) : null}
    </main>
  );
}

/** A new script: name and language; the server gives it a starting main(). */
export function NewScriptForm() {
  const canWrite = useCanWrite();
  const [name, setName] = useState('');
  const [language, setLanguage] = useState('javascript');
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const created = await request<{ data: Script }>('/scripts', { method: 'POST', body: { name: name.trim(), language } });
      navigate(`/scripts/${enc(created.data.id)}`);
    } catch (err) {
      setError(err);
    }
  };
  if (!canWrite) return null;
  return (
    <form onSubmit={submit} className="inline-form">
      <label>
        New script name
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Language
        <select value={language} onChange={(e) => setLanguage(e.target.value)}>
          <option value="javascript">JavaScript</option>
          <option value="typescript">TypeScript</option>
        </select>
      </label>
      <button type="submit" className="primary">
        Create script
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}
