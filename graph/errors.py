"""Errors raised by every store backend, so callers never see driver or sqlite errors."""


class StoreError(Exception):
    """Base class of store errors; the message is meant for the user."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or opened (server down, unwritable file)."""


class InvalidReference(StoreError):
    """A write refers to something that does not exist (an unknown skill id)."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing
