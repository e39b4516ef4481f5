"""The exercise notebooks as pages: what a learner reads, in the book and in JupyterLab, before solving anything.

The learner notebooks (``exercises/NN_*.ipynb``) are generated from the solved ones by ``python -m grading.generate``.
These tests read them as a reader would: no stored output under an unsolved stub, the expected output shown as
such, one numbering scheme, no tooling markers, and every equation number the page or its checks' hints cite shown
on the page, with the number and the content the chapters give it.
"""

import inspect
import io
import re
import tokenize
import types
from pathlib import Path

import nbformat
import pytest
import yaml

import grading
from grading.generate import EXPECTED_LABEL, printed_text
from grading.notebooks import exercises_folder, exercises_of, is_answer, is_check, set_name, solution_paths

ROOT = Path(__file__).resolve().parents[1]
SETS = [path.stem for path in solution_paths()]
#: Longest code line: what the book's text column shows without sideways scrolling (learner pages are book pages;
#: the solved notebooks, read in JupyterLab, may reach 88 in the solutions).
MAX_CODE_LINE = {"learner": 79, "solved": 88}

#: Tooling a reader must not see: nbval's comment markers, linter pragmas, the generator's solution fences.
MARKERS = re.compile(r"#\s*(NBVAL_|PYTEST_VALIDATE_|noqa|type:\s*ignore|pragma|fmt:)|### (BEGIN|END) SOLUTION",
                     re.IGNORECASE)
#: How the course was made must not show: issue numbers, remarks about the machines it was built on.
MAKING_OF = re.compile(r"\bissues?\s*#?\d+|\bthis machine|\bthese machines|\bour machines?\b",
                       re.IGNORECASE)
TITLE = re.compile(r"^# Exercise set (\d+): (\S.*)$")
EXERCISE_HEADING = re.compile(r"^## Exercise (\d+)\.(\d+): (\S.*) \((\d+) points?\)$")
TAG = re.compile(r"\\tag\{(\d+)\}")
CITED_RANGE = re.compile(r"\((\d{1,2})\)\s*(?:-|–|to)\s*\((\d{1,2})\)")
CITED_ONE = re.compile(r"\((\d{1,2})\)")
DISPLAY_ENV = re.compile(r"^\\begin\{(\w+\*?)\}(.*?)^\\end\{\1\}", re.MULTILINE | re.DOTALL)
FENCE = re.compile(r"^(`{3,})(\w*)\n(.*?)^\1\s*$", re.MULTILINE | re.DOTALL)


def read(path):
    return nbformat.read(path, as_version=4)


def learner(name):
    return read(exercises_folder() / f"{name}.ipynb")


def solved(name):
    return read(exercises_folder() / "solutions" / f"{name}.ipynb")


def markdown_of(notebook):
    return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]


def prose(markdown):
    """Markdown without its math, code blocks and inline code: the words a reader reads."""
    text = FENCE.sub("", markdown)
    text = DISPLAY_ENV.sub("", text)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.DOTALL)
    text = re.sub(r"\$[^$\n]+\$", "", text)
    return re.sub(r"`[^`\n]+`", "", text)


def cited_numbers(text):
    """Equation numbers a text cites: ``(9)``, ``(7)-(17)``, ``(1) to (6)``."""
    numbers = set()
    for low, high in CITED_RANGE.findall(text):
        numbers.update(range(int(low), int(high) + 1))
    numbers.update(int(n) for n in CITED_ONE.findall(text))
    return numbers


def code_words(source):
    """The comments and string literals of a code cell (docstrings included)."""
    words = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.COMMENT, tokenize.STRING):
                words.append(token.string)
    except (tokenize.TokenError, IndentationError):
        pytest.fail(f"a code cell does not tokenize:\n{source}")
    return words


def displayed_numbers(notebook):
    return {int(n) for source in markdown_of(notebook) for n in TAG.findall(source)}


# --- hints: the strings a notebook's check functions can print ------------------------------------------------------


