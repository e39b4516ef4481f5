"""What an answer cell may contain: a check on its syntax tree, applied by the grader and by the check functions.

An answer computes with numpy. It has no reason to import anything else, to touch the interpreter's internals
(names like ``__globals__``, or a module's private parts like ``np._core``), to evaluate text as code, to open files,
or to rebind a name that the notebook's other cells define (a check function, ``show``, ``np``, the given
``lstm_cell_forward``...). :func:`violations` lists what
breaks these rules, each as one line that names the line of the cell; :func:`first_violation` gives the first.

What the rules stop: reaching the course's package (``import lstm``, ``importlib``, ``sys.modules``, ``gc``,
``inspect``, ``builtins``, a function's ``__globals__``, frames of generators), reading the package's files (``open``,
``np.load``, ``np.loadtxt``...), running text as code (``eval``, ``exec``, ``compile``), strings turned into attribute
names (``getattr(np, "sy" + "s")``), and patching what the checks use (``np.allclose = ...``, ``show = ...``,
redefining a check function). What they do not stop: an answer that burns time or memory (the grader's time limits
do), a copied solution, and attacks through bugs of Python or numpy themselves (grade in a sandbox).
"""

import ast
import re

#: Modules an answer may import (``import numpy as np``, ``from numpy import ...``, ``import math``).
ALLOWED_MODULES = ("numpy", "math")

#: Built-in functions that evaluate text, reach the interpreter's namespaces, or read files.
FORBIDDEN_BUILTINS = frozenset({
    "eval", "exec", "compile", "open", "__import__", "globals", "locals", "vars", "getattr", "setattr", "delattr",
    "breakpoint", "input", "help", "exit", "quit", "memoryview", "get_ipython", "In", "Out", "_ih", "_oh", "_dh",
    "_ii", "_iii", "__builtins__", "__build_class__", "super", "object", "type", "classmethod",
    "staticmethod", "property", "dir",
})

#: Names of the course's packages: an answer computes on its own.
COURSE_PACKAGES = frozenset({"lstm", "grading"})

#: Attribute names that lead from numpy (or any object) to the interpreter, to files, or to code as text.
FORBIDDEN_ATTRIBUTES = frozenset({
    "sys", "os", "modules", "builtins", "ctypes", "ctypeslib", "load", "loadtxt", "fromfile", "fromregex",
    "genfromtxt", "recfromtxt", "recfromcsv", "memmap", "open_memmap", "DataSource", "npyio", "testing", "f2py",
    "distutils", "save", "savez", "savez_compressed", "savetxt", "tofile", "dump", "dumps", "f_globals", "f_locals",
    "f_back", "f_builtins", "f_code", "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code",
    "tb_frame", "tb_next", "func_globals", "mro", "subclasses", "source", "info", "lookfor", "importlib",
    "subprocess", "system", "popen", "exec", "eval", "compile", "read_array", "write_array", "read_magic",
    "get_include", "show_config", "show_runtime", "inspect", "gc", "pickle", "threading", "multiprocessing",
    "open", "load_library", "as_ctypes", "operator", "attrgetter", "methodcaller", "functools", "types", "weakref",
    "copyreg", "io", "platform", "warnings", "contextlib", "abc", "ast", "textwrap", "FunctionType", "CodeType",
})

#: The usual name of each allowed module.
SAME_MODULE = {"numpy": "np", "math": "math"}

_IPYTHON_HISTORY = re.compile(r"^_i\d*$|^_\d+$")


def _is_dunder(name):
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _shown(node, source):
    text = ast.get_source_segment(source, node) or ""
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _bound_names(target):
    """The plain names a target binds (``a, (b, c) = ...`` binds a, b and c)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _bound_names(element)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def _top_level_bindings(statement):
    """``(name, what, statement)`` for the names one top-level statement binds in the notebook's namespace."""
    found = []
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        found.append((statement.name, "defines", statement))
    elif isinstance(statement, ast.ClassDef):
        found.append((statement.name, "defines a class", statement))
    elif isinstance(statement, ast.Assign):
        found += [(name, "assigns", statement) for target in statement.targets for name in _bound_names(target)]
    elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
        found += [(name, "assigns", statement) for name in _bound_names(statement.target)]
    elif isinstance(statement, (ast.For, ast.AsyncFor)):
        found += [(name, "assigns", statement) for name in _bound_names(statement.target)]
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        found += [(name, "assigns", statement) for item in statement.items if item.optional_vars is not None
                  for name in _bound_names(item.optional_vars)]
    elif isinstance(statement, ast.Delete):
        found += [(name, "deletes", statement) for target in statement.targets for name in _bound_names(target)]
    elif isinstance(statement, ast.Import):
        # `import numpy as np` and `import math` rebind a name to the module it already names: harmless.
        found += [((alias.asname or alias.name).split(".")[0], "imports as", statement) for alias in statement.names
                  if (alias.asname or alias.name) != SAME_MODULE.get(alias.name, "")]
    elif isinstance(statement, ast.ImportFrom):
        found += [((alias.asname or alias.name).split(".")[0], "imports as", statement) for alias in statement.names]
    elif isinstance(statement, ast.Try):
        found += [(handler.name, "assigns", handler) for handler in statement.handlers if handler.name]
    # Statements nested in if/for/while/try/with bodies at the top level bind top-level names too.
    for field in ("body", "orelse", "finalbody", "handlers"):
        for child in getattr(statement, field, []) or []:
            if isinstance(child, ast.stmt) and not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                          ast.ClassDef)):
                found += _top_level_bindings(child)
            elif isinstance(child, ast.ExceptHandler):
                for grandchild in child.body:
                    found += _top_level_bindings(grandchild)
    return found


