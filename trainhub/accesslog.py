"""gunicorn's access log without the secrets some addresses carry (a calendar feed's, a
one-time activation link's): ``gunicorn --logger-class trainhub.accesslog.RedactingLogger``
(as ``scripts/run.sh`` serves the application). The request line and the path are logged
with the secret blanked out (:func:`trainhub.security.loggable_path`)."""

from __future__ import annotations

from gunicorn.glogging import Logger

from trainhub.security import loggable_path


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U"):
            if isinstance(atoms.get(key), str):
                atoms[key] = loggable_path(atoms[key])
        return atoms
