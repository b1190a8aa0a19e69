"""Signals of the counties feature, for features above it to answer."""

from __future__ import annotations

from trainhub.figures import signals

#: Sent as ``send(None, keys=[county codes])`` by a county's page; a receiver answers a
#: :class:`trainhub.figures.Figure` (e.g. the organisations of each county).
county_figures = signals.signal("county-figures")
