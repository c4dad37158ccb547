import { type MapConfig, PAYLOAD_FORMATS, type PayloadFormat } from '@weft/schema';
import { useEffect, useState } from 'react';
import { errorMessage } from '../../../api/client';
import { api } from '../../../api/endpoints';
import type { MapPreview } from '../../../api/types';

const DEBOUNCE_MS = 300;

/** A pasted sample payload and the format it is read as ('' to detect it). */
export interface Sample {
  text: string;
  format: PayloadFormat | '';
}

// Samples outlive switching between steps, not a reload: they are often large and not the flow's data.
const samples = new Map<string, Sample>();

/** The sample of a map step, kept while the page lives: the rules' suggestions and the preview both read it. */
export function useSample(stepKey: string): [Sample, (sample: Sample) => void] {
  const [sample, setSample] = useState<Sample>(() => samples.get(stepKey) ?? { text: '', format: '' });
  const set = (next: Sample) => {
    samples.set(stepKey, next);
    setSample(next);
  };
  return [sample, set];
}

/** Maps the sample with the rules as they are now (POST /api/v1/map/preview), while the user types. */
export function MapPreviewPanel({
  config,
  sample,
  onSample,
  onResult,
}: {
  config: MapConfig;
  sample: Sample;
  onSample(sample: Sample): void;
  onResult(result: MapPreview | null): void;
}) {
  const [result, setResult] = useState<MapPreview | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

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
          <textarea rows={3} className="code" value={sample.text} onChange={(e) => onSample({ ...sample, text: e.target.value })} />
        </label>
        <label>
          Sample format
          <select value={sample.format} onChange={(e) => onSample({ ...sample, format: e.target.value as PayloadFormat | '' })}>
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
