"""The ``trainhub`` command group: Flask's commands plus each feature's."""

from __future__ import annotations

from flask.cli import FlaskGroup


def _create_app():
    from trainhub import create_app

    return create_app()


def register_commands(app) -> None:
    """Attach each feature's commands to ``app.cli`` (called by the factory)."""
    from trainhub.accounts.cli import commands as accounts_commands
    from trainhub.demo.cli import commands as demo_commands
    from trainhub.geo.cli import commands as geo_commands
    from trainhub.imports.cli import commands as imports_commands
    from trainhub.jobs.cli import commands as jobs_commands
    from trainhub.learners.cli import commands as learners_commands

    for command in (*accounts_commands, *geo_commands, *demo_commands, *jobs_commands,
                    *learners_commands, *imports_commands):
        app.cli.add_command(command)


main = FlaskGroup(create_app=_create_app, add_version_option=False, help="trainhub 运维命令")
