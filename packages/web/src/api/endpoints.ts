import type { FlowDefinition, PayloadFormat, RunStatus } from '@weft/schema';
import { request, requestBlob } from './client';
import type {
  ApiKey,
  CreatedApiKey,
  Flow,
  FlowVersion,
  FlowVersionWithDefinition,
  List,
  LoginAnswer,
  MapPreview,
  Me,
  PayloadInfo,
  Run,
  RunLog,
  StartAnswer,
} from './types';

/** One typed function per API call the dashboard makes (spec/api.md). */
export const api = {
  register: (body: { company: string; name: string; email: string; password: string }) =>
    request<{ data: unknown }>('/register', { method: 'POST', body }),
  login: (body: { email: string; password: string }) => request<LoginAnswer>('/login', { method: 'POST', body }),
  logout: () => request<{ message: string }>('/logout', { method: 'POST' }),
  me: () => request<{ data: Me }>('/me').then((r) => r.data),

  listFlows: (query: { name?: string; page?: number; per_page?: number } = {}) =>
    request<List<Flow>>('/flows', { query: { per_page: 100, ...query } }),
  createFlow: (body: { name: string; description?: string }) =>
    request<{ data: Flow }>('/flows', { method: 'POST', body }).then((r) => r.data),
  getFlow: (id: string) => request<{ data: Flow }>(`/flows/${encodeURIComponent(id)}`).then((r) => r.data),
  patchFlow: (id: string, body: { name?: string; enabled?: boolean; labels?: string[] }) =>
    request<{ data: Flow }>(`/flows/${encodeURIComponent(id)}`, { method: 'PATCH', body }).then((r) => r.data),
  listVersions: (flowId: string) => request<{ data: FlowVersion[] }>(`/flows/${encodeURIComponent(flowId)}/versions`).then((r) => r.data),

  getVersion: (id: string) => request<{ data: FlowVersionWithDefinition }>(`/flow-versions/${encodeURIComponent(id)}`).then((r) => r.data),
  saveVersion: (id: string, definition: FlowDefinition) =>
    request<{ data: FlowVersionWithDefinition }>(`/flow-versions/${encodeURIComponent(id)}`, { method: 'PUT', body: { definition } }).then(
      (r) => r.data,
    ),
  deployVersion: (id: string, enable: boolean) =>
    request<{ data: FlowVersionWithDefinition }>(`/flow-versions/${encodeURIComponent(id)}/deploy`, {
      method: 'POST',
      body: enable ? { enable: true } : {},
    }).then((r) => r.data),
  copyToDraft: (id: string) =>
    request<{ data: FlowVersionWithDefinition }>(`/flow-versions/${encodeURIComponent(id)}/copy-to-draft`, { method: 'POST' }).then(
      (r) => r.data,
    ),
  runManual: (flowId: string, versionId: string, payload: string) =>
    request<StartAnswer>(`/flows/${encodeURIComponent(flowId)}/manual/${encodeURIComponent(versionId)}`, {
      method: 'POST',
      body: { payload },
    }),

  listRuns: (query: { flow_id?: string; status?: RunStatus | ''; page?: number; per_page?: number } = {}) =>
    request<List<Run>>('/flow-runs', {
      query: {
        'filter[flow_id]': query.flow_id,
        'filter[status]': query.status || undefined,
        page: query.page,
        per_page: query.per_page ?? 50,
      },
    }),
  getRun: (id: string) => request<{ data: Run }>(`/flow-runs/${encodeURIComponent(id)}`).then((r) => r.data),
  runLogs: (id: string) => request<{ data: RunLog[] }>(`/flow-runs/${encodeURIComponent(id)}/flow-run-logs`).then((r) => r.data),
  retryRun: (id: string) => request<StartAnswer>(`/flow-runs/${encodeURIComponent(id)}/retry`, { method: 'POST' }),
  stopRun: (id: string) => request<{ data: Run }>(`/flow-runs/${encodeURIComponent(id)}/stop`, { method: 'POST' }).then((r) => r.data),
  getPayload: (id: string) => request<{ data: PayloadInfo }>(`/payloads/${encodeURIComponent(id)}`).then((r) => r.data),
  downloadPayload: (id: string) => requestBlob(`/payloads/${encodeURIComponent(id)}/download`),

  listApiKeys: () => request<List<ApiKey>>('/api-keys', { query: { per_page: 100 } }).then((r) => r.data),
  createApiKey: (name: string) => request<{ data: CreatedApiKey }>('/api-keys', { method: 'POST', body: { name } }).then((r) => r.data),
  revokeApiKey: (id: string) =>
    request<{ data: ApiKey }>(`/api-keys/${encodeURIComponent(id)}/revoke`, { method: 'POST' }).then((r) => r.data),

  previewMap: (
    body: {
      rules: unknown[];
      payload: unknown;
      format?: PayloadFormat;
      output_format?: PayloadFormat;
      wrap_input?: string;
      wrap_output?: string;
    },
    signal?: AbortSignal,
  ) => request<{ data: MapPreview }>('/map/preview', { method: 'POST', body, signal }).then((r) => r.data),
};
