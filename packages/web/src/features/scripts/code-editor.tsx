import { indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';

export interface CodeEditorProps {
  value: string;
  onChange(value: string): void;
  language: 'javascript' | 'typescript';
  /** The accessible name of the editing area. */
  label: string;
  readOnly?: boolean;
  /** A place to move the cursor to (1-based), e.g. a compile problem the user picked; a new object moves it again. */
  goTo?: { line: number; column?: number } | undefined;
}

/**
 * CodeMirror 6 with JavaScript/TypeScript highlighting. Its own module, so the page loads it
 * lazily and the dashboard's first load does not carry it. Tab indents; Escape then Tab leaves.
 */
export default function CodeEditor({ value, onChange, language, label, readOnly, goTo }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the editor is made once per language; value changes flow in below
  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          keymap.of([indentWithTab]),
          javascript({ typescript: language === 'typescript' }),
          EditorState.readOnly.of(Boolean(readOnly)),
          EditorView.editable.of(!readOnly),
          EditorView.contentAttributes.of({ 'aria-label': label, 'aria-multiline': 'true' }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
  }, [language, readOnly, label]);

  // A value from outside (a reload after save) replaces the text only when it differs, keeping the cursor otherwise.
  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    const editor = view.current;
    if (!editor || !goTo) return;
    const lineNo = Math.min(Math.max(goTo.line, 1), editor.state.doc.lines);
    const line = editor.state.doc.line(lineNo);
    const pos = Math.min(line.from + Math.max((goTo.column ?? 1) - 1, 0), line.to);
    editor.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
    editor.focus();
  }, [goTo]);

  return <div ref={host} className="code-editor" data-testid="code-editor" />;
}
