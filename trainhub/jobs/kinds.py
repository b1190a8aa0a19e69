"""The registry of job kinds: what a ``Job.kind`` names and which function runs it.

Features declare their kinds in ``trainhub/<feature>/tasks.py`` with :func:`job_kind`
(imported from :mod:`trainhub.jobs.queue`, where the contract of a job function is
written); :func:`import_job_kinds` imports every such module when the application starts,
in the web processes and in ``trainhub worker`` alike.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import trainhub


@dataclass(frozen=True)
class JobKind:
    #: Dotted name stored in ``Job.kind``, e.g. ``demo.count``.
    name: str
    #: Default Chinese title of jobs of this kind.
    title: str
    #: ``func(ctx, **params)``; returns a JSON-serialisable dict (or None) as the job's result.
    func: Callable[..., dict | None]
    #: Template that shows the result on the job page (default: a generic key/value list).
    result_template: str | None = None


_KINDS: dict[str, JobKind] = {}


def job_kind(name: str, *, title: str, result_template: str | None = None):
    """Register the decorated function as the job kind ``name``."""

    def decorator(func):
        existing = _KINDS.get(name)
        if existing is not None and existing.func is not func:
            raise ValueError(f"job kind {name!r} is already registered")
        _KINDS[name] = JobKind(name=name, title=title, func=func, result_template=result_template)
        return func

    return decorator


def get_kind(name: str) -> JobKind | None:
    return _KINDS.get(name)


def job_kinds() -> dict[str, JobKind]:
    return dict(_KINDS)


def import_job_kinds() -> None:
    """Import ``trainhub.<feature>.tasks`` for every feature that has one."""
    for module in pkgutil.iter_modules(trainhub.__path__):
        if not module.ispkg:
            continue
        name = f"trainhub.{module.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
