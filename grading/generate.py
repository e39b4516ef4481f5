"""Generate the learner's exercise notebooks from the solved ones: ``python -m grading.generate``.

``exercises/solutions/NN_topic.ipynb`` is the source of truth; this writes ``exercises/NN_topic.ipynb``, which is
also a page of the book. In the learner's notebook:

- every solution is replaced by ``# YOUR CODE HERE`` / ``raise NotImplementedError()``
  (:func:`grading.notebooks.learner_notebook`);
- no code cell carries a stored output: a notebook nobody has run yet must not look as if it had. What a check cell
  or an example cell prints when the answer is right is taken from the solved notebook's stored output and shown in
  a markdown cell under it, labelled "Expected output" (a ``text`` block);
- those cells carry the nbval tag ``nbval-ignore-output`` instead of ``nbval-check-output``: with no stored output
  there is nothing to compare, and a check cell fails by raising. The solved notebooks keep their outputs, and nbval
  compares them there.

With ``--check`` it writes nothing and exits 1 when a learner notebook is out of date (``make test`` has a test that
does the same). With ``--execute`` it first runs each solved notebook top to bottom (nbclient, in this Python) and
stores it executed, so that the expected outputs are what the checks print now.
"""

import argparse
import sys
from pathlib import Path

import nbformat

from .notebooks import exercises_folder, is_answer, learner_notebook, notebook_text, solution_paths

#: The label of the markdown cell that shows what the code cell above it prints when the answer is right.
EXPECTED_LABEL = "Expected output"
#: Suffix of the id of that markdown cell (the code cell's id + this), so ids stay stable across generations.
EXPECTED_ID_SUFFIX = "-expected"
CHECK_OUTPUT_TAG, IGNORE_OUTPUT_TAG = "nbval-check-output", "nbval-ignore-output"


def printed_text(cell):
    """What a stored-executed code cell printed, as one string; ValueError for outputs a text block cannot show."""
    parts = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream" and output.get("name") == "stdout":
            parts.append(output.get("text", ""))
        elif kind == "execute_result" and set(output.get("data", {})) == {"text/plain"}:
            parts.append(output["data"]["text/plain"] + "\n")
        else:
            raise ValueError(f"cell {cell.get('id')!r}: a {kind} output ({', '.join(output.get('data', {}))}) "
                             "cannot be shown as expected text; print plain text in the solved notebook")
    return "".join(parts)


def expected_output_cell(cell):
    """The markdown cell that shows, as expected output, what the solved ``cell`` printed."""
    text = printed_text(cell).rstrip("\n")
    if not text:
        raise ValueError(f"cell {cell.get('id')!r} is stored without output: execute the solved notebook")
    fence = "````" if "```" in text else "```"
    source = (f"**{EXPECTED_LABEL}** of the cell above, once your answer is right:\n\n"
              f"{fence}text\n{text}\n{fence}")
    markdown = nbformat.v4.new_markdown_cell(source)
    markdown.id = f"{cell.get('id')}{EXPECTED_ID_SUFFIX}"
    return markdown


def without_outputs(cell):
    """Empty a learner's code cell's outputs; one that printed something is tagged to be run, not compared."""
    cell.outputs = []
    cell.execution_count = None
    tags = [tag for tag in cell.metadata.get("tags", []) if tag != CHECK_OUTPUT_TAG]
    tags.append(IGNORE_OUTPUT_TAG)
    cell.metadata["tags"] = tags
    cell.metadata.pop("execution", None)


def learner_page(solved):
    """The learner's notebook made from a solved one: stubs for the answers, expected outputs instead of outputs."""
    notebook = learner_notebook(solved)
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)  # timestamps of the solved notebook's run
        if is_answer(cell):
            continue
        if cell.get("outputs"):
            expected = expected_output_cell(cell)
            without_outputs(cell)
            cells.append(expected)
        else:
            cell.execution_count = None
    notebook.cells = cells
    return notebook


def generated_text(solution_path):
    """The learner notebook's text generated from ``solution_path``."""
    return notebook_text(learner_page(nbformat.read(solution_path, as_version=4)))


def execute(path, timeout=300):
    """Run the solved notebook at ``path`` top to bottom in a fresh kernel and store it executed."""
    try:
        from nbclient import NotebookClient
    except ImportError:
        raise SystemExit("--execute needs nbclient: .venv/bin/pip install -e \".[test]\"") from None
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    nbformat.write(notebook, path)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report out-of-date notebooks (exit 1 if any)")
    parser.add_argument("--solutions", type=Path, default=None, help="folder of solved notebooks "
                        "(default: exercises/solutions)")
    parser.add_argument("--out", type=Path, default=None, help="folder to write to (default: exercises)")
    parser.add_argument("--execute", action="store_true", help="first run the solved notebooks and store them "
                        "executed")
    args = parser.parse_args(argv)
    if args.execute and args.check:
        parser.error("--execute writes the solved notebooks; it cannot go with --check")
    out = args.out or exercises_folder()
    stale = []
    paths = solution_paths(args.solutions)
    if not paths:
        print("no solved notebooks (NN_*.ipynb) found", file=sys.stderr)
        return 2
    for path in paths:
        if args.execute:
            execute(path)
            print(f"executed {path}")
        try:
            text = generated_text(path)
        except ValueError as error:
            print(f"{path}: {error}", file=sys.stderr)
            return 2
        target = out / path.name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(target)
        if not args.check:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    if args.check and stale:
        print("out of date (run `make exercises`): " + ", ".join(str(path) for path in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
