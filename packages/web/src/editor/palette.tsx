import { SHAPE_CONFIG_SCHEMAS, type ShapeName } from '@weft/schema';
import { PALETTE_MIME } from './canvas';
import { shapeLabel } from './definition';

/** Every shape the schema knows; click (or Enter) adds one, or drag it onto the canvas. */
export function Palette({ onAdd, disabled, hasTrigger }: { onAdd(shape: ShapeName): void; disabled: boolean; hasTrigger: boolean }) {
  const shapes = (Object.keys(SHAPE_CONFIG_SCHEMAS) as ShapeName[]).filter((s) => s !== 'trigger' || !hasTrigger);
  return (
    <section className="palette" aria-label="Shapes">
      <h2>Add a step</h2>
      <ul>
        {shapes.map((shape) => (
          <li key={shape}>
            <button
              type="button"
              disabled={disabled}
              draggable={!disabled}
              onDragStart={(e) => {
                e.dataTransfer.setData(PALETTE_MIME, shape);
                e.dataTransfer.effectAllowed = 'copy';
              }}
              onClick={() => onAdd(shape)}
              aria-label={`Add ${shapeLabel(shape)} step`}
            >
              + {shapeLabel(shape)}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
