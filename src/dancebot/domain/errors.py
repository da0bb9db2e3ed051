"""Typed CRM failures. Adapters raise these; the dialogue turns each into a helpful reply.

Two families: the CRM *answered* and refused (``CrmRefusal``: the request was understood and
cannot be done — retrying will not help), and the CRM could not be *reached or understood*
(``CrmUnavailable``: down, slow, rate-limited, an HTML page instead of data — the request may
still be fine and goes to the fallback queue).
"""

from __future__ import annotations


class CrmError(Exception):
    """Base of every CRM failure."""


class CrmRefusal(CrmError):
    """The CRM understood the request and refused it."""


class NotFound(CrmRefusal):
    """The lesson, client or reservation does not exist (any more)."""


class LessonFull(CrmRefusal):
    """No free places left on the lesson."""


class AlreadyBooked(CrmRefusal):
    """The client already holds a reservation for this lesson."""


class LessonInPast(CrmRefusal):
    """The lesson has already started or is over."""


class InvalidRequest(CrmRefusal):
    """The CRM rejected the request's data (a validation error on its side)."""


class CrmUnavailable(CrmError):
    """The CRM could not be reached or did not answer with data."""


class CrmTimeout(CrmUnavailable):
    """No answer within the configured timeout."""


class CrmServerError(CrmUnavailable):
    """HTTP 5xx."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class CrmRateLimited(CrmUnavailable):
    """HTTP 429. ``retry_after`` is in seconds when the CRM said so."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CrmAuthError(CrmUnavailable):
    """The API key was refused. Impulse answers this with HTTP 200 and an HTML login page."""


class CrmBadResponse(CrmUnavailable):
    """The CRM answered something that is not the data we asked for (an HTML 404, bad JSON)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
