"""Signals of the learners feature, for features above it to answer."""

from __future__ import annotations

from trainhub.figures import signals

#: Sent as ``send(None, learner=learner)`` by a learner's page and the trainee's own page
#: (``/me``), once the reader may see the learner; a receiver answers a
#: :class:`trainhub.figures.Section` (e.g. the learner's enrolments) or None.
learner_page_sections = signals.signal("learner-page-sections")
