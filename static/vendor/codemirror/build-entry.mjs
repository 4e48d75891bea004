// The editor bundle's entry (built once into codemirror.min.js, see BUILD.md): CodeMirror 6 with
// Python highlighting, bracket matching, auto-indentation and Tab to indent (Escape, then Tab,
// leaves the editor, as CodeMirror documents for keyboard users).
import { basicSetup, EditorView } from "codemirror";
import { indentWithTab } from "@codemirror/commands";
import { keymap } from "@codemirror/view";
import { indentUnit } from "@codemirror/language";
import { python } from "@codemirror/lang-python";

// Replaces a <textarea> with an editor that writes its text back into the textarea, so the
// form posts it as before (and the page works without JavaScript: the textarea stays).
function fromTextarea(textarea, label) {
  const view = new EditorView({
    doc: textarea.value,
    extensions: [
      basicSetup,
      keymap.of([indentWithTab]),
      indentUnit.of("    "),
      python(),
      EditorView.contentAttributes.of({ "aria-label": label }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) textarea.value = update.state.doc.toString();
      }),
    ],
  });
  textarea.hidden = true;
  textarea.insertAdjacentElement("afterend", view.dom);
  return view;
}

window.LearnpathEditor = { fromTextarea };
