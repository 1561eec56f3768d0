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
