"""Every number in a chapter's prose comes from the results or the cell that made it.

Two rules, checked on every chapter (``chapters/*.ipynb`` and ``chapters/*.md``, so later chapters are held to them
too):

1. **No typed numbers.** A number written in markdown prose, outside math, code and roles, fails unless it is
   structural: an equation, chapter, section, step or exercise number, a year, a version, or an entry of
   :data:`ALLOWED` (each with its reason). Sizes belong in math (``$T_x = 100$``), results in a glue
   reference (``{glue:text}`name:.3f```), so that re-running an experiment cannot leave the text behind.
2. **Every glue reference has a source that agrees.** A ``{glue}`` role must name a value that a code cell of the
   same notebook glued; that cell's outputs are checked by nbval (so not tagged to skip or ignore them), which
   proves the stored value is what the code computes now; and a value glued straight from a results file
   (``glue("name", results["key"]...)`` where ``results = json.loads(... "file.json" ...)``) is re-read from that
   file here and must be equal.
"""

import ast
import json
import math
import re
from pathlib import Path

import nbformat
import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((REPOSITORY / "chapters").glob("*.ipynb")) + sorted((REPOSITORY / "chapters").glob("*.md"))
RESULTS = REPOSITORY / "results"
GLUE_MIME = "application/papermill.record/text/plain"

#: Typed numbers that are not claims about a result: ``(chapter file name, the text around the number, reason)``.
#: The text must contain the number; it is matched against the prose with math, code and roles removed.
ALLOWED = [
    # (e.g.) ("appendix.md", "a version numbered them 7 to 21", "the published numbering an erratum is about"),
]

#: Words before a number that make it a name rather than a quantity (chapter 5, equation 15, step 0, ...).
STRUCTURAL_BEFORE = re.compile(
    r"(?:chapters?|sections?|equations?|eqs?\.|steps?|seeds?|exercises?|rules?|figures?|tables?|versions?|"
    r"rows?|columns?|items?|item|orders?|python|numpy|pytorch|torch|jupyter book|book|nltk|census|"
    r"layers?|axis|index|symbols?|units?|gates?|dimension|ranks?|top|notebooks?|part|line)"
    r"\s*(?:\(?\d+\)?\s*(?:,|and|or|to|-|–)\s*)*$",  # also the later numbers of a list: chapters 3 and 5
    re.IGNORECASE,
)
#: Nouns after an integer that make it a size or setting of an experiment (16 hidden units, 1000 updates, a
#: 60-step sequence, seed 5), not a result. A decimal is never a size.
SIZE_AFTER = re.compile(
    r"^[-\s]?(?:hidden\s+)?(?:units?|updates?|steps?|sequences?|seeds?|symbols?|letters?|bytes?|epochs?|"
    r"samples?|names?|inputs?|outputs?|gates?|cores?|threads?|times\b|delays?|layers?|characters?|"
    r"columns?|rows?|arrays?|entries|items?|numbers?|parameters?|examples?|weights?|words?|matri(?:x|ces))",
    re.IGNORECASE,
)
#: 0 and 1 as the constants of the mathematics (a gate between 0 and 1, a factor near 1, weight 1), not results.
CONSTANTS = {"0", "1"}
YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
NUMBER = re.compile(r"(?<![\w.\-])[-−]?\d+(?:[.,]\d+)*(?:[eE][-−+]?\d+)?(?![\w])")


# --- reading the prose -----------------------------------------------------------------------------------------


def markdown_sources(path):
    """The markdown of a chapter: each markdown cell of a notebook, or the whole of a .md file."""
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    return [path.read_text(encoding="utf-8")]


#: Directives whose body is prose (checked); every other fenced block is code or options (not checked).
PROSE_DIRECTIVES = {"exercise", "solution", "note", "tip", "important", "warning", "admonition", "hint",
                    "seealso", "attention", "caution", "danger", "error", "margin", "sidebar", "dropdown",
                    "epigraph", "topic"}


