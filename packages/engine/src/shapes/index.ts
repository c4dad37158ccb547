import type { Shape } from '../shape.js';
import { connectorShape } from './connector/index.js';
import { manualPayloadShape } from './manual-payload/index.js';
import { mapShape } from './map/index.js';
import { triggerShape } from './trigger/index.js';

/** Every shape's executor by its name (the same name as in the schema, the editor and the docs). */
export function shapeRegistry(): Map<string, Shape<any>> {
  const shapes: Shape<any>[] = [triggerShape, mapShape, connectorShape, manualPayloadShape];
  return new Map(shapes.map((s) => [s.name, s]));
}
