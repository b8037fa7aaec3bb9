"""Hosted chat models over their HTTP APIs (httpx, their real wire formats).

- `OpenAICompatibleProvider`: OpenAI's Chat Completions (`POST {base}/chat/completions`, Bearer key), Azure OpenAI
  (`POST {resource}/openai/deployments/{deployment}/chat/completions?api-version=…`, `api-key` header) and
  self-hosted servers that speak the same API (vLLM, llama.cpp server, Ollama's /v1). Tools are `tools` of type
  `function`; the model's `tool_calls` come back with JSON-encoded `arguments`, and each result goes back as a
  `role: tool` message with its `tool_call_id`.
- `GeminiProvider`: the Gemini API's `models/{model}:generateContent` (the REST format google-genai speaks):
  `contents` of `user`/`model` turns made of `parts`, tools as `functionDeclarations`, a `functionCall` part from
  the model and a `functionResponse` part with the results on the second call (seed 004 §3.2).

Both raise ProviderError on a timeout, an HTTP error or a body that is not the format; the orchestrator answers
with the fallback message then (never a 500).
"""

import json
import uuid

import httpx

from .base import ProviderError, Reply, Request, ToolCall, Turn, facts_block, sources_block

OPENAI_BASE = "https://api.openai.com/v1"
GEMINI_BASE = "https://generativelanguage.googleapis.com/v1beta"


def _system_text(request: Request) -> str:
    return "\n\n".join(
        part for part in (request.system, facts_block(request.facts), sources_block(request.sources)) if part
    )


def _post(client: httpx.Client, url: str, *, headers: dict, body: dict, timeout: float) -> dict:
    try:
        response = client.post(url, headers=headers, json=body, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise ProviderError(f"The provider did not answer within {timeout:g} s.", kind="timeout") from exc
    except httpx.HTTPError as exc:
        raise ProviderError(f"The provider could not be reached: {exc.__class__.__name__}.", kind="http") from exc
    if response.status_code >= 400:
        raise ProviderError(f"The provider answered HTTP {response.status_code}.", kind="http")
    try:
        data = response.json()
    except ValueError as exc:
        raise ProviderError("The provider's answer is not JSON.", kind="malformed") from exc
    if not isinstance(data, dict):
        raise ProviderError("The provider's answer is not a JSON object.", kind="malformed")
    return data


class OpenAICompatibleProvider:
    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "",
        azure: bool = False,
        api_version: str = "2024-10-21",
        client: httpx.Client | None = None,
    ) -> None:
        self.api_key, self.azure, self.api_version = api_key, azure, api_version or "2024-10-21"
        self.base_url = (base_url or OPENAI_BASE).rstrip("/")
        self.client = client or httpx.Client()
        if azure:
            self.name = "azure"

    def url(self, model: str) -> str:
        if self.azure:
            return f"{self.base_url}/openai/deployments/{model}/chat/completions?api-version={self.api_version}"
        return f"{self.base_url}/chat/completions"

    def headers(self) -> dict:
        if self.azure:
            return {"api-key": self.api_key}
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    @staticmethod
    def message(turn: Turn) -> dict:
        if turn.role == "tool":
            return {"role": "tool", "tool_call_id": turn.tool_call_id, "content": json.dumps(turn.result, default=str)}
        if turn.role == "assistant" and turn.tool_calls:
            return {
                "role": "assistant",
                "content": turn.text or None,
                "tool_calls": [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                    for c in turn.tool_calls
                ],
            }
        return {"role": turn.role, "content": turn.text}

    def body(self, request: Request) -> dict:
        body: dict = {
            "model": request.model,
            "messages": [{"role": "system", "content": _system_text(request)}]
            + [self.message(t) for t in request.turns],
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                }
                for t in request.tools
            ]
        return body

    def complete(self, request: Request) -> Reply:
        data = _post(
            self.client,
            self.url(request.model),
            headers=self.headers(),
            body=self.body(request),
            timeout=request.timeout,
        )
        try:
            message = data["choices"][0]["message"]
            calls = [
                ToolCall(
                    id=call.get("id") or uuid.uuid4().hex,
                    name=call["function"]["name"],
                    arguments=json.loads(call["function"].get("arguments") or "{}"),
                )
                for call in message.get("tool_calls") or []
            ]
            text = message.get("content") or ""
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ProviderError(
                "The provider's answer is not in the Chat Completions format.", kind="malformed"
            ) from exc
        if any(not isinstance(c.arguments, dict) for c in calls) or not isinstance(text, str):
            raise ProviderError("The provider's tool call arguments are not an object.", kind="malformed")
        return Reply(text=text, tool_calls=calls, confidence=0.8, raw=data)


def _gemini_schema(schema: dict) -> dict:
    """JSON Schema → the OpenAPI subset Gemini declares parameters in (no additionalProperties)."""
    out = {k: v for k, v in schema.items() if k not in ("additionalProperties", "$schema")}
    if "properties" in out:
        out["properties"] = {k: _gemini_schema(v) for k, v in out["properties"].items()}
    if "items" in out:
        out["items"] = _gemini_schema(out["items"])
    return out


class GeminiProvider:
    name = "gemini"

    def __init__(self, *, api_key: str, base_url: str = "", client: httpx.Client | None = None) -> None:
        self.api_key = api_key
        self.base_url = (base_url or GEMINI_BASE).rstrip("/")
        self.client = client or httpx.Client()

    @staticmethod
    def content(turn: Turn) -> dict:
        if turn.role == "tool":
            result = turn.result if isinstance(turn.result, dict) else {"result": turn.result}
            return {"role": "user", "parts": [{"functionResponse": {"name": turn.tool_name, "response": result}}]}
        if turn.role == "assistant":
            parts: list[dict] = [{"text": turn.text}] if turn.text else []
            parts += [{"functionCall": {"name": c.name, "args": c.arguments}} for c in turn.tool_calls]
            return {"role": "model", "parts": parts}
        return {"role": "user", "parts": [{"text": turn.text}]}

    def body(self, request: Request) -> dict:
        body: dict = {
            "systemInstruction": {"parts": [{"text": _system_text(request)}]},
            "contents": [self.content(t) for t in request.turns],
            "generationConfig": {"temperature": request.temperature, "maxOutputTokens": request.max_tokens},
        }
        if request.tools:
            body["tools"] = [
                {
                    "functionDeclarations": [
                        {"name": t.name, "description": t.description, "parameters": _gemini_schema(t.parameters)}
                        for t in request.tools
                    ]
                }
            ]
        return body

    def complete(self, request: Request) -> Reply:
        url = f"{self.base_url}/models/{request.model}:generateContent"
        data = _post(
            self.client, url, headers={"x-goog-api-key": self.api_key}, body=self.body(request), timeout=request.timeout
        )
        try:
            parts = data["candidates"][0]["content"]["parts"]
            text = "".join(p["text"] for p in parts if "text" in p)
            calls = [
                ToolCall(
                    id=uuid.uuid4().hex, name=p["functionCall"]["name"], arguments=p["functionCall"].get("args") or {}
                )
                for p in parts
                if "functionCall" in p
            ]
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderError(
                "The provider's answer is not in the generateContent format.", kind="malformed"
            ) from exc
        if any(not isinstance(c.arguments, dict) for c in calls):
            raise ProviderError("The provider's function call arguments are not an object.", kind="malformed")
        return Reply(text=text, tool_calls=calls, confidence=0.8, raw=data)
