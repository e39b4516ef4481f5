"""The GitHub Actions workflow cannot run here, so its YAML is validated: it must stay a thin wrapper over the
project's own commands (.ci/run, make book) and publish only from the default branch with the official actions."""

from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def steps_of(job):
    return job["steps"]


def test_it_runs_on_every_push_and_pull_request(workflow):
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as True
    assert "push" in triggers and "pull_request" in triggers
    assert triggers["push"] is None  # every branch


def test_the_test_job_runs_exactly_the_ci_script(workflow):
    runs = [step.get("run", "") for step in steps_of(workflow["jobs"]["test"])]
    assert "bash .ci/run" in runs
    assert workflow["jobs"]["test"]["env"]["CI"] == "true"
    # No logic of its own: every shell step is one of the project's commands.
    assert set(filter(None, runs)) <= {"bash .ci/run", "make book"}
    assert (ROOT / ".ci" / "run").exists()


def test_it_publishes_the_built_site_only_from_the_default_branch(workflow):
    test_steps = steps_of(workflow["jobs"]["test"])
    upload = next(s for s in test_steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    build = next(s for s in test_steps if s.get("run") == "make book")
    assert test_steps.index(build) < test_steps.index(upload)
    for step in (build, upload):
        assert "default_branch" in step["if"] and "push" in step["if"]

    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "test"
    assert "default_branch" in publish["if"]
    assert publish["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in steps_of(publish))
    assert publish["environment"]["name"] == "github-pages"


def test_the_readme_commands_exist_in_the_makefile():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("book:", "test:", "serve:", "venv:"):
        assert f"\n{target}" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()
