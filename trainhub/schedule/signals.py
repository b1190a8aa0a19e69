"""Signals of the scheduling feature, for features above it to answer."""

from __future__ import annotations

from trainhub.figures import signals

#: Sent as ``send(None, keys=[session ids])`` before a session is deleted (and wherever a
#: page wants to say what is kept about sessions); a receiver answers a
#: :class:`trainhub.figures.Figure` counting, for each session, the records its feature
#: keeps about it (e.g. attendance rows, leave requests). A session with any is never
#: deleted, only cancelled.
session_figures = signals.signal("session-figures")