def reachable_strings(function):
    """Every string the check ``function`` can reach inside the grading package: its constants, the constants of the
    grading functions it calls, and the module-level strings, dicts and lists it names (hint tables)."""
    seen, strings = set(), []

    def visit(obj):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, str):
            strings.append(obj)
        elif isinstance(obj, dict):
            for key, value in obj.items():
                visit(key)
                visit(value)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            for value in obj:
                visit(value)
        elif isinstance(obj, types.FunctionType) and obj.__module__.split(".")[0] == "grading":
            visit_code(obj.__code__, obj.__globals__)

    def visit_code(code, namespace):
        for constant in code.co_consts:
            if isinstance(constant, types.CodeType):
                visit_code(constant, namespace)
            else:
                visit(constant)
        modules = [namespace[name] for name in code.co_names
                   if inspect.ismodule(namespace.get(name)) and namespace[name].__name__.startswith("grading")]
        for name in code.co_names:
            if name in namespace and not inspect.ismodule(namespace[name]):
                visit(namespace[name])
            for module in modules:
                if hasattr(module, name):
                    visit(getattr(module, name))

    visit(function)
    return strings


def check_functions(notebook):
    names = set()
    for cell in notebook.cells:
        if is_check(cell):
            names.update(re.findall(r"\b(check_\w+)\(", cell.source))
    return {name: getattr(grading, name) for name in sorted(names)}


def hint_citations(notebook):
    """{equation number: a hint text citing it}, over every check the notebook calls."""
    found = {}
    for function in check_functions(notebook).values():
        for text in reachable_strings(function):
            for number in cited_numbers(text):
                found.setdefault(number, text)
    return found


# --- the book's numbering, read from the chapters ---------------------------------------------------------------------


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    order = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                order.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))
            for subtree in entry.get("subtrees", []) or []:
                walk(subtree.get("entries"))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return order


def document_text(stem):
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{stem}{suffix}"
        if path.exists():
            if suffix == ".md":
                return path.read_text(encoding="utf-8")
            return "\n\n".join(markdown_of(read(path)))
    return ""


LABELLED = re.compile(r"\$\$(.*?)\$\$(?:[ \t]*\(([\w-]+)\))?|```\{math\}\n:label:\s*([\w-]+)\n(.*?)```"
                      r"|^\\begin\{(equation|align|gather|multline|alignat|flalign)\}(.*?)^\\end\{\5\}",
                      re.DOTALL | re.MULTILINE)


def book_equations():
    """{number: LaTeX} of the book's numbered equations, in reading order (numbering is book-wide)."""
    equations = {}
    for stem in toc_files():
        for match in LABELLED.finditer(FENCE_OTHER.sub("", document_text(stem))):
            if match.group(1) is not None and not match.group(2):
                continue  # an unlabelled $$ block has no number
            latex = match.group(1) or match.group(4) or match.group(6) or ""
            equations[len(equations) + 1] = latex
    return equations


#: Code fences other than {math} (their contents are not equations).
FENCE_OTHER = re.compile(r"^(`{3,})(?!\{math\})[^\n]*\n.*?^\1\s*$", re.MULTILINE | re.DOTALL)


def normalised(latex):
    """LaTeX reduced to its symbols: no spacing, sizing, alignment or tag, for comparing two writings of one
    equation."""
    text = TAG.sub("", latex)
    text = re.sub(r"\\(begin|end)\{aligned\}", "", text)
    text = re.sub(r"\\(left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg)(?![a-zA-Z])", "", text)
    text = re.sub(r"\\(,|;|!|:| |quad|qquad)(?![a-zA-Z])", "", text)
    text = text.replace("\\\\", "").replace("&", "").replace("{}", "")
    text = re.sub(r"\s+", "", text)
    return text.rstrip(".,")


# --- tests ----------------------------------------------------------------------------------------------------------


def test_every_set_has_a_learner_page():
    assert SETS, "no solved notebooks"
    assert sorted(path.stem for path in exercises_folder().glob("[0-9][0-9]_*.ipynb")) == SETS


