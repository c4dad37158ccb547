import type { Shape } from '../shape.js';
import { assertShape } from './assert/index.js';
import { branchShape } from './branch/index.js';
import { cacheAddShape } from './cache-add/index.js';
import { cacheLoadShape } from './cache-load/index.js';
import { callbackShape } from './callback/index.js';
import { connectorShape } from './connector/index.js';
import { dedupeShape } from './dedupe/index.js';
import { filterShape } from './filter/index.js';
import { flowControlShape } from './flow-control/index.js';
import { manualPayloadShape } from './manual-payload/index.js';
import { mapShape } from './map/index.js';
import { notifyShape } from './notify/index.js';
import { routeShape } from './route/index.js';
import { runFlowShape } from './run-flow/index.js';
import { scriptShape } from './script/index.js';
import { setVariablesShape } from './set-variables/index.js';
import { splitShape } from './split/index.js';
import { trackDataShape } from './track-data/index.js';
import { triggerShape } from './trigger/index.js';
import { tryCatchShape } from './try-catch/index.js';

/** Every shape's executor by its name (the same name as in the schema, the editor and the docs). */
export function shapeRegistry(): Map<string, Shape<any>> {
  const shapes: Shape<any>[] = [
    triggerShape,
    mapShape,
    connectorShape,
    manualPayloadShape,
    filterShape,
    routeShape,
    branchShape,
    flowControlShape,
    splitShape,
    setVariablesShape,
    assertShape,
    notifyShape,
    tryCatchShape,
    scriptShape,
    runFlowShape,
    callbackShape,
    cacheAddShape,
    cacheLoadShape,
    dedupeShape,
    trackDataShape,
  ];
  return new Map(shapes.map((s) => [s.name, s]));
}
