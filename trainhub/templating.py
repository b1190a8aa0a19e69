"""Template filters and globals: local time, labels, masked values, navigation."""

from __future__ import annotations

from zoneinfo import ZoneInfo


def init_templating(app) -> None:
    zone = ZoneInfo(app.config["TIMEZONE"])

    @app.template_filter("localtime")
    def localtime(value, fmt: str = "%Y-%m-%d %H:%M"):
        """A UTC timestamp shown in Asia/Shanghai."""
        if value is None:
            return ""
        return value.astimezone(zone).strftime(fmt)
