"""Errors split by who is at fault: the caller (UserError) or a dependency (DependencyError)."""


class DesignReviewError(Exception):
    """Base of every error the project raises on purpose."""


class UserError(DesignReviewError):
    """The caller sent something we cannot review; the message says what to fix."""

    status_code = 422


class DocumentTooLarge(UserError):
    """The document is over a configured size limit."""

    status_code = 413


class CorpusError(DesignReviewError):
    """The corpus on disk is malformed or does not define the rubric."""


class DependencyError(DesignReviewError):
    """A component the review needs (model, store) is missing or broken; the message names the fix."""


class ModelMissing(DependencyError):
    """The packaged embedding model is not installed."""


class StoreNotReady(DependencyError):
    """The Chroma store has not been ingested or cannot be opened."""


class Refused(DesignReviewError):
    """A request refused by a limit: status code, message and the seconds to wait before a retry."""

    def __init__(self, status_code: int, message: str, retry_after: int | None = None,
                 reason: str = "busy") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after
        self.reason = reason  # the metrics label: busy | timeout


class Cancelled(DesignReviewError):
    """A review stopped before its end (it ran past its time; its slot is free again)."""
