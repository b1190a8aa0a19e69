"""JSON API of this feature."""

from flask_smorest import Blueprint

blp = Blueprint("imports_api", __name__, url_prefix="/api/v1")
