import type { FlowDefinition, PayloadFormat, RunStatus } from '@weft/schema';
import { request, requestBlob } from './client';
import type {
  ApiKey,
  AuditEntry,
  ConnectionTest,
  Connector,
  ConnectorBody,
  CreatedApiKey,
  Flow,
  FlowExport,
  FlowVersion,
  FlowVersionWithDefinition,
  Instance,
  InstanceBody,
  List,
  LoginAnswer,
  MapPreview,
  Me,
  PayloadInfo,
  Run,
  RunLog,
  StartAnswer,
  User,
} from './types';

const id = encodeURIComponent;

export interface FlowQuery {
  name?: string;
  enabled?: boolean;
  deployed?: boolean;
  label?: string;
  page?: number;
  per_page?: number;
}

/** One typed function per API call the dashboard makes (spec/api.md). */
export const api = {
  register: (body: { company: string; name: string; email: string; password: string }) =>
    request<{ data: unknown }>('/register', { method: 'POST', body }),
  login: (body: { email: string; password: string }) => request<LoginAnswer>('/login', { method: 'POST', body }),
  logout: () => request<{ message: string }>('/logout', { method: 'POST' }),
  me: () => request<{ data: Me }>('/me').then((r) => r.data),

  listFlows: (query: FlowQuery = {}) =>
    request<List<Flow>>('/flows', {
      query: {
        // Plain `name`: the filter[] form splits on commas, and a name may hold one.
        name: query.name,
        'filter[enabled]': query.enabled,
        'filter[deployed]': query.deployed,
        'filter[label]': query.label,
        page: query.page,
        per_page: query.per_page ?? 100,
      },
    }),
  createFlow: (body: { name: string; description?: string; definition?: FlowDefinition; labels?: string[]; priority?: number }) =>
    request<{ data: Flow }>('/flows', { method: 'POST', body }).then((r) => r.data),
  exportFlow: (flowId: string) => request<FlowExport>(`/flows/${id(flowId)}/export`),
  importFlow: (doc: FlowExport) => request<{ data: Flow }>('/flows/import', { method: 'POST', body: doc }).then((r) => r.data),
  deleteFlow: (flowId: string) => request<void>(`/flows/${id(flowId)}`, { method: 'DELETE' }),
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

  listRuns: (
    query: {
      flow_id?: string;
      status?: RunStatus | '';
      trigger?: string;
      started_after?: string;
      started_before?: string;
      page?: number;
      per_page?: number;
    } = {},
  ) =>
    request<List<Run>>('/flow-runs', {
      query: {
        'filter[flow_id]': query.flow_id,
        'filter[status]': query.status || undefined,
        'filter[trigger]': query.trigger || undefined,
        'filter[started_after]': query.started_after,
        'filter[started_before]': query.started_before,
        page: query.page,
        per_page: query.per_page ?? 50,
      },
    }),
  getRun: (id: string) => request<{ data: Run }>(`/flow-runs/${encodeURIComponent(id)}`).then((r) => r.data),
  /** The runs a run started with run_flow steps (their parent_run_id is this run). */
  runChildren: (runId: string) => request<{ data: Run[] }>(`/flow-runs/${id(runId)}/children`).then((r) => r.data),
  runLogs: (id: string) => request<{ data: RunLog[] }>(`/flow-runs/${encodeURIComponent(id)}/flow-run-logs`).then((r) => r.data),
  retryRun: (id: string) => request<StartAnswer>(`/flow-runs/${encodeURIComponent(id)}/retry`, { method: 'POST' }),
  stopRun: (id: string) => request<{ data: Run }>(`/flow-runs/${encodeURIComponent(id)}/stop`, { method: 'POST' }).then((r) => r.data),
  getPayload: (id: string) => request<{ data: PayloadInfo }>(`/payloads/${encodeURIComponent(id)}`).then((r) => r.data),
  downloadPayload: (id: string) => requestBlob(`/payloads/${encodeURIComponent(id)}/download`),

  listApiKeys: () => request<List<ApiKey>>('/api-keys', { query: { per_page: 100 } }).then((r) => r.data),
  createApiKey: (name: string) => request<{ data: CreatedApiKey }>('/api-keys', { method: 'POST', body: { name } }).then((r) => r.data),
  revokeApiKey: (id: string) =>
    request<{ data: ApiKey }>(`/api-keys/${encodeURIComponent(id)}/revoke`, { method: 'POST' }).then((r) => r.data),

  listUsers: (page = 1) => request<List<User>>('/users', { query: { page, per_page: 100 } }),
  createUser: (body: { name: string; email: string; password: string; role: string }) =>
    request<{ data: User }>('/users', { method: 'POST', body }).then((r) => r.data),

  listAudit: (query: { action?: string; from?: string; to?: string; page?: number }) =>
    request<List<AuditEntry>>('/audit-logs', {
      query: { 'filter[action]': query.action, 'filter[from]': query.from, 'filter[to]': query.to, page: query.page, per_page: 50 },
    }),

  listConnectors: () => request<List<Connector>>('/connectors', { query: { per_page: 100 } }).then((r) => r.data),
  getConnector: (connectorId: string) => request<{ data: Connector }>(`/connectors/${id(connectorId)}`).then((r) => r.data),
  createConnector: (body: ConnectorBody) => request<{ data: Connector }>('/connectors', { method: 'POST', body }).then((r) => r.data),
  updateConnector: (connectorId: string, body: Partial<ConnectorBody>) =>
    request<{ data: Connector }>(`/connectors/${id(connectorId)}`, { method: 'PATCH', body }).then((r) => r.data),
  deleteConnector: (connectorId: string) => request<void>(`/connectors/${id(connectorId)}`, { method: 'DELETE' }),

  listInstances: (connectorId?: string) =>
    request<List<Instance>>('/instances', { query: { 'filter[connector_id]': connectorId, per_page: 100 } }).then((r) => r.data),
  createInstance: (body: InstanceBody) => request<{ data: Instance }>('/instances', { method: 'POST', body }).then((r) => r.data),
  updateInstance: (instanceId: string, body: InstanceBody) =>
    request<{ data: Instance }>(`/instances/${id(instanceId)}`, { method: 'PATCH', body }).then((r) => r.data),
  deleteInstance: (instanceId: string) => request<void>(`/instances/${id(instanceId)}`, { method: 'DELETE' }),
  importOpenApi: (body: { document: string; name?: string; base_url?: string }) =>
    request<{ data: Connector; meta: { warnings: string[] } }>('/connectors/import/openapi', { method: 'POST', body }),
  testInstance: (instanceId: string, endpoint?: string) =>
    request<{ data: ConnectionTest }>(`/instances/${id(instanceId)}/test`, {
      method: 'POST',
      body: endpoint === undefined ? {} : { endpoint },
    }).then((r) => r.data),
  authorizeUrl: (instanceId: string) =>
    request<{ data: { authorize_url: string } }>(`/instances/${id(instanceId)}/oauth/authorize`, { query: { redirect: 'false' } }).then(
      (r) => r.data.authorize_url,
    ),

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
