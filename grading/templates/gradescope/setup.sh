#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu, with apt).
# It installs the course: its grader and its released exercise notebooks grade every submission.
set -euo pipefail

# The course to grade with. Either put a copy of your checkout in the zip, in a folder named `course`,
# or give your repository and a commit: a commit, not a branch, so that every student is graded alike.
COURSE_REPO="https://github.com/YOUR-ACCOUNT/lstm-from-scratch.git"
COURSE_COMMIT="REPLACE-WITH-THE-COMMIT-TO-GRADE-WITH"
# The extra of the course's pyproject.toml that holds the grader's tools (nbval, pytest, ipykernel).
COURSE_EXTRAS="test"
COURSE_DIR=/opt/lstm-course
# The student's code runs as this user, who owns nothing and cannot change the grader.
GRADER_USER=lstm-student

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip git ca-certificates

if [ -d /autograder/source/course ]; then
    cp -r /autograder/source/course "$COURSE_DIR"
else
    git clone --quiet "$COURSE_REPO" "$COURSE_DIR"
    git -C "$COURSE_DIR" checkout --quiet --detach "$COURSE_COMMIT"
fi
python3 -m venv "$COURSE_DIR/.venv"
"$COURSE_DIR/.venv/bin/python" -m pip install --quiet --upgrade pip
"$COURSE_DIR/.venv/bin/python" -m pip install --quiet -e "$COURSE_DIR[$COURSE_EXTRAS]"
chmod -R a+rX,go-w "$COURSE_DIR"

id -u "$GRADER_USER" >/dev/null 2>&1 || useradd --create-home --shell /usr/sbin/nologin "$GRADER_USER"

# A last look that the grader runs: prints lstm-grade's usage, or fails the image build here.
"$COURSE_DIR/.venv/bin/python" -m grading --help >/dev/null