def _walrus_targets(tree):
    """Names bound by ``:=`` outside any function (they land in the notebook's namespace)."""
    found = []

    def visit(node, in_function):
        if isinstance(node, ast.NamedExpr) and not in_function:
            found.append((node.target.id, node))
        for child in ast.iter_child_nodes(node):
            visit(child, in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


def _module_allowed(name):
    parts = name.split(".")
    return parts[0] in ALLOWED_MODULES and not any(
        part in FORBIDDEN_ATTRIBUTES or part.startswith("_") or part == "lib" and i + 1 < len(parts)
        and parts[i + 1] in ("npyio", "format", "utils") for i, part in enumerate(parts))


def violations(source, protected=(), allowed=()):
    """Every rule the answer cell ``source`` breaks, as one-line reasons that name the line.

    Parameters
    ----------
    source : str
        The answer cell's code.
    protected : iterable of str
        Names the notebook's other cells define or import (check functions, ``show``, ``np``, given functions):
        the answer may not rebind them.
    allowed : iterable of str
        The function names the exercises ask for: the answer may define these even when protected.
    """
    protected = set(protected) - set(allowed)
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return [f"line {error.lineno}: not valid Python ({error.msg}); an answer is plain Python, without % or ! "
                f"commands"]
    except (ValueError, RecursionError) as error:
        return [f"the answer cannot be read as Python ({type(error).__name__})"]
    found = []

    def add(node, message):
        found.append((getattr(node, "lineno", 0), f"line {getattr(node, 'lineno', '?')}: {message}"))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not _module_allowed(alias.name):
                    add(node, f"imports {alias.name}; an answer may import only numpy and math")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level or not _module_allowed(module):
                add(node, f"imports from {'.' * node.level}{module}; an answer may import only numpy and math")
            else:
                for alias in node.names:
                    if alias.name == "*":
                        add(node, f"`from {module} import *` hides which names it brings in; import the names "
                                  f"you use")
                    elif alias.name.startswith("_") or alias.name in FORBIDDEN_ATTRIBUTES:
                        add(node, f"imports {module}.{alias.name}, which an answer does not need")
        elif isinstance(node, ast.Name):
            if (_is_dunder(node.id) or node.id in FORBIDDEN_BUILTINS or _IPYTHON_HISTORY.match(node.id)
                    or node.id.startswith("_lstm_grade")):
                add(node, f"uses `{node.id}`, which reaches outside the answer's own computation")
            elif node.id in COURSE_PACKAGES:
                add(node, f"uses the course's `{node.id}` package; write the function yourself")
        elif isinstance(node, ast.Attribute):
            if _is_dunder(node.attr):
                add(node, f"uses `.{node.attr}` (`{_shown(node, source)}`): an answer does not need Python's "
                          f"internals")
            elif node.attr.startswith("_"):
                add(node, f"uses `.{node.attr}` (`{_shown(node, source)}`), a private part of a module or object; "
                          f"an answer uses numpy's public functions")
            elif node.attr in FORBIDDEN_ATTRIBUTES:
                add(node, f"uses `.{node.attr}` (`{_shown(node, source)}`), which reaches files or the "
                          f"interpreter rather than computing")
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                add(node, f"assigns to an attribute (`{_shown(node, source)}`); an answer computes new values, it "
                          f"does not patch objects or modules")
        elif isinstance(node, ast.MatchClass):
            for attribute in node.kwd_attrs:
                if attribute.startswith("_") or attribute in FORBIDDEN_ATTRIBUTES:
                    add(node, f"matches the attribute `{attribute}` in a pattern; an answer does not need it")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            add(node, f"`{'global' if isinstance(node, ast.Global) else 'nonlocal'} {', '.join(node.names)}`: "
                      f"an answer's function returns its results instead of changing outside names")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and _is_dunder(node.name):
            add(node, f"defines `{node.name}`, one of Python's special methods; an answer does not need them")
        elif isinstance(node, ast.arg) and _is_dunder(node.arg):
            add(node, f"uses `{node.arg}` as a name; an answer does not need Python's special names")
        elif isinstance(node, ast.keyword) and node.arg and _is_dunder(node.arg):
            add(node, f"passes `{node.arg}=`; an answer does not need Python's special names")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _is_dunder(node.value.strip()):
            add(node, f"uses the text {node.value!r}; an answer does not need Python's special names")

    for statement in tree.body:
        for name, what, where in _top_level_bindings(statement):
            if name in protected:
                add(where, f"{what} `{name}`, a name the notebook's other cells use; choose another name")
    for name, node in _walrus_targets(tree):
        if name in protected:
            add(node, f"assigns `{name}`, a name the notebook's other cells use; choose another name")
    found.sort(key=lambda item: item[0])
    seen, reasons = set(), []
    for _, reason in found:
        if reason not in seen:
            seen.add(reason)
            reasons.append(reason)
    return reasons


def first_violation(source, protected=(), allowed=()):
    """The first reason of :func:`violations`, or None when the cell follows every rule."""
    found = violations(source, protected, allowed)
    return found[0] if found else None


def names_defined(source, variables=True):
    """The names a (setup or check) cell binds at its top level, imports included; [] when it does not parse.

    With ``variables=False``, only what it imports and the functions and classes it defines (a check cell's
    variables, such as the ``cache`` it prints, are no one's to protect).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names = {name for statement in tree.body for name, what, _ in _top_level_bindings(statement)
             if variables or what not in ("assigns", "deletes")}
    for node in ast.walk(tree):  # every name a cell imports, wherever, and `import lstm.cell` binds lstm
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names
