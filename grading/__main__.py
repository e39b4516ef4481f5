"""``python -m grading``: the same as ``lstm-grade``."""

from .cli import main

raise SystemExit(main())
