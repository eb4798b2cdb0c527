"""Fixtures for the synthesis agent tests: a scripted LLM server and an ngspice call log."""
from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from llm_server import ScriptedLLM  # noqa: E402


@pytest.fixture
def scripted_llm(monkeypatch):
    """``scripted_llm(replies)`` -> a running :class:`ScriptedLLM`; OPENAI_API_KEY set to a dummy."""
    servers = []
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-0123456789")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)

    def start(replies):
        server = ScriptedLLM(replies).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def ngspice_log(tmp_path, monkeypatch, ngspice_bin):
    """Route ngspice through a wrapper that logs each call; returns the log path."""
    log = tmp_path / "ngspice-calls.log"
    wrapper = tmp_path / "ngspice-wrapper.sh"
    wrapper.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{log}'\nexec '{ngspice_bin}' \"$@\"\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CHIPSMITH_NGSPICE", str(wrapper))
    return log
