"""Deterministic sample data for the demo, the tests and the benchmarks.

Nothing here is real and nothing in the runtime packages imports it:
:mod:`affidavit.samples.alerts` makes vendor alerts of an invented organisation,
:mod:`affidavit.samples.secrets` makes real-format (but invented) secrets and
personal data for the detectors.
"""
