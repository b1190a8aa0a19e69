"""Forms of the jobs pages: buttons with nothing to fill in but the CSRF token."""

from flask_wtf import FlaskForm

#: Shown when a button's form comes back without a valid CSRF token.
EXPIRED = "表单已过期，请刷新页面后重新提交。"


class StartDemoJobForm(FlaskForm):
    """Starts the demo job."""


class RerunJobForm(FlaskForm):
    """Reruns an interrupted job."""
