"""Signals of the organisations feature, for features above it to answer."""

from __future__ import annotations

from trainhub.figures import signals

#: Sent as ``send(None, keys=[organisation ids])`` by the organisation list, page and export;
#: a receiver answers a :class:`trainhub.figures.Figure` (e.g. the learners of each).
organisation_figures = signals.signal("organisation-figures")