def prose(markdown):
    """``markdown`` with math, code, roles, links' targets, comments and directive options removed."""
    kept, fence = [], []
    for line in markdown.splitlines():
        opening = re.match(r"^\s*(`{3,}|~{3,})\s*(\{([\w:-]+)\})?(.*)$", line)
        if fence and opening and not opening.group(2) and not opening.group(4).strip() and \
                opening.group(1)[0] == fence[-1][0][0] and len(opening.group(1)) >= len(fence[-1][0]):
            fence.pop()
            continue
        if opening and (opening.group(2) or not fence or fence[-1][1]):
            directive = opening.group(3)
            fence.append((opening.group(1), directive in PROSE_DIRECTIVES))
            if directive in PROSE_DIRECTIVES:
                kept.append(opening.group(4))  # a title is prose
            continue
        if fence and not fence[-1][1]:
            continue
        if fence and re.match(r"^\s*:[\w-]+:", line):
            continue  # a directive's option
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    text = re.sub(r"\$\$.*?\$\$(\s*\([\w:-]+\))?", " ", text, flags=re.DOTALL)  # display math, with its label
    text = re.sub(r"(?<!\\)\$(?:[^$\n]|\n(?!\s*\n))+?(?<!\\)\$", " ", text)  # inline math, may span lines
    text = re.sub(r"\{[\w:-]+\}(`+)(.*?)\1", " ", text, flags=re.DOTALL)  # roles: {eq}`x`, {glue:text}`y`
    text = re.sub(r"(`+)(.*?)\1", " ", text, flags=re.DOTALL)  # inline code
    text = re.sub(r"\]\([^)]*\)", "]", text)  # a link's target
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"^\s*\(([\w:-]+)\)=\s*$", " ", text, flags=re.MULTILINE)  # a target label
    return text


def typed_numbers(text):
    """``(number, context)`` for each number in ``text`` that is not structural."""
    found = []
    for match in NUMBER.finditer(text):
        number = match.group()
        before = text[max(0, match.start() - 40):match.start()]
        after = text[match.end():match.end() + 3]
        if YEAR.match(number):
            continue  # a year: in a citation, a data set's name
        if number in CONSTANTS:
            continue
        if re.fullmatch(r"\d+", number) and SIZE_AFTER.match(text[match.end():match.end() + 30]):
            continue  # a size or setting, named by its noun
        line_start = text.rfind("\n", 0, match.start()) + 1
        if re.fullmatch(r"\s*(?:[-*+]\s+)?", text[line_start:match.start()]) and re.match(r"[.)]\s", after):
            continue  # a numbered list's item
        if STRUCTURAL_BEFORE.search(before):
            continue
        if re.search(r"\(\s*$", before) and re.match(r"\s*\)", after):
            continue  # (9): an equation number as printed
        if re.search(r"[A-Za-z]$", before) or re.match(r"[A-Za-z]", after):
            continue  # part of a name: float32, 3D, log2
        if re.match(r"\.\w", text[match.end():match.end() + 2]) and re.search(r"\w$", before):
            continue
        if re.search(r"^#+ ", text[text.rfind("\n", 0, match.start()) + 1:match.start()]) and \
                re.match(r"\.? ", after):
            continue  # a numbered heading
        line_end = text.find("\n", match.end())
        found.append((number, text[line_start:line_end if line_end >= 0 else None].strip()))
    return found


def allowed(path, number, context):
    return any(path.name == name and number in phrase and _squash(phrase) in _squash(context)
               for name, phrase, _ in ALLOWED)


def _squash(text):
    return re.sub(r"\s+", " ", text.replace("–", "-")).strip()


# --- glue ------------------------------------------------------------------------------------------------------

GLUE_ROLE = re.compile(r"\{glue(?::\w*)?\}`([^`]+)`")


def glue_references(markdown):
    """``(key, format_spec)`` of every glue role in ``markdown`` (``doc::key`` refers to another notebook)."""
    references = []
    for content in GLUE_ROLE.findall(markdown):
        key, _, spec = content.partition(":") if "::" not in content else _split_doc_key(content)
        references.append((key.strip(), spec.strip()))
    return references


def _split_doc_key(content):
    doc, _, rest = content.partition("::")
    key, _, spec = rest.partition(":")
    return f"{doc}::{key}", ":", spec


def stored_glue(notebook):
    """``{key: (text/plain value, cell)}`` of every value a code cell glued."""
    values = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if scrapbook:
                data = output.get("data", {})
                text = data.get(scrapbook.get("mime_prefix", "") + "text/plain")
                values[scrapbook["name"]] = (text, cell)
    return values


