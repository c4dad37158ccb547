import type { RouteConfig } from '@weft/schema';
import { type ConditionSet, compileConditions, type RecordTest } from '../../conditions/index.js';
import { Payload } from '../../payload.js';
import { payloadPosition, structuredValue } from '../../records/index.js';
import type { Shape } from '../../shape.js';
import { runTemplateScope } from '../../templates/index.js';

interface CompiledRoute {
  label: string;
  conditions: ConditionSet;
}

const compiledRoutes = new WeakMap<RouteConfig, CompiledRoute[]>();

function compile(config: RouteConfig): CompiledRoute[] {
  let routes = compiledRoutes.get(config);
  if (routes === undefined) {
    routes = config.routes.map((route, i) => ({
      label: route.label,
      conditions: compileConditions(route.conditions ?? [], route.logic ?? 'and', `routes[${i}].conditions`),
    }));
    compiledRoutes.set(config, routes);
  }
  return routes;
}

/**
 * The `route` shape (spec/flows.md §3): sends each payload down the routes whose conditions hold.
 *
 * - An object payload is tested by its fields and goes down a route whole.
 * - A list payload goes down a route when any record matches, carrying only the matching records.
 *   With `first_matching` each record goes down the first route it matches only, so the routes
 *   split the list between them.
 * - A route without conditions takes everything (with `first_matching`: everything no earlier
 *   route took, which makes a last route without conditions the "otherwise").
 * - What no route takes goes nowhere.
 */
export const routeShape: Shape<RouteConfig> = {
  name: 'route',
  async execute(ctx, input) {
    const routes = compile(ctx.config);
    const first = ctx.config.method === 'first_matching';
    const out: Record<string, Payload[]> = {};
    for (const route of routes) out[route.label] = [];
    const needsData = routes.some((r) => !r.conditions.empty);
    const run = runTemplateScope(ctx.run);

    for (const [index, payload] of input.entries()) {
      if (!needsData) {
        for (const route of first ? routes.slice(0, 1) : routes) out[route.label]?.push(payload);
        continue;
      }
      const value = structuredValue(payload, 'route', payloadPosition(index, input.length));
      const scope = { payload: () => value, meta: payload.meta, flow: ctx.variables, run };
      const tests: RecordTest[] = routes.map((r) => r.conditions.bind(scope));

      if (!Array.isArray(value)) {
        for (const [i, route] of routes.entries()) {
          if (!tests[i]?.(value)) continue;
          out[route.label]?.push(payload);
          if (first) break;
        }
        continue;
      }

      const matched: unknown[][] = routes.map(() => []);
      for (const record of value) {
        for (let i = 0; i < routes.length; i++) {
          if (!tests[i]?.(record)) continue;
          matched[i]?.push(record);
          if (first) break;
        }
      }
      routes.forEach((route, i) => {
        const records = matched[i] as unknown[];
        if (records.length === 0) return;
        // Every record matched: hand on the payload itself, with no copy to write.
        const bucket = out[route.label] as Payload[];
        bucket.push(records.length === value.length ? payload : Payload.fromValue(records, payload.format, payload.meta));
      });
    }
    return { payloads: [], routes: out };
  },
};
