import { type MapConfig, PAYLOAD_FORMATS, type PayloadFormat } from '@weft/schema';
import { useEffect, useState } from 'react';
import { errorMessage } from '../../../api/client';
import { api } from '../../../api/endpoints';
import type { MapPreview } from '../../../api/types';

const DEBOUNCE_MS = 300;

// Samples outlive switching between steps, not a reload: they are often large and not the flow's data.
const samples = new Map<string, { text: string; format: PayloadFormat | '' }>();

/** Maps a pasted sample with the rules as they are now (POST /api/v1/map/preview), while the user types. */
export function MapPreviewPanel({
  stepKey,
  config,
  onResult,
  onSample,
}: {
  stepKey: string;
  config: MapConfig;
  onResult(result: MapPreview | null): void;
  /** The sample as typed, for the rules' field suggestions. */
  onSample?(sample: { text: string; format: PayloadFormat | '' }): void;
}) {
  const [sample, setSample] = useState(() => samples.get(stepKey) ?? { text: '', format: '' as const });
  const [result, setResult] = useState<MapPreview | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: onSample is a callback of the parent, not an input
  useEffect(() => {
    samples.set(stepKey, sample);
    onSample?.(sample);
  }, [stepKey, sample]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: onResult is a callback of the parent, not an input
  useEffect(() => {
    if (sample.text.trim() === '') {
      setResult(null);
      onResult(null);
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api
        .previewMap(
          {
            rules: config.rules,
            payload: sample.text,
            format: sample.format || undefined,
            output_format: config.output_format,
            wrap_input: config.wrap_input,
            wrap_output: config.wrap_output,
          },
          abort.signal,
        )
        .then((r) => {
          setResult(r);
          setFailure(null);
          onResult(r);
        })
        .catch((err: unknown) => {
          if ((err as Error).name !== 'AbortError') setFailure(errorMessage(err));
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [sample, config]);

  const output = result ? (typeof result.output === 'string' ? result.output : JSON.stringify(result.output, null, 2)) : '';
  return (
    <section className="map-preview stack" aria-label="Preview">
      <h3>Preview</h3>
      <div className="row">
        <label className="grow">
          Sample payload (JSON, XML, CSV or text)
          <textarea rows={3} className="code" value={sample.text} onChange={(e) => setSample({ ...sample, text: e.target.value })} />
        </label>
        <label>
          Sample format
          <select value={sample.format} onChange={(e) => setSample({ ...sample, format: e.target.value as PayloadFormat | '' })}>
            <option value="">detect</option>
            {PAYLOAD_FORMATS.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </label>
      </div>
      {failure ? (
        <p className="error" role="alert">
          {failure}
        </p>
      ) : null}
      {result === null ? (
        <p className="muted">Paste a sample payload to see what the rules make of it.</p>
      ) : (
        <>
          {result.errors.filter((e) => e.rule === null).length ? (
            <ul className="field-errors" role="alert">
              {result.errors
                .filter((e) => e.rule === null)
                .map((e) => (
                  <li key={e.message}>{e.message}</li>
                ))}
            </ul>
          ) : null}
          <h4>Output</h4>
          <pre className="code output" data-testid="map-preview-output">
            {output}
          </pre>
        </>
      )}
    </section>
  );
}