@pytest.mark.parametrize("name", SETS)
def test_no_stored_output_and_the_expected_output_shown_as_such(name):
    """No code cell of the learner's notebook looks as if it had run; what a check or example cell prints when the
    answer is right sits under it in a markdown cell labelled "Expected output", equal to the solved notebook's
    stored output."""
    page, reference = learner(name), {cell.id: cell for cell in solved(name).cells}
    shown = 0
    for index, cell in enumerate(page.cells):
        if cell.cell_type != "code":
            continue
        assert not cell.outputs and cell.execution_count is None, f"{cell.id} is stored with an output"
        printed = printed_text(reference[cell.id]).rstrip("\n")
        if is_check(cell):
            assert printed, f"the solved notebook's {cell.id} is stored without its output"
        if not printed:
            continue
        following = page.cells[index + 1] if index + 1 < len(page.cells) else None
        assert following is not None and following.cell_type == "markdown", f"no expected output under {cell.id}"
        assert following.source.startswith(f"**{EXPECTED_LABEL}**"), following.source
        blocks = [body for _, lang, body in FENCE.findall(following.source) if lang == "text"]
        assert blocks == [printed + "\n"], f"{cell.id}: the expected output differs from the solved notebook's"
        assert "nbval-ignore-output" in cell.metadata.get("tags", []), (
            f"{cell.id} has no stored output to compare: tag it nbval-ignore-output")
        shown += 1
    assert shown >= len(exercises_of(page)), "every exercise shows at least the output of its check"


@pytest.mark.parametrize("name", SETS)
def test_learner_page_keeps_what_the_grader_reads(name):
    """Same cells (ids, types, tags answer/check), same check calls, same notebook metadata as the solved one; the
    added cells are only the expected outputs."""
    page, reference = learner(name), solved(name)
    assert set_name(page) == set_name(reference) == name
    assert page.metadata.get("lstm_exercises") == reference.metadata.get("lstm_exercises")
    by_id = {cell.id: cell for cell in page.cells}
    for cell in reference.cells:
        ours = by_id[cell.id]
        assert ours.cell_type == cell.cell_type
        assert is_answer(ours) == is_answer(cell) and is_check(ours) == is_check(cell)
        if is_check(cell) or cell.cell_type == "markdown":
            assert ours.source == cell.source
        if is_answer(cell):
            assert ours.metadata["lstm_exercises"] == cell.metadata["lstm_exercises"]
    added = [cell for cell in page.cells if cell.id not in {c.id for c in reference.cells}]
    assert all(cell.cell_type == "markdown" and EXPECTED_LABEL in cell.source for cell in added)
    assert [e.name for e in exercises_of(page)] == [e.name for e in exercises_of(reference)]


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("which", ["learner", "solved"])
def test_no_tooling_markers_nor_making_of(name, which):
    notebook = learner(name) if which == "learner" else solved(name)
    for cell in notebook.cells:
        source = cell.source
        if cell.cell_type == "code" and is_answer(cell) and which == "solved":
            source = "\n".join(line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION",
                                                                                          "### END SOLUTION"))
        assert not MARKERS.search(source), f"{cell.id}: tooling marker {MARKERS.search(source).group(0)!r}"
        assert not MAKING_OF.search(source), f"{cell.id}: {MAKING_OF.search(source).group(0)!r}"


def test_index_page_speaks_of_the_course_only():
    text = (exercises_folder() / "index.md").read_text(encoding="utf-8")
    assert not MAKING_OF.search(text)


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("which", ["learner", "solved"])
def test_code_lines_fit_the_column(name, which):
    notebook = learner(name) if which == "learner" else solved(name)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for line in cell.source.splitlines():
                assert len(line) <= MAX_CODE_LINE[which], f"{cell.id}: {len(line)} characters: {line}"


@pytest.mark.parametrize("name", SETS)
def test_one_numbering_scheme(name):
    """"Exercise set N: topic" for the notebook, "Exercise N.k: task (p points)" for each graded part, with p the
    points the grader gives."""
    number = int(name[:2])
    page = learner(name)
    headings = [(index, line) for index, cell in enumerate(page.cells) if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("#")]
    titles = [line for _, line in headings if line.startswith("# ")]
    assert len(titles) == 1 and TITLE.match(titles[0]), titles
    assert int(TITLE.match(titles[0]).group(1)) == number
    parts = [(index, EXERCISE_HEADING.match(line)) for index, line in headings if line.startswith("## Exercise")]
    assert all(match for _, match in parts), [line for _, line in headings]
    exercises = exercises_of(page)
    assert len(parts) == len(exercises), "one heading per graded exercise"
    for k, ((index, match), exercise) in enumerate(zip(parts, exercises, strict=True), 1):
        assert (int(match.group(1)), int(match.group(2))) == (number, k)
        assert index < exercise.answer_index, "the heading comes before its answer cell"
        assert int(match.group(4)) == exercise.points, f"{match.group(0)}: the grader gives {exercise.points}"
        assert match.group(4) == "1" or match.group(0).endswith("points)")
    for source in markdown_of(page):
        assert not re.search(r"\bExercise \d+\b(?!\.\d)", prose(source).replace("Exercise set", "")), (
            "another numbering scheme: " + source[:120])


