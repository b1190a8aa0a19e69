"""Why an import is refused: the file, the whole import, or a change made meanwhile."""

from __future__ import annotations


class ImportRefused(ValueError):
    """The file (or the whole import) is refused; ``message`` is Chinese, nothing was written.

    ``field`` names the input at fault (``file``, ``enrol``, ``valid_only``); ``status`` is
    the HTTP status the web page and the API answer with."""

    status = 422

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message)
        self.message = message
        self.field = field


class ImportConflict(ImportRefused):
    """Someone registered one of the file's learners or organisations between the check and
    the write: the import wrote nothing and may be checked and confirmed again."""

    status = 409

    def __init__(self, message: str = "导入期间数据已被他人修改，未导入任何数据。请重新检查后再确认导入。"):
        super().__init__(message, field="file")
