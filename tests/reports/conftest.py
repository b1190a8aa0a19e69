"""Fixtures of the report tests: the world of :mod:`org_world`."""

from org_world import as_dicts, org_world, read_workbook  # noqa: F401 (fixtures)
