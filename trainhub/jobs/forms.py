"""Forms of the jobs pages."""

from flask_wtf import FlaskForm


class StartDemoJobForm(FlaskForm):
    """Starts the demo job; nothing to fill in but the CSRF token."""
