"""Generate the learner's exercise notebooks from the solved ones: ``python -m grading.generate``.

``exercises/solutions/NN_topic.ipynb`` is the source of truth; this writes ``exercises/NN_topic.ipynb`` with every
solution replaced by ``# YOUR CODE HERE`` / ``raise NotImplementedError()``. With ``--check`` it writes nothing and
exits 1 when a learner notebook is out of date (``make test`` has a test that does the same).
"""

import argparse
import sys
from pathlib import Path

from .notebooks import exercises_folder, generated_text, solution_paths


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report out-of-date notebooks (exit 1 if any)")
    parser.add_argument("--solutions", type=Path, default=None, help="folder of solved notebooks "
                        "(default: exercises/solutions)")
    parser.add_argument("--out", type=Path, default=None, help="folder to write to (default: exercises)")
    args = parser.parse_args(argv)
    out = args.out or exercises_folder()
    stale = []
    paths = solution_paths(args.solutions)
    if not paths:
        print("no solved notebooks (NN_*.ipynb) found", file=sys.stderr)
        return 2
    for path in paths:
        text = generated_text(path)
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
