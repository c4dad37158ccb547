import { useEffect, useState } from 'react';
import { errorMessage } from '../../api/client';
import { api } from '../../api/endpoints';
import type { PayloadInfo } from '../../api/types';
import { prettyPayload } from './pretty';

const MAX_SHOWN_BYTES = 512 * 1024;

/** One payload: format, size, meta, the bytes pretty-printed, and a download (fetched, since links send no token). */
export function PayloadView({ id, title }: { id: string; title: string }) {
  const [info, setInfo] = useState<PayloadInfo | null>(null);
  const [text, setText] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const meta = await api.getPayload(id);
        if (!live) return;
        setInfo(meta);
        if (meta.bytes > MAX_SHOWN_BYTES) return;
        const body = await (await api.downloadPayload(id)).text();
        if (live) setText(prettyPayload(body, meta.format));
      } catch (err) {
        if (live) setProblem(errorMessage(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [id]);

  const download = async () => {
    try {
      const blob = await api.downloadPayload(id);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${id}.${info?.format === 'text' ? 'txt' : (info?.format ?? 'bin')}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      setProblem(errorMessage(err));
    }
  };

  return (
    <section className="payload" aria-label={title} data-testid={`payload-${id}`}>
      <div className="payload-head">
        <h4>{title}</h4>
        {info ? (
          <span className="muted">
            {info.format} · {info.bytes} bytes
            {Object.keys(info.meta).length
              ? ` · meta ${Object.entries(info.meta)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(', ')}`
              : ''}
          </span>
        ) : null}
        <button type="button" onClick={() => void download()} aria-label={`Download ${title}`}>
          Download
        </button>
      </div>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {info && info.bytes > MAX_SHOWN_BYTES ? <p className="muted">Too large to show here; download it instead.</p> : null}
      {text !== null ? <pre className="code output">{text || '(empty)'}</pre> : null}
    </section>
  );
}
