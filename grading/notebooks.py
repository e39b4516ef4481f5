"""Exercise notebooks: where they live, which cells are answers and checks, and how a learner's notebook is made.

Conventions (the solved notebooks in ``exercises/solutions/`` follow them; the learner's are generated):

- the notebook's metadata holds ``{"lstm_exercises": {"set": "01_cell_forward"}}``;
- an answer is a code cell tagged ``answer`` whose metadata holds ``{"lstm_exercises": {"exercise": name,
  "points": n}}``; the solution sits between a ``### BEGIN SOLUTION`` line and a ``### END SOLUTION`` line;
- the code cells tagged ``check`` that follow an answer (up to the next answer) grade it. A check cell that prints
  values for the learner to compare by eye is tagged ``nbval-check-output``.
"""

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
METADATA_KEY = "lstm_exercises"


def repository_root():
    """The folder that holds ``lstm/`` and ``exercises/`` (the package is installed in editable mode)."""
    return Path(__file__).resolve().parents[1]


def exercises_folder():
    return repository_root() / "exercises"


def solutions_folder():
    return exercises_folder() / "solutions"


def tags(cell):
    value = cell.get("metadata", {}).get("tags", [])
    return value if isinstance(value, list) else []


def is_answer(cell):
    return cell.get("cell_type") == "code" and "answer" in tags(cell)


def is_check(cell):
    return cell.get("cell_type") == "code" and "check" in tags(cell)


@dataclass
class Exercise:
    """One graded exercise of a notebook: its answer cell and the check cells after it."""

    name: str
    points: int
    answer_index: int  # index of the answer cell in notebook.cells
    check_indices: list


def exercises_of(notebook):
    """The exercises of a (released) notebook, in order."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if is_answer(cell):
            info = cell.get("metadata", {}).get(METADATA_KEY, {})
            found.append(Exercise(info.get("exercise", f"exercise {len(found) + 1}"), int(info.get("points", 1)),
                                  index, []))
        elif is_check(cell) and found:
            found[-1].check_indices.append(index)
    return found


def set_name(notebook):
    """The exercise set a notebook declares in its metadata, or None."""
    info = notebook.get("metadata", {}).get(METADATA_KEY, {})
    return info.get("set") if isinstance(info, dict) else None


def strip_solution(source):
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by the stub, at the block's indentation."""
    lines, out, inside = source.split("\n"), [], None
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside is not None:
                raise ValueError(f"line {number}: {BEGIN} inside another solution block")
            inside = line[: len(line) - len(line.lstrip())]
            out.extend(inside + stub for stub in STUB)
        elif stripped == END:
            if inside is None:
                raise ValueError(f"line {number}: {END} without {BEGIN}")
            inside = None
        elif inside is None:
            out.append(line)
    if inside is not None:
        raise ValueError(f"{BEGIN} without {END}")
    return "\n".join(out)


def learner_notebook(solved):
    """The learner's notebook made from a solved one: answers replaced by the stub, everything else kept.

    The check cells keep the solution's outputs, so that the learner sees what success prints (and nbval compares
    the learner's run against it). Answer cells lose their outputs and execution count.
    """
    notebook = copy.deepcopy(solved)
    answers = [cell for cell in notebook.cells if is_answer(cell)]
    if not answers:
        raise ValueError("the solved notebook has no cell tagged `answer`")
    for cell in answers:
        if BEGIN not in cell.source:
            raise ValueError(f"answer cell {cell.get('id')!r} has no {BEGIN} line")
        cell.source = strip_solution(cell.source)
        cell.outputs = []
        cell.execution_count = None
    return notebook


def notebook_text(notebook):
    """The notebook as the text nbformat writes (what is stored in the repository)."""
    return nbformat.writes(notebook) + "\n"


def solution_paths(folder=None):
    return sorted((Path(folder) if folder else solutions_folder()).glob("[0-9][0-9]_*.ipynb"))


def released_notebooks(folder=None):
    """``{set name: path}`` of the released learner notebooks (``exercises/NN_*.ipynb``)."""
    folder = Path(folder) if folder else exercises_folder()
    return {path.stem: path for path in sorted(folder.glob("[0-9][0-9]_*.ipynb"))}


def normalise_set(name, known):
    """Accept ``"01"``, ``"1"`` or ``"01_cell_forward"`` for a set; return its full name or None."""
    if name in known:
        return name
    match = re.fullmatch(r"0*(\d+)", str(name))
    if match:
        for full in known:
            if int(full[:2]) == int(match.group(1)):
                return full
    return None
