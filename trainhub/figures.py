"""What a feature contributes to the pages of a feature below it — counts (the learners of
an organisation on the organisation's page, the organisations of a county on the county's
page) and whole sections (a learner's enrolments on the learner's page) — without the lower
feature importing the upper one (dependencies flow one way).

A lower feature declares a signal (``trainhub.orgs.signals.organisation_figures``,
``trainhub.learners.signals.learner_page_sections``) and asks it with :func:`collect` (the
keys on its page) or :func:`collect_sections` (the record the page shows); an upper feature
connects a receiver that answers a :class:`Figure` for those keys (see
``trainhub.learners.queries``) or a :class:`Section` (see ``trainhub.courses.views``).
Pages and exports show whatever is connected, in ``order``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from blinker import Namespace
from flask import render_template, url_for
from markupsafe import Markup

signals = Namespace()


@dataclass(frozen=True)
class Figure:
    #: What is counted, as a name for page ids and the API: ``learners``, ``organisations``.
    name: str
    #: Chinese name of the count, e.g. ``学员``; also the export's column header.
    label: str
    #: Measure word after the number, e.g. ``名`` or ``个``.
    unit: str
    #: The count of each key asked for (keys without any are 0).
    counts: dict[Hashable, int]
    #: The page listing the counted records (``learners.list``), filtered by ``argument``=key;
    #: pages link to it only for readers it admits.
    endpoint: str | None = None
    argument: str | None = None
    #: Position among the figures of a page (lower first).
    order: int = 100

    def of(self, key: Hashable) -> int:
        return self.counts.get(key, 0)

    def url(self, key: Hashable) -> str | None:
        if self.endpoint is None:
            return None
        return url_for(self.endpoint, **({self.argument: key} if self.argument else {}))


def collect(signal, keys: Iterable[Hashable]) -> list[Figure]:
    """The figures every connected receiver answers for ``keys``, in their order."""
    keys = list(keys)
    answers = [figure for _, figure in signal.send(None, keys=keys) if figure is not None]
    return sorted(answers, key=lambda figure: (figure.order, figure.label))


@dataclass(frozen=True)
class Section:
    """A part of another feature's page: a template of the contributing feature, rendered
    with ``context`` (and the page's request, ``current_user`` …)."""

    template: str
    context: dict = field(default_factory=dict)
    #: Position among the sections of a page (lower first).
    order: int = 100

    def render(self) -> Markup:
        return Markup(render_template(self.template, **self.context))  # noqa: S704 (rendered by Jinja, escaped)


def collect_sections(signal, **record) -> list[Section]:
    """The sections every connected receiver answers for the page's ``record``
    (``learner=…``), in their order."""
    answers = [section for _, section in signal.send(None, **record) if section is not None]
    return sorted(answers, key=lambda section: (section.order, section.template))
