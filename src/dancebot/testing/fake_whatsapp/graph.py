"""Graph API error answers, as Meta documents them (developers.facebook.com/documentation/
business-messaging/whatsapp/support/error-codes): ``{"error": {"message": "(#CODE) Title",
"type": "OAuthException", "code", "error_data": {"messaging_product": "whatsapp", "details"},
"fbtrace_id"}}``; an invalid token is HTTP 401 with code 190."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse


@dataclass(frozen=True, slots=True)
class GraphError:
    """One Graph API error answer."""

    status: int
    code: int
    title: str
    details: str
    subcode: int | None = None

    def response(self) -> JSONResponse:
        error: dict[str, Any] = {
            "message": f"(#{self.code}) {self.title}",
            "type": "OAuthException",
            "code": self.code,
            "error_data": {"messaging_product": "whatsapp", "details": self.details},
            "fbtrace_id": "A" + secrets.token_hex(10),
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        return JSONResponse({"error": error}, status_code=self.status)


def invalid_value(details: str) -> GraphError:
    """131009: a field is there but its value is out of range (too long, too many…)."""
    return GraphError(400, 131009, "Parameter value is not valid", details)


def invalid_parameter(details: str) -> GraphError:
    """100: a field is missing or of the wrong type."""
    return GraphError(400, 100, "Invalid parameter", details)


BAD_TOKEN = GraphError(401, 190, "Invalid OAuth access token - Cannot parse access token", "")

# What ``fail_next(kind)`` answers; "timeout" (a slow answer) is handled apart.
FAILURES: Mapping[str, GraphError] = {
    "429": GraphError(429, 4, "Application request limit reached", "Too many calls"),
    "80007": GraphError(400, 80007, "Rate limit issues", "WABA rate limit reached"),
    "130429": GraphError(
        400, 130429, "Rate limit hit", "Cloud API message throughput has been reached."
    ),
    "131056": GraphError(
        400,
        131056,
        "(Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from this phone number to the same phone number recently.",
    ),
    "500": GraphError(500, 131000, "Something went wrong", "Message failed to send."),
    "503": GraphError(503, 131016, "Service unavailable", "A service is temporarily down."),
    "131047": GraphError(
        400,
        131047,
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    "131026": GraphError(400, 131026, "Message undeliverable", "Unable to deliver message."),
    "132001": GraphError(
        404, 132001, "Template name does not exist in the translation", "template not found"
    ),
    "190": BAD_TOKEN,
}
FAILURE_KINDS = frozenset({*FAILURES, "timeout"})
