"""The unit of work: one transaction per request, per ``trainhub`` command and per job step.

Operations flush and never commit; neither do views, API functions, commands or helpers.
The transaction ends here, in one place for each kind of entry point:

* a web page or API call commits after a handler that answered a status below 400, and
  rolls back after any other answer or any exception (:func:`init_app`) — so a view that
  refuses something answers 4xx, and whatever the refused attempt flushed is undone;
* a ``trainhub`` command commits once when it ends without error and rolls back otherwise
  (:func:`commit_once`, applied to every command by :mod:`trainhub.cli`);
* a background job commits once per step (:mod:`trainhub.jobs.queue`).

A database conflict — a unique constraint that a concurrent request won between the checks
of an operation and its write — is answered in one place too (:func:`conflict_response`):
a 409 problem document under ``/api/`` naming the field, a Chinese page otherwise. The
message comes from the constraint itself: declare it on the model as
``info={"conflict": (field, message)}`` on the constraint or on a ``unique=True`` column.

Writes that must survive whatever becomes of the unit of work — the audit entry of a refused
sign-in, a sign-in failure counter, a token's last use — say so explicitly with
:func:`durable`. Work to do only once the unit of work has committed (writing a file that
lists what was just created, telling a queue) registers with :func:`after_commit`.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
import sqlalchemy as sa
from flask import Flask, has_app_context, render_template, request
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from trainhub.api import is_api_request, problem
from trainhub.extensions import db
from trainhub.security import loggable_path

log = logging.getLogger(__name__)

#: Said when a conflict's constraint carries no message of its own.
CONFLICT_MESSAGE = "保存时与其他人刚提交的数据冲突，未保存任何更改。请刷新后重试。"
#: ``session.info`` key of the callables to run once the transaction has committed.
_AFTER_COMMIT = "trainhub_after_commit"


# the request -------------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """End every request's transaction: commit after success, roll back otherwise.

    Registered after every other ``after_request`` function so that it runs first (Flask
    runs them in reverse): a conflict's answer still gets the security headers.
    """
    app.after_request(finish_request)


def finish_request(response):
    """Commit when the handler answered below 400; otherwise roll back. A conflict found on
    commit replaces the answer with a 409."""
    if response.status_code >= 400:
        rollback()
        return response
    try:
        commit()
    except IntegrityError as error:
        rollback()
        return conflict_response(error)
    except SQLAlchemyError:
        rollback()
        raise
    return response


def commit() -> None:
    """Commit the unit of work and run what waited for it (:func:`after_commit`)."""
    session = db.session
    session.commit()
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


def rollback() -> None:
    session = db.session
    session.info.pop(_AFTER_COMMIT, None)
    try:
        session.rollback()
    except SQLAlchemyError:  # the connection itself may be what failed
        log.exception("rollback failed")


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current unit of work has committed (never after a rollback)."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


# conflicts -------------------------------------------------------------------------------------

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")


def _conflicting_constraint(error: IntegrityError) -> sa.Constraint | None:
    """The model constraint a database refused, found by its name (PostgreSQL) or its
    table and columns (SQLite names only those)."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    tables = db.metadata.tables.values()
    if name:
        for table in tables:
            for constraint in table.constraints:
                if constraint.name == name:
                    return constraint
        return None
    match = _SQLITE_UNIQUE.search(str(error.orig))
    if match is None:
        return None
    columns = [part.strip().split(".", 1) for part in match[1].split(",")]
    if not columns or any(len(part) != 2 for part in columns):
        return None
    table = db.metadata.tables.get(columns[0][0])
    wanted = {column for _, column in columns}
    for constraint in table.constraints if table is not None else ():
        if isinstance(constraint, sa.UniqueConstraint) and {c.name for c in constraint.columns} == wanted:
            return constraint
    return None


def conflict_of(error: IntegrityError) -> tuple[str | None, str]:
    """``(field, message)`` of a refused write: the constraint's declared conflict, if any."""
    constraint = _conflicting_constraint(error)
    declared = None
    if constraint is not None:
        declared = constraint.info.get("conflict")
        columns = list(getattr(constraint, "columns", ()))
        if declared is None and len(columns) == 1:
            declared = columns[0].info.get("conflict")
    if declared is None:
        return None, CONFLICT_MESSAGE
    return declared


def conflict_response(error: IntegrityError):
    """409: a problem document naming the field under ``/api/``, a Chinese page otherwise."""
    field, message = conflict_of(error)
    log.info("conflict on %s %s: %s", request.method, loggable_path(request.path), type(error.orig).__name__)
    if is_api_request():
        return problem(409, message, errors={field: [message]} if field else None)
    body = render_template("errors/error.html", status=409, title="与现有数据冲突",
                           message=f"{message}未保存任何更改。" if message != CONFLICT_MESSAGE
                           else message, reference=None)
    return body, 409


# commands --------------------------------------------------------------------------------------


def commit_once(command: click.Command) -> click.Command:
    """Make ``command`` (and every subcommand of a group) one unit of work: commit when it
    ends without error (or with exit code 0), roll back when it fails."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            commit_once(sub)
    callback = command.callback
    if callback is None or getattr(callback, "_trainhub_unit_of_work", False):
        return command

    @functools.wraps(callback)
    def run(*args, **kwargs):
        try:
            result = callback(*args, **kwargs)
        except click.exceptions.Exit as exit_:
            if exit_.exit_code == 0:
                _end_command(success=True)
            else:
                _end_command(success=False)
            raise
        except BaseException:
            _end_command(success=False)
            raise
        _end_command(success=True)
        return result

    run._trainhub_unit_of_work = True
    command.callback = run
    return command


def _end_command(*, success: bool) -> None:
    if not has_app_context():
        return
    if success:
        commit()
    else:
        rollback()


# writes that outlive the unit of work ------------------------------------------------------------


@contextmanager
def durable() -> Iterator[Session]:
    """A session of its own whose writes are committed at once, whatever becomes of the
    current unit of work: for what must be kept even when the request is refused (the audit
    entry of a failed sign-in, a failure counter, a token's last use).

    Use it before the unit of work has written anything: on SQLite the database has one
    writer at a time, and this session would wait for the request's own.
    """
    session = Session(bind=db.engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# all or nothing inside the unit of work -----------------------------------------------------------


@contextmanager
def savepoint(table: sa.Table) -> Iterator[None]:
    """The block's writes inside a SAVEPOINT: an exception raised in it leaves the session as
    it was before the block (a bulk write refused half-way, e.g. an import meeting data
    someone else saved since its dry run), while the unit of work goes on and decides.

    SQLite's Python driver opens its transaction only at the first write statement; a
    SAVEPOINT issued before it would open the transaction itself, and releasing the
    savepoint would commit it, whatever the request then decides. A write to ``table`` (one
    the block writes) that changes nothing makes the driver open the unit of work's
    transaction first, so that the savepoint nests inside it.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.update(table).where(sa.false()).values({table.c.id: table.c.id}))
    with db.session.begin_nested():
        yield
