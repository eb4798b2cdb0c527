"""LLM backends behind one interface: ``chat(messages) -> str``.

``openai`` talks to any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp
server) through langchain-openai's ``ChatOpenAI``; the key comes from ``OPENAI_API_KEY``
only (never the command line, never logged). Transport errors are retried with
exponential backoff; an unreachable endpoint or a missing key becomes a one-line
:class:`~chipsmith.errors.BackendError` (exit 2). ``llamacpp`` runs a local GGUF file
through llama-cpp-python (optional, import-guarded) with a GBNF grammar that forces a
fenced netlist or a JSON object.

All LLM traffic goes through :class:`Backend`, so tests point it at a local server.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from chipsmith.errors import BackendError, InputError

BACKENDS = ("expert", "openai", "llamacpp")
DEFAULT_MODE = {"expert": "expert", "openai": "full", "llamacpp": "hybrid"}
MODES = ("full", "hybrid")


class Backend(Protocol):
    name: str
    model: str
    calls: list  # one LLMCall per answered request, in order

    def chat(self, messages: Sequence[dict[str, str]], *, json_mode: bool = False) -> str:
        """Send ``[{"role": ..., "content": ...}]``; return the assistant's text."""


class LLMRequestError(BackendError):
    """The endpoint answered but refused this one request (e.g. HTTP 400: the prompt is
    longer than the model's context). The request fails; the endpoint itself is fine, so a
    benchmark scores the problem as refused instead of stopping."""


@dataclass(frozen=True)
class LLMCall:
    """One answered request: the token counts the endpoint reported and its wall time."""

    prompt_tokens: int
    completion_tokens: int
    seconds: float


def usage_summary(calls: Sequence[LLMCall]) -> dict:
    """Requests, prompt/completion/total tokens and wall seconds (sum, median) of ``calls``;
    ``each``: [prompt_tokens, completion_tokens, seconds] per request."""
    import statistics

    secs = [c.seconds for c in calls]
    prompt = sum(c.prompt_tokens for c in calls)
    completion = sum(c.completion_tokens for c in calls)
    return {"requests": len(calls), "prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion, "request_seconds": sum(secs),
            "median_request_seconds": statistics.median(secs) if secs else None,
            "each": [[c.prompt_tokens, c.completion_tokens, round(c.seconds, 3)] for c in calls]}


def redact(text: str, secrets: Sequence[str | None]) -> str:
    """``text`` with every secret replaced by ``***`` (for transcripts and error messages)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


@dataclass
class OpenAIBackend:
    """langchain-openai ``ChatOpenAI`` with retries and one-line errors."""

    model: str = "gpt-4o"
    base_url: str | None = None
    retries: int = 3
    backoff_s: float = 0.5
    timeout_s: float = 60.0
    seed: int | None = 0
    temperature: float = 0.0
    max_tokens: int | None = None  # cap on each answer (a small local model may ramble to its context end)
    json_format: bool = True  # ask for response_format json_object where the step wants JSON
    name: str = "openai"
    tokens: int = 0  # total tokens the endpoint reported so far
    calls: list = field(default_factory=list)  # LLMCall per answered request

    def __post_init__(self) -> None:
        self._key = os.environ.get("OPENAI_API_KEY")
        if not self._key:
            raise BackendError("OPENAI_API_KEY is not set", where="--backend openai",
                               fix="export OPENAI_API_KEY=... (any non-empty value for local servers)")
        self.base_url = self.base_url or os.environ.get("OPENAI_BASE_URL") or None
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:  # pragma: no cover - a dependency of chipsmith
            raise BackendError("langchain-openai is not installed", fix="pip install langchain-openai") from exc
        kwargs = dict(model=self.model, api_key=self._key, temperature=self.temperature, max_retries=0,
                      timeout=self.timeout_s)
        if self.base_url:
            kwargs["base_url"] = self.base_url
        if self.seed is not None:
            kwargs["seed"] = self.seed
        if self.max_tokens:
            kwargs["max_tokens"] = int(self.max_tokens)  # sent as max_completion_tokens (OpenAI's name)
            if self.base_url:  # compatible servers (llama.cpp, older vLLM) read only the classic name
                kwargs["extra_body"] = {"max_tokens": int(self.max_tokens)}
        self._llm = ChatOpenAI(**kwargs)

    def chat(self, messages: Sequence[dict[str, str]], *, json_mode: bool = False) -> str:
        import openai

        payload = [(m["role"], m["content"]) for m in messages]
        where = self.base_url or "https://api.openai.com/v1"
        last: Exception | None = None
        # servers that honour it (OpenAI, vLLM, llama.cpp, Ollama) then constrain the answer to JSON
        llm = self._llm.bind(response_format={"type": "json_object"}) if json_mode and self.json_format \
            else self._llm
        for attempt in range(self.retries + 1):
            try:
                t0 = time.perf_counter()
                reply = llm.invoke(payload)
                seconds = time.perf_counter() - t0
                usage = getattr(reply, "usage_metadata", None) or {}
                self.tokens += int(usage.get("total_tokens", 0) or 0)
                self.calls.append(LLMCall(int(usage.get("input_tokens", 0) or 0),
                                          int(usage.get("output_tokens", 0) or 0), seconds))
                content = reply.content
                if isinstance(content, list):
                    content = "".join(part.get("text", "") if isinstance(part, dict) else str(part)
                                      for part in content)
                return str(content)
            except openai.LengthFinishReasonError as exc:
                # the JSON-format path refuses an answer cut at max_tokens; it is still the model's
                # answer (the caller's parser rejects it) and its tokens were spent: count them
                seconds = time.perf_counter() - t0
                usage = exc.completion.usage
                prompt, completion = (int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)) if usage \
                    else (0, 0)
                self.tokens += prompt + completion
                self.calls.append(LLMCall(prompt, completion, seconds))
                choices = exc.completion.choices or []
                return str((choices[0].message.content if choices else "") or "")
            except (openai.APIConnectionError, openai.APITimeoutError, openai.InternalServerError,
                    openai.RateLimitError) as exc:
                last = exc
                if attempt < self.retries:
                    time.sleep(self.backoff_s * (2 ** attempt))
            except openai.AuthenticationError as exc:
                raise BackendError("the endpoint rejected the API key", where=where,
                                   fix="check OPENAI_API_KEY") from exc
            except openai.NotFoundError as exc:
                raise BackendError(f"model {self.model!r} or the chat endpoint was not found", where=where,
                                   fix="check --model and --base-url (it should end in /v1)") from exc
            except openai.BadRequestError as exc:  # this request only (too long for the context, ...)
                raise LLMRequestError(f"the endpoint refused the request (HTTP 400: {_error_text(exc)})",
                                      where=where, fix="shorten the request or use a model with a longer "
                                                       "context (--rounds fewer)") from exc
            except openai.APIStatusError as exc:
                raise BackendError(f"the endpoint answered HTTP {exc.status_code}", where=where,
                                   fix="check --base-url and --model") from exc
        kind = type(last).__name__ if last else "error"
        raise BackendError(f"cannot reach the LLM endpoint after {self.retries + 1} attempts ({kind})",
                           where=where, fix="check --base-url and that the server is running")


def _error_text(exc: Exception) -> str:
    """The server's own short message for an HTTP error (never the request, never the key)."""
    body = getattr(exc, "body", None)
    msg = body.get("message") if isinstance(body, dict) else None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        msg = body["error"].get("message", msg)
    return " ".join(str(msg or exc).split())[:160]


