"""Web pages of this feature."""

from flask import Blueprint

bp = Blueprint("imports", __name__)
