"""Web pages of this feature."""

from flask import Blueprint

bp = Blueprint("geo", __name__)