# A grammar for llama.cpp: either a JSON object or prose followed by a fenced netlist. The
# root ends at the closing brace or fence (no trailing whitespace rule: a small model would
# pad the answer with newlines up to max_tokens).
GBNF_NETLIST = r'''
root   ::= prose "```spice\n" lines "```"
prose  ::= [^`]*
lines  ::= line+
line   ::= [^`\n]* "\n"
'''
GBNF_JSON = r'''
root   ::= "{" ws ( string ":" ws value ( "," ws string ":" ws value )* )? "}"
value  ::= object | array | string | number | ("true" | "false" | "null")
object ::= "{" ws ( string ":" ws value ( "," ws string ":" ws value )* )? "}" ws
array  ::= "[" ws ( value ( "," ws value )* )? "]" ws
string ::= "\"" ( [^"\\] | "\\" ["\\/bfnrt] )* "\"" ws
number ::= "-"? [0-9]+ ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )? ws
ws     ::= [ \t\n]{0,16}
'''


@dataclass
class LlamaCppBackend:
    """A local GGUF model through llama-cpp-python, grammar-constrained (optional extra)."""

    model: str
    seed: int = 0
    n_ctx: int = 8192
    max_tokens: int | None = None
    name: str = "llamacpp"
    tokens: int = 0
    calls: list = field(default_factory=list)  # LLMCall per answered request

    def __post_init__(self) -> None:
        if not self.model or not os.path.isfile(self.model):
            raise InputError(f"GGUF model file {self.model!r} not found", where="--model",
                             fix="pass --model PATH/TO/model.gguf")
        try:
            from llama_cpp import Llama, LlamaGrammar
        except ImportError as exc:
            raise BackendError("llama-cpp-python is not installed", where="--backend llamacpp",
                               fix="pip install llama-cpp-python (optional extra)") from exc
        self._grammar = LlamaGrammar
        self._llm = Llama(model_path=self.model, n_ctx=self.n_ctx, seed=self.seed, verbose=False)

    def chat(self, messages: Sequence[dict[str, str]], *, json_mode: bool = False) -> str:  # pragma: no cover
        grammar = self._grammar.from_string(GBNF_JSON if json_mode else GBNF_NETLIST, verbose=False)
        t0 = time.perf_counter()
        try:
            out = self._llm.create_chat_completion(messages=list(messages), grammar=grammar, temperature=0.0,
                                                   seed=self.seed, max_tokens=self.max_tokens)
        except ValueError as exc:  # llama-cpp-python: the prompt exceeds n_ctx
            raise LLMRequestError(f"the local model refused the request ({' '.join(str(exc).split())[:160]})",
                                  where=self.model, fix="fewer --rounds or a model with a longer context") from exc
        usage = out.get("usage") or {}
        self.calls.append(LLMCall(int(usage.get("prompt_tokens", 0) or 0),
                                  int(usage.get("completion_tokens", 0) or 0), time.perf_counter() - t0))
        self.tokens += self.calls[-1].prompt_tokens + self.calls[-1].completion_tokens
        return out["choices"][0]["message"]["content"] or ""


def make_backend(name: str, *, model: str | None, base_url: str | None, retries: int = 3,
                 seed: int | None = 0, max_tokens: int | None = None,
                 timeout_s: float | None = None) -> Backend | None:
    """The backend called ``name`` (None for ``expert``); a miss lists the valid names."""
    key = name.strip().lower()
    if key == "expert":
        return None
    if key == "openai":
        extra = {"timeout_s": float(timeout_s)} if timeout_s else {}
        return OpenAIBackend(model=model or os.environ.get("OPENAI_MODEL") or "gpt-4o", base_url=base_url,
                             retries=retries, seed=seed, max_tokens=max_tokens, **extra)
    if key == "llamacpp":
        return LlamaCppBackend(model=model or "", seed=seed or 0, max_tokens=max_tokens)
    raise InputError(f"unknown backend {name!r}", where="--backend", fix=f"use one of: {', '.join(BACKENDS)}")
