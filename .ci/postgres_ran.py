"""Fail unless every test marked ``postgres`` ran and passed in the JUnit report.

    python .ci/postgres_ran.py JUNIT.xml

The expected tests come from pytest itself (``--collect-only -m postgres`` with
the same AFFIDAVIT_TEST_DATABASE_URL), the outcomes from the report that
``make test`` wrote. Missing, skipped, failed or errored PostgreSQL tests, or
none collected at all, fail the CI run: a suite that silently fell back to
SQLite-only is not a passing suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET


def _expected() -> set[tuple[str, str]]:
    """(classname, name) as JUnit spells them, for every collected postgres test."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-m",
            "postgres",
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode not in (0, 5):  # 5: nothing collected, reported below
        sys.exit(f"ci: collecting the postgres tests failed:\n{out.stdout}{out.stderr}")
    expected = set()
    for line in out.stdout.splitlines():
        if "::" not in line:
            continue
        # path::[Class::]name[params]; params may contain "::" (an IPv6 address).
        base, bracket, params = line.strip().partition("[")
        path, *classes, name = base.split("::")
        classname = ".".join([path.removesuffix(".py").replace("/", "."), *classes])
        expected.add((classname, name + bracket + params))
    return expected


def _outcomes(report: str) -> dict[tuple[str, str], str]:
    outcomes = {}
    # Our own pytest wrote this file a moment ago: not untrusted input.
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314
        key = (case.get("classname", ""), case.get("name", ""))
        tags = {child.tag for child in case}
        bad = tags & {"failure", "error", "skipped"}
        outcomes[key] = sorted(bad)[0] if bad else "passed"
    return outcomes


def main() -> None:
    if not os.environ.get("AFFIDAVIT_TEST_DATABASE_URL"):
        sys.exit("ci: AFFIDAVIT_TEST_DATABASE_URL is not set; the PostgreSQL tests cannot have run")
    expected = _expected()
    if not expected:
        sys.exit("ci: no tests marked postgres were collected; is AFFIDAVIT_TEST_DATABASE_URL set?")
    outcomes = _outcomes(sys.argv[1])
    problems = sorted(
        f"  {classname}.{name}: {outcomes.get((classname, name), 'did not run')}"
        for classname, name in expected
        if outcomes.get((classname, name)) != "passed"
    )
    if problems:
        sys.exit(
            f"ci: {len(problems)} of {len(expected)} PostgreSQL tests did not pass:\n"
            + "\n".join(problems)
        )
    print(f"ci: all {len(expected)} PostgreSQL tests ran and passed")


if __name__ == "__main__":
    main()
