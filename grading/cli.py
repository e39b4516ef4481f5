"""``lstm-grade``: grade exercise notebooks (``python -m grading`` works too).

    lstm-grade exercises/01_cell_forward.ipynb               one notebook: a score table; exit 0 when all passed
    lstm-grade submissions/ -j 4 --out grades/               a class: grades.csv, grades.json, mistakes.csv

Grading RUNS the notebook's code with your permissions. Grade notebooks you did not write in a sandbox, a
container or as a throwaway user. The work is done by :mod:`grading.grader`.
"""

import argparse
import sys
from pathlib import Path

EPILOG = """\
Only the answer cells (tagged `answer`) of a submission are graded. A cell that breaks a rule of answers (imports
other than numpy and math, Python internals, rebinding the notebook's names) scores 0. The others run with nbval
in a notebook where the course's packages cannot be imported, on hidden cases; the same verdict as the notebook's
check cell is applied outside. Time limits hold per cell and per notebook. Students are named by file name
(alice.ipynb -> alice), or by folder name for a folder of folders (class/alice/*.ipynb -> alice).
Exit status: 0 when every exercise passed, 1 when one failed, 2 when a file could not be graded.
"""


def main(argv=None):
    parser = argparse.ArgumentParser(prog="lstm-grade", description="Grade LSTM exercise notebooks.",
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="notebooks, or folders of submissions")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="notebooks graded at the same time (default 1)")
    parser.add_argument("--set", dest="expected_set", help="the set every notebook must belong to (01 or "
                        "01_cell_forward); another set is an error")
    parser.add_argument("--cell-timeout", type=float, default=60, help="seconds one cell may run (default 60)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds one notebook may run in all "
                        "(default: the cell timeout times the number of code cells, plus 60)")
    parser.add_argument("--json", metavar="PATH", help="write the table as JSON (- for standard output)")
    parser.add_argument("--csv", metavar="PATH", help="write one row per student and exercise as CSV "
                        "(- for standard output)")
    parser.add_argument("--out", metavar="DIR", type=Path, help="write grades.csv, grades.json and mistakes.csv "
                        "into DIR")
    parser.add_argument("--exercises", metavar="DIR", help="folder of the released learner notebooks "
                        "(default: the repository's exercises/)")
    parser.add_argument("--seed", type=int, default=None, help="draw the hidden cases from this seed (default: a "
                        "new seed for every run, written to the JSON)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print no table")
    args = parser.parse_args(argv)

    from grading import grader  # imported here so that `lstm-grade --help` is instant

    try:
        expected = grader.resolve_set(args.expected_set, args.exercises) if args.expected_set else None
    except grader.SubmissionError as error:
        print(f"lstm-grade: {error}", file=sys.stderr)
        return 2
    submissions = grader.collect_submissions(args.paths)
    missing = [str(path) for _, path in submissions if not Path(path).exists()]
    if missing:
        print(f"lstm-grade: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not submissions:
        print("lstm-grade: nothing to grade", file=sys.stderr)
        return 2
    many = len(submissions) > 1 or any(Path(p).is_dir() for p in args.paths)

    def progress(grade):
        if many and not args.quiet:
            print(f"graded {grade.student}: {grade.path} ({grade.status})", file=sys.stderr, flush=True)

    grades = grader.grade_many(submissions, jobs=args.jobs, progress=progress, released_folder=args.exercises,
                               expected_set=expected, cell_timeout=args.cell_timeout, total_timeout=args.timeout,
                               seed=args.seed)
    # With --json - (or --csv -) standard output carries the data alone, so the table goes to standard error.
    table_stream = sys.stderr if "-" in (args.json, args.csv) else sys.stdout
    if not args.quiet:
        for grade in grades:
            if grade.error:
                print(f"lstm-grade: {grade.path}: {grade.error}", file=sys.stderr)
            else:
                print(grader.format_notebook(grade), file=table_stream)
        if many:
            print(file=table_stream)
            print(grader.format_class(grades), file=table_stream)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        grader.write_csv(grader.rows_of(grades), grader.ROW_FIELDS, args.out / "grades.csv")
        grader.write_json(grades, args.out / "grades.json")
        mistakes = [{**m, "students": " ".join(m["students"])} for m in grader.common_mistakes(grades)]
        grader.write_csv(mistakes, ("set", "exercise", "hint", "count", "students"), args.out / "mistakes.csv")
    if args.csv:
        grader.write_csv(grader.rows_of(grades), grader.ROW_FIELDS, args.csv)
    if args.json:
        grader.write_json(grades, args.json)
    return grader.exit_code(grades)


if __name__ == "__main__":
    sys.exit(main())
