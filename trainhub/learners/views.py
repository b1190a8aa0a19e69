"""Web pages of this feature."""

from flask import Blueprint

bp = Blueprint("learners", __name__)