def json_sources(notebook):
    """``{glue key: (results file, [keys...])}`` for values glued straight from a results file.

    Recognises ``name = json.loads(<anything naming "x.json">)`` and then ``glue("key", name["a"][0]...)``,
    possibly wrapped in ``float(...)``, ``int(...)`` or ``round(..., digits)``.
    """
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    tree = ast.parse(code)
    files = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            names = [c.value for c in ast.walk(node.value)
                     if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value.endswith(".json")]
            if names and "json" in ast.unparse(node.value):
                files[node.targets[0].id] = names[0]
    sources = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "glue" and len(node.args) >= 2):
            continue
        if not isinstance(node.args[0], ast.Constant):
            continue
        expression, rounding = node.args[1], None
        while isinstance(expression, ast.Call) and getattr(expression.func, "id", None) in ("float", "int", "round"):
            if expression.func.id == "round" and len(expression.args) == 2:
                rounding = ast.literal_eval(expression.args[1])
            expression = expression.args[0]
        path = []
        while isinstance(expression, ast.Subscript):
            try:
                path.insert(0, ast.literal_eval(expression.slice))
            except ValueError:
                break
            expression = expression.value
        else:
            if isinstance(expression, ast.Name) and expression.id in files and path:
                sources[node.args[0].value] = (files[expression.id], path, rounding)
    return sources


def _value(text):
    try:
        return ast.literal_eval(text)
    except (SyntaxError, ValueError):
        return text


# --- the tests -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.name for path in CHAPTERS])
def test_no_number_is_typed_into_the_prose(path):
    offending = [(number, context) for markdown in markdown_sources(path)
                 for number, context in typed_numbers(prose(markdown)) if not allowed(path, number, context)]
    assert not offending, (
        f"{path.name}: numbers typed into the prose; glue results (myst-nb `glue`, then {{glue:text}}`name:.3f`), "
        f"write sizes as math ($T_x = 100$), or add a structural case to ALLOWED with a reason:\n"
        + "\n".join(f"  {number!r} in: {context}" for number, context in offending))


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.name for path in CHAPTERS])
def test_every_glue_reference_has_a_checked_source_that_agrees(path):
    references = [ref for markdown in markdown_sources(path) for ref in glue_references(markdown)]
    if path.suffix != ".ipynb":
        assert all("::" in key for key, _ in references), f"{path.name}: a page without code can only glue " \
                                                          "from a notebook (path::key)"
        notebooks = {}
        for key, _ in references:
            doc, name = key.split("::")
            target = (path.parent / doc).resolve()
            notebook = notebooks.setdefault(target, nbformat.read(target, as_version=4))
            assert name in stored_glue(notebook), f"{path.name}: {doc} glues no value named {name!r}"
        return
    notebook = nbformat.read(path, as_version=4)
    stored = stored_glue(notebook)
    sources = json_sources(notebook)
    for key, spec in references:
        assert "::" not in key, f"{path.name}: glue {key!r} from this notebook itself"
        assert key in stored, f"{path.name}: {{glue}} refers to {key!r}, which no code cell glued (run the notebook)"
        text, cell = stored[key]
        tags = set(cell.metadata.get("tags", []))
        assert not tags & {"nbval-ignore-output", "nbval-skip", "skip-execution"}, (
            f"{path.name}: the cell that glues {key!r} is tagged {sorted(tags)}: nbval must check its output")
        if spec and spec[-1] in "eEfFgGn%d":
            assert isinstance(_value(text), (int, float)), (
                f"{path.name}: glue {key!r} holds {text!r}; glue a plain int or float (float(...)) to format it")
    for key, (filename, keys, rounding) in sources.items():
        results = json.loads((RESULTS / filename).read_text(encoding="utf-8"))
        expected = results
        for k in keys:
            expected = expected[k]
        if rounding is not None:
            expected = round(expected, rounding)
        stored_value = _value(stored[key][0])
        assert stored_value == expected or (
            isinstance(expected, float) and math.isclose(stored_value, expected, rel_tol=1e-12)), (
            f"{path.name}: glue {key!r} stores {stored_value!r} but {filename}{keys} holds {expected!r}: "
            f"re-run the notebook")


def test_every_allowed_number_is_still_in_its_chapter():
    """A stale entry would let a number back in unnoticed: each one must match a number the prose still holds."""
    for name, phrase, reason in ALLOWED:
        assert reason, f"{name}: {phrase!r} needs a reason"
        path = REPOSITORY / "chapters" / name
        found = [(number, context) for markdown in markdown_sources(path)
                 for number, context in typed_numbers(prose(markdown))]
        assert any(allowed(path, number, context) for number, context in found), f"{name}: {phrase!r} is unused"


