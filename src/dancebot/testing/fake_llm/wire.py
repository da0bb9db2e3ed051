"""The two wire formats the fake speaks: reading a request into ``Recorded``'s fields and
writing answers and errors as Anthropic's Messages API and OpenAI's Chat Completions do
(https://docs.anthropic.com/en/api/messages, https://platform.openai.com/docs/api-reference/chat).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response


@dataclass(frozen=True)
class Parsed:
    model: str
    system: str
    user_texts: list[str]
    tools: list[str]
    temperature: float | None
    retry: bool
    size: int  # characters of the whole prompt (the fake's token count reads it)


def _texts(content: Any) -> list[str]:
    """The text parts of a message content (a string or a list of blocks)."""
    if isinstance(content, str):
        return [content]
    found: list[str] = []
    for block in content or []:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            found.append(block["text"])
        elif block.get("type") == "tool_result":
            found += _texts(block.get("content"))
    return found


def parse_anthropic(body: dict[str, Any]) -> Parsed:
    system = body.get("system") or ""
    system_text = system if isinstance(system, str) else "\n".join(_texts(system))
    user_texts: list[str] = []
    retry = False
    for message in body.get("messages", []):
        if message.get("role") == "assistant":
            retry = True
        else:
            user_texts += _texts(message.get("content"))
    return Parsed(
        model=str(body.get("model", "")),
        system=system_text,
        user_texts=user_texts,
        tools=[t["name"] for t in body.get("tools", []) if "name" in t],
        temperature=body.get("temperature"),
        retry=retry,
        size=len(json.dumps(body, ensure_ascii=False)),
    )


def parse_openai(body: dict[str, Any]) -> Parsed:
    system: list[str] = []
    user_texts: list[str] = []
    retry = False
    for message in body.get("messages", []):
        role = message.get("role")
        if role in ("system", "developer"):
            system += _texts(message.get("content"))
        elif role == "assistant":
            retry = True
        else:
            user_texts += _texts(message.get("content"))
    return Parsed(
        model=str(body.get("model", "")),
        system="\n".join(system),
        user_texts=user_texts,
        tools=[t["function"]["name"] for t in body.get("tools", []) if "function" in t],
        temperature=body.get("temperature"),
        retry=retry,
        size=len(json.dumps(body, ensure_ascii=False)),
    )


def tokens(characters: int) -> int:
    """The fake's token count: about four characters a token."""
    return max(1, characters // 4)


def anthropic_answer(
    parsed: Parsed, *, output: dict[str, Any] | None, text: str | None, tool: str | None
) -> JSONResponse:
    if output is not None and tool is not None:
        block: dict[str, Any] = {
            "type": "tool_use",
            "id": f"toolu_{uuid.uuid4().hex[:20]}",
            "name": tool,
            "input": output,
        }
        stop, size = "tool_use", len(json.dumps(output, ensure_ascii=False))
    else:
        block = {"type": "text", "text": text or ""}
        stop, size = "end_turn", len(text or "")
    return JSONResponse(
        {
            "id": f"msg_{uuid.uuid4().hex[:20]}",
            "type": "message",
            "role": "assistant",
            "model": parsed.model,
            "content": [block],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": tokens(parsed.size), "output_tokens": tokens(size)},
        }
    )


def openai_answer(
    parsed: Parsed, *, output: dict[str, Any] | None, text: str | None, tool: str | None
) -> JSONResponse:
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if output is not None and tool is not None:
        arguments = json.dumps(output, ensure_ascii=False)
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:20]}",
                "type": "function",
                "function": {"name": tool, "arguments": arguments},
            }
        ]
        finish, size = "tool_calls", len(arguments)
    else:
        message["content"] = text or ""
        finish, size = "stop", len(text or "")
    prompt, completion = tokens(parsed.size), tokens(size)
    return JSONResponse(
        {
            "id": f"chatcmpl-{uuid.uuid4().hex[:20]}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": parsed.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
    )


_ERRORS = {
    # status → (anthropic error type, openai error type, message)
    429: ("rate_limit_error", "rate_limit_exceeded", "Rate limit exceeded, retry later"),
    500: ("api_error", "server_error", "Internal server error"),
}


def error(api: str, status: int, *, retry_after: int | None = None) -> JSONResponse:
    anthropic_type, openai_type, message = _ERRORS[status]
    if api == "anthropic":
        body: dict[str, Any] = {
            "type": "error",
            "error": {"type": anthropic_type, "message": message},
        }
    else:
        body = {"error": {"message": message, "type": openai_type, "param": None, "code": None}}
    headers = {"retry-after": str(retry_after)} if retry_after is not None else None
    return JSONResponse(body, status_code=status, headers=headers)


def malformed() -> Response:
    return Response('{"id": "msg_1", "content": [{"type": "te', media_type="application/json")
