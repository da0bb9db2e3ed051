"""What Meta refuses in a ``/messages`` body, for the message kinds DanceBot sends: text,
interactive reply buttons and lists, templates (developers.facebook.com/documentation/
business-messaging/whatsapp/messages/…). Missing or mistyped fields answer 100, values out of
range 131009, template problems 132000/132001, as the real API does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dancebot.testing.fake_whatsapp.graph import (
    FAILURES,
    GraphError,
    invalid_parameter,
    invalid_value,
)


def validate_message(body: Any, *, approved: Mapping[str, tuple[str, int]]) -> GraphError | None:
    """What Meta would refuse about a message body, or None when it would accept it."""
    if not isinstance(body, dict):
        return invalid_parameter("The request body must be a JSON object")
    if "messaging_product" not in body:
        return invalid_parameter("The parameter messaging_product is required.")
    if body["messaging_product"] != "whatsapp":
        return invalid_parameter("Param messaging_product must be one of {WHATSAPP}")
    to = body.get("to")
    if not isinstance(to, str) or not wa_id_of(to).isdigit():
        return invalid_parameter("The parameter to is required.")
    if body.get("recipient_type", "individual") != "individual":
        return invalid_parameter("Param recipient_type must be one of {INDIVIDUAL}")
    kind = body.get("type", "text")
    if kind == "text":
        return _check_text(body.get("text"))
    if kind == "interactive":
        return _check_interactive(body.get("interactive"))
    if kind == "template":
        return _check_template(body.get("template"), approved=approved)
    return invalid_parameter(
        f"Param type must be one of {{TEXT, INTERACTIVE, TEMPLATE}} - got {kind}"
    )


def _check_text(text: Any) -> GraphError | None:
    if not isinstance(text, dict) or not isinstance(text.get("body"), str):
        return invalid_parameter("The parameter text['body'] is required.")
    if not text["body"].strip() or len(text["body"]) > 4096:
        return invalid_value("Text body must be 1 to 4096 characters long")
    return None


def _check_interactive(interactive: Any) -> GraphError | None:
    if not isinstance(interactive, dict):
        return invalid_parameter("The parameter interactive is required.")
    body = interactive.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return invalid_parameter("The parameter interactive['body']['text'] is required.")
    if not body["text"].strip() or len(body["text"]) > 1024:
        return invalid_value("Body text must be 1 to 1024 characters long")
    action = interactive.get("action")
    if not isinstance(action, dict):
        return invalid_parameter("The parameter interactive['action'] is required.")
    if interactive.get("type") == "button":
        return _check_reply_buttons(action.get("buttons"))
    if interactive.get("type") == "list":
        return _check_list(action)
    return invalid_parameter("Param interactive['type'] must be one of {BUTTON, LIST}")


def _check_reply_buttons(buttons: Any) -> GraphError | None:
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return invalid_value("Buttons count is invalid. Min: 1, Max: 3")
    ids, titles = [], []
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) else None
        if button.get("type") != "reply" or not isinstance(reply, dict):
            return invalid_parameter(
                "Param interactive['action']['buttons'][]['type'] must be REPLY"
            )
        ids.append(reply.get("id"))
        titles.append(reply.get("title"))
    return _check_choices(ids, titles, id_max=256, title_max=20, what="Button")


def _check_list(action: dict[str, Any]) -> GraphError | None:
    label = action.get("button")
    if not isinstance(label, str) or not 1 <= len(label) <= 20:
        return invalid_value("Button title length invalid. Min length: 1, Max length: 20")
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        return invalid_value("Sections count is invalid. Min: 1, Max: 10")
    rows: list[Any] = []
    for section in sections:
        if not isinstance(section, dict) or not isinstance(section.get("rows"), list):
            return invalid_parameter(
                "The parameter interactive['action']['sections'][]['rows'] is required."
            )
        title = section.get("title")
        if len(sections) > 1 and (not isinstance(title, str) or not 1 <= len(title) <= 24):
            return invalid_value("Section title is required when there are several sections (≤ 24)")
        rows.extend(section["rows"])
    if not 1 <= len(rows) <= 10 or not all(isinstance(row, dict) for row in rows):
        return invalid_value("Total row count exceed max allowed count: 10")
    for row in rows:
        description = row.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 72):
            return invalid_value("Row description length invalid. Max length: 72")
    ids = [row.get("id") for row in rows]
    titles = [row.get("title") for row in rows]
    return _check_choices(ids, titles, id_max=200, title_max=24, what="Row")


def _check_choices(
    ids: list[Any], titles: list[Any], *, id_max: int, title_max: int, what: str
) -> GraphError | None:
    for choice_id, title in zip(ids, titles, strict=True):
        if not isinstance(choice_id, str) or not 1 <= len(choice_id) <= id_max:
            return invalid_value(f"{what} id length invalid. Min length: 1, Max length: {id_max}")
        if choice_id != choice_id.strip():
            return invalid_value(f"{what} id cannot have leading or trailing spaces")
        if not isinstance(title, str) or not 1 <= len(title) <= title_max:
            return invalid_value(
                f"{what} title length invalid. Min length: 1, Max length: {title_max}"
            )
    if len(set(ids)) != len(ids):
        return invalid_value(f"{what} id is not unique")
    if len(set(titles)) != len(titles):
        return invalid_value(f"{what} title is not unique")
    return None


def _check_template(template: Any, *, approved: Mapping[str, tuple[str, int]]) -> GraphError | None:
    if not isinstance(template, dict) or not isinstance(template.get("name"), str):
        return invalid_parameter("The parameter template['name'] is required.")
    language = template.get("language")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        return invalid_parameter("The parameter template['language']['code'] is required.")
    known = approved.get(template["name"])
    if known is None or known[0] != language["code"]:
        return FAILURES["132001"]
    components = template.get("components") or []
    if not isinstance(components, list):
        return invalid_parameter("Param template['components'] must be an array")
    params: list[Any] = []
    for component in components:
        if isinstance(component, dict) and component.get("type") == "body":
            params.extend(component.get("parameters") or [])
    for param in params:
        text = param.get("text") if isinstance(param, dict) else None
        if not isinstance(text, str) or param.get("type") != "text" or not text.strip():
            return invalid_parameter("Body parameters must be {type: text, text: non-empty}")
        if "\n" in text or "\t" in text or "     " in text:
            return invalid_parameter(
                "Param text cannot have new-line/tab characters or more than 4 consecutive spaces"
            )
    if len(params) != known[1]:
        return GraphError(
            400,
            132000,
            "Number of parameters does not match the expected number of params",
            f"body: number of localizable_params ({len(params)}) does not match the expected "
            f"number of params ({known[1]})",
        )
    return None


def wa_id_of(phone: str) -> str:
    """The wa_id for a ``to`` value: Meta takes the number with or without "+"."""
    return phone.strip().removeprefix("+")
