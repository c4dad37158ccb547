import { type KeyboardEvent, useId, useState } from 'react';

const SHOWN = 50;

type Props = {
  label: string;
  value: string;
  suggestions: string[];
  readOnly: boolean;
  placeholder?: string;
  /** Several comma-separated paths (a rule's sources): a suggestion completes the last one. */
  multiple?: boolean;
  onChange(value: string): void;
};

/** The part of the text a suggestion completes: all of it, or its last comma-separated path. */
function current(value: string, multiple: boolean): { head: string; term: string } {
  if (!multiple) return { head: '', term: value.trim() };
  const cut = value.lastIndexOf(',');
  return cut < 0 ? { head: '', term: value.trim() } : { head: `${value.slice(0, cut + 1)} `, term: value.slice(cut + 1).trim() };
}

/**
 * A text input with a list of path suggestions (the ARIA 1.2 combobox pattern): typing filters the
 * list, ArrowDown/ArrowUp move through it, Enter picks, Escape closes; a click picks too. The
 * list that stays hidden when there is nothing to suggest.
 */
export function PathCombobox({ label, value, suggestions, readOnly, placeholder, multiple = false, onChange }: Props) {
  const listId = useId();
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const { head, term } = current(value, multiple);
  const needle = term.toLowerCase();
  const matches = (needle === '' ? suggestions : suggestions.filter((s) => s.toLowerCase().includes(needle) && s !== term)).slice(0, SHOWN);
  const shown = open && !readOnly && matches.length > 0;

  const pick = (path: string) => {
    onChange(head + path);
    setOpen(false);
    setActive(-1);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (readOnly || matches.length === 0) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setOpen(true);
      setActive((a) => (shown ? (a + step + matches.length) % matches.length : step === 1 ? 0 : matches.length - 1));
    } else if (e.key === 'Enter' && shown && active >= 0 && matches[active] !== undefined) {
      e.preventDefault();
      pick(matches[active]);
    } else if (e.key === 'Escape' && shown) {
      e.preventDefault();
      setOpen(false);
      setActive(-1);
    }
  };

  return (
    <div className="path-combobox">
      <input
        role="combobox"
        aria-label={label}
        aria-autocomplete="list"
        aria-expanded={shown}
        aria-controls={listId}
        aria-activedescendant={shown && active >= 0 ? `${listId}-${active}` : undefined}
        value={value}
        readOnly={readOnly}
        placeholder={placeholder}
        autoComplete="off"
        onChange={(e) => {
          onChange(e.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={onKeyDown}
      />
      <div id={listId} role="listbox" aria-label={`Suggestions for ${label.toLowerCase()}`} hidden={!shown} className="suggestions">
        {shown
          ? matches.map((path, i) => (
              <div
                key={path}
                id={`${listId}-${i}`}
                role="option"
                tabIndex={-1}
                aria-selected={i === active}
                className={i === active ? 'active' : undefined}
                // mousedown, not click: it comes before the input's blur would close the list.
                onMouseDown={(e) => {
                  e.preventDefault();
                  pick(path);
                }}
              >
                {path}
              </div>
            ))
          : null}
      </div>
    </div>
  );
}
