import type { Flow, FlowVersion } from '../../store/types.js';

export function flowJson(flow: Flow) {
  return {
    id: flow.id,
    name: flow.name,
    description: flow.description,
    enabled: flow.enabled,
    priority: flow.priority,
    labels: flow.labels,
    draft_version_id: flow.draftVersionId,
    deployed_version_id: flow.deployedVersionId,
    versions_count: flow.versionsCount,
    latest_run_status: flow.latestRunStatus,
    created_at: flow.createdAt,
    updated_at: flow.updatedAt,
  };
}

export function versionJson(version: FlowVersion, withDefinition: boolean) {
  return {
    id: version.id,
    flow_id: version.flowId,
    number: version.number,
    status: version.status,
    created_at: version.createdAt,
    updated_at: version.updatedAt,
    deployed_at: version.deployedAt,
    ...(withDefinition ? { definition: version.definition } : {}),
  };
}