def test_every_chapter_is_read():
    """The chapters found include the notebooks and pages, so a new chapter cannot slip past."""
    names = {path.name for path in CHAPTERS}
    assert len([n for n in names if n.endswith(".ipynb")]) >= 9 and "appendix.md" in names


# --- the checks catch what they should -------------------------------------------------------------------------


def test_a_typed_number_is_caught_and_structural_ones_are_not():
    text = prose(
        "The LSTM reaches 1.94 nats per character, against 2.36 for the bigram.\n"
        "By {eq}`eq-dc-prev` and equation (16), as in chapter 5 and step 0 of exercise 3;\n"
        "Hochreiter and Schmidhuber (1997) used float32 in section 2. The value $0.72^{99}$ is math,\n"
        "{glue:text}`ratio:.2f` is glued, `x[:, :, 5]` is code.\n"
        "```python\nprint(12345)\n```\n"
        "```{exercise}\n:label: ex-1\nThe answer is 44, after rounding up.\n```\n")
    assert [number for number, _ in typed_numbers(text)] == ["1.94", "2.36", "44"]
    lists = prose("As chapters 3 and 5 show, equations (9) and (10), with seeds 0, 2 and 3; 7 and 8 steps, 9 and 10.")
    assert [number for number, _ in typed_numbers(lists)] == ["7", "9", "10"]  # "7 and": no noun follows 7
    sizes = prose("1. With 16 hidden units, a 60-step sequence, seeds 0, 2 and 3, between 0 and 1: 0.73 and 80 MiB.")
    assert [number for number, _ in typed_numbers(sizes)] == ["0.73", "80"]


def _notebook_with(markdown, code, output):
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(code)
    cell.outputs = [output]
    notebook.cells = [nbformat.v4.new_markdown_cell(markdown), cell]
    return notebook


def _glue_output(name, text):
    scrapbook = {"name": name, "mime_prefix": "application/papermill.record/"}
    return nbformat.v4.new_output("display_data", data={GLUE_MIME: text}, metadata={"scrapbook": scrapbook})


def test_a_stale_glue_fails(tmp_path, monkeypatch):
    """A glued value that no longer equals its results file, a missing glue and an ignored cell all fail."""
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "names.json").write_text(json.dumps({"lstm": 1.9}))
    monkeypatch.setattr(__import__(__name__), "RESULTS", tmp_path / "results")
    code = 'results = json.loads(Path("names.json").read_text())\nglue("lstm_nats", float(results["lstm"]))'
    path = tmp_path / "chapter.ipynb"

    def run(markdown, stored_text, tags=()):
        notebook = _notebook_with(markdown, code, _glue_output("lstm_nats", stored_text))
        notebook.cells[1].metadata["tags"] = list(tags)
        nbformat.write(notebook, path)
        test_every_glue_reference_has_a_checked_source_that_agrees(path)

    run("The LSTM reaches {glue:text}`lstm_nats:.2f` nats.", "1.9")  # in step: passes
    with pytest.raises(AssertionError, match="holds 1.9"):
        run("The LSTM reaches {glue:text}`lstm_nats:.2f` nats.", "1.95")  # stale
    with pytest.raises(AssertionError, match="no code cell glued"):
        run("The LSTM reaches {glue:text}`lstm_gone:.2f` nats.", "1.9")
    with pytest.raises(AssertionError, match="nbval must check"):
        run("The LSTM reaches {glue:text}`lstm_nats:.2f` nats.", "1.9", tags=["nbval-ignore-output"])
    with pytest.raises(AssertionError, match="plain int or float"):
        run("The LSTM reaches {glue:text}`lstm_nats:.2f` nats.", "np.float64(1.9)")


def test_a_typed_number_in_a_chapter_fails(tmp_path):
    path = tmp_path / "chapter.ipynb"
    nbformat.write(_notebook_with("Counting wins: 1.87 against 1.94.", "1", nbformat.v4.new_output("stream",
                                                                                                    text="1\n")), path)
    with pytest.raises(AssertionError, match="1.87"):
        test_no_number_is_typed_into_the_prose(path)