def test_index_page_uses_the_same_scheme():
    text = (exercises_folder() / "index.md").read_text(encoding="utf-8")
    for name in SETS:
        title = TITLE.match(learner(name).cells[0].source.splitlines()[0])
        assert f"Exercise set {int(name[:2])}" in text
        assert f"({name}.ipynb)" in text, f"index.md links to {name}.ipynb"
        assert title.group(2) in text, f"index.md names set {name} as its page does: {title.group(2)!r}"


@pytest.mark.parametrize("name", SETS)
def test_the_page_renders_in_jupyterlab_and_in_the_book(name):
    """Constructs both renderers show: no roles that need the rest of the book ({eq}, {doc}, {numref}), no $$ display
    math (JupyterLab's MyST numbers it on its own), no unstarred amsmath environment (the book would number it and
    shift every later number), and links that lead to existing pages."""
    page = learner(name)
    for source in markdown_of(page):
        assert not re.search(r"\{(eq|doc|numref|ref|cite)\}`", source), source[:200]
        assert "$$" not in source
        for environment, _ in DISPLAY_ENV.findall(source):
            assert environment.endswith("*"), f"\\begin{{{environment}}} is numbered by the book"
        for target in re.findall(r"\]\(([^)\s]+)\)", source):
            if re.match(r"https?://", target):
                continue
            path = (exercises_folder() / target.split("#")[0]).resolve()
            assert path.exists(), f"the link {target} leads nowhere"


def test_the_book_numbers_the_lstm_equations_1_to_17():
    """The numbers the exercises show are those of the chapters: (1)-(6) the cell, (7)-(17) its gradients."""
    equations = book_equations()
    assert len(equations) >= 17
    assert normalised(equations[1]).startswith(r"\Gamma_f")
    assert normalised(equations[6]).startswith(r"a^{\langlet\rangle}=\Gamma_o")
    assert normalised(equations[7]).startswith("dz_o=")
    assert normalised(equations[17]).startswith(r"dx^{\langlet\rangle}=")


@pytest.mark.parametrize("name", SETS)
def test_each_equation_shown_is_the_books_with_its_number(name):
    equations = book_equations()
    page = learner(name)
    for source in markdown_of(page):
        for _, body in DISPLAY_ENV.findall(source):
            for number in map(int, TAG.findall(body)):
                assert number in equations, f"({number}) is not an equation of the book"
                assert normalised(body) == normalised(equations[number]), (
                    f"({number}) differs from the chapter's:\n{body}\n---\n{equations[number]}")


@pytest.mark.parametrize("name", SETS)
def test_every_equation_the_page_cites_is_shown_with_its_number(name):
    """The prose, the comments and docstrings of the code, and the hints the page's checks can print: every
    equation number they cite is displayed in the notebook itself (JupyterLab shows no other page)."""
    page = learner(name)
    shown = displayed_numbers(page)
    cited = {}
    for source in markdown_of(page):
        for number in cited_numbers(prose(source)):
            cited.setdefault(number, "the text")
    for cell in page.cells:
        if cell.cell_type == "code":
            for words in code_words(cell.source):
                for number in cited_numbers(words):
                    cited.setdefault(number, f"cell {cell.id}")
    for number, hint in hint_citations(page).items():
        cited.setdefault(number, f"a hint: {hint!r}")
    missing = {number: where for number, where in cited.items() if number not in shown}
    assert not missing, f"cited but not shown in {name}: {missing}"


def test_hints_are_collected():
    """The hint collection reaches the hint tables (a test that finds no hint would prove nothing)."""
    cited = hint_citations(learner("03_cell_backward"))
    assert {7, 8, 9, 10, 15, 16, 17} <= set(cited)
    assert {1, 2, 3, 5} <= set(hint_citations(learner("01_cell_forward")))


def test_gru_set_says_which_gru_it_asks_for():
    text = "\n".join(markdown_of(learner("06_gru_cell")))
    assert "Cho et al." in text and "torch.nn.GRU" in text
    assert re.search(r"reset gate[^.]*\*\*before\*\*", text) and re.search(r"\*\*after\*\*", text)
    assert "../chapters/10_gru.ipynb" in text
