"""`chipsmith bench topology --backend openai` against a local fake OpenAI-compatible server.

The fake server (127.0.0.1, started by the test) answers per problem: right for one,
right-by-the-text but wrong by the problem's hand-written requirement for another, plainly
wrong for the third. The benchmark must score all three with the independent judge (a
false success is counted as one, not trusted), and report the requests, tokens and wall
time the server's own usage figures add up to.
"""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.ngspice

KEY = "sk-bench-secret-0123456789"


def _divider(ports: tuple[str, str], top: str, bottom: str) -> str:
    a, b = ports
    return (f"A resistive divider.\n```spice\n.subckt design {a} {b} vdd gnd\nR1 {a} {b} {top}\n"
            f"R2 {b} gnd {bottom}\n.ends design\n```")


# (text, interface (in, out), the annotator's coefficient, what the fake LLM answers)
PROBLEMS = [
    # right: the divider gives 0.5, the hand requirement says 0.5 -> solved
    ("h5-right", "Vout = 0.5*Vin", ("Vin", "Vout"), 0.5, _divider(("Vin", "Vout"), "10k", "10k")),
    # the text reads 0.5 and the LLM meets it, so the agent claims success; the problem's
    # hand-written requirement says 0.25 -> the judge, not the agent, decides: false success
    ("h5-false", "Vo = 0.5*Vi", ("Vi", "Vo"), 0.25, _divider(("Vi", "Vo"), "10k", "10k")),
    # wrong: asked for 0.2, the LLM keeps answering 0.5 -> the agent's own judge refuses it
    ("h5-wrong", "Vy = 0.2*Vx", ("Vx", "Vy"), 0.2, _divider(("Vx", "Vy"), "10k", "10k")),
]
SELECTION = json.dumps({"blocks": ["voltage_divider_pro", "miller_rc"], "reasoning": "two resistors"})


class RoutedLLM:
    """``/v1/chat/completions`` on 127.0.0.1: the reply is chosen by the ports in the prompt
    (or by ``route``);
    usage is reported as ~4 characters per token of the prompt and of the reply."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.auth: list[str] = []
        self.usage: list[tuple[int, int]] = []
        self.route = None  # optional: prompt -> reply, instead of the per-problem answers below
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                owner.requests.append(body)
                owner.auth.append(self.headers.get("Authorization", ""))
                prompt = "".join(m["content"] for m in body["messages"])
                last = body["messages"][-1]["content"]
                if owner.route is not None:
                    content = owner.route(prompt)
                elif "Step 1, block selection" in last:
                    content = SELECTION
                else:
                    ports = re.search(r"\.subckt design (\w+) (\w+)", prompt)  # the task names the ports
                    content = next((p[4] for p in PROBLEMS if ports and (ports.group(1), ports.group(2)) == p[2]),
                                   "no idea")
                finish = "stop"
                if content is None:  # an answer cut at the token cap
                    content, finish = '{"kind": "source_fol', "length"
                usage = (len(prompt) // 4, len(content) // 4)
                owner.usage.append(usage)
                time.sleep(0.02)  # a measurable wall time per request
                data = json.dumps({
                    "id": f"chatcmpl-{len(owner.requests)}", "object": "chat.completion", "created": 0,
                    "model": body.get("model"), "choices": [{"index": 0, "finish_reason": finish,
                                                             "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def routed_llm(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    server = RoutedLLM()
    yield server
    server.close()


@pytest.fixture
def problem_file(tmp_path):
    path = tmp_path / "problems.jsonl"
    lines = []
    for pid, text, (a, b), coeff, _ in PROBLEMS:
        lines.append(json.dumps({
            "id": pid, "family": "op-amp applications" if pid != "h5-wrong" else "dividers", "text": text,
            "interface": [{"name": a, "role": "signal_in"}, {"name": b, "role": "out"}],
            "requirements": [{"id": "r1", "kind": "linear_relation", "params": {"coefficients": {a: coeff},
                                                                                "output": b}}]}))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_bench_openai_full_mode_is_scored_by_the_judge(cli, routed_llm, problem_file, tmp_path):
    out = tmp_path / "bench"
    r = cli("bench", "topology", "--set", problem_file, "--backend", "openai", "--model", "fake-7b", "--base-url",
            routed_llm.url, "--rounds", "2", "--workers", "1", "--out", out, "--json")
    assert r.code == 0, r.stderr + r.stdout[-2000:]
    s = json.loads(r.stdout)
    results = {json.loads(ln)["id"]: json.loads(ln) for ln in (out / "results.jsonl").read_text().splitlines()}
    assert {k: v["status"] for k, v in results.items()} == {
        "h5-right": "solved", "h5-false": "false_success", "h5-wrong": "refused"}
    # the judge's own verdicts: it passed the right one and failed both wrong ones
    assert results["h5-right"]["judge_success"] is True
    assert results["h5-false"]["agent_success"] is True and results["h5-false"]["judge_success"] is False
    assert results["h5-wrong"]["agent_success"] is False and results["h5-wrong"]["judge_success"] is False
    assert any("linear_relation" in f for f in results["h5-false"]["failed"])
    assert (s["solved"], s["false_success"], s["refused"]) == (1, 1, 1)
    assert s["by_family"]["dividers"]["refused"] == 1 and s["by_family"]["op-amp applications"]["solved"] == 1
    assert s["false_successes"][0]["id"] == "h5-false"

    # requests, tokens, wall time: exactly what the server reported, per problem and in total
    llm = s["llm"]
    assert llm["backend"] == "openai" and llm["mode"] == "full" and llm["model"] == "fake-7b"
    assert llm["base_url"] == routed_llm.url
    # selection + 1 round (right, false), selection + 2 rounds (wrong: fed back once)
    assert [results[p[0]]["llm"]["requests"] for p in PROBLEMS] == [2, 2, 3]
    assert llm["requests"] == len(routed_llm.requests) == 7
    assert llm["prompt_tokens"] == sum(u[0] for u in routed_llm.usage)
    assert llm["completion_tokens"] == sum(u[1] for u in routed_llm.usage)
    assert llm["total_tokens"] == llm["prompt_tokens"] + llm["completion_tokens"] > 0
    assert sum(results[p[0]]["llm"]["prompt_tokens"] for p in PROBLEMS) == llm["prompt_tokens"]
    assert 0.02 <= llm["median_request_seconds"] < 30 and llm["median_problem_seconds"] > 0

    # block choices validated against the library: one real block, one invented name per problem
    sel = results["h5-right"]["llm"]["blocks"]
    assert sel["valid"] == ["miller_rc"] and sel["unknown"] == ["voltage_divider_pro"] and sel["used"] == []
    assert llm["block_selection"] == {"answered": 3, "valid_blocks": 3, "unknown_blocks": 3,
                                      "designs_using_library_blocks": 0}
    connection = routed_llm.requests[1]["messages"][-1]["content"]
    assert "Not in the library" in connection and "voltage_divider_pro" in connection
    assert "X<n> a b miller_rc" in connection  # the valid block's instance line, to be used as is
    # the wrong answer's judge failure went back to the model
    assert "linear_relation" in routed_llm.requests[-1]["messages"][-1]["content"]

    # the answer cap reaches a compatible server under the name it reads
    assert all(req["max_tokens"] == 1024 for req in routed_llm.requests)

    # the key went only to the endpoint, never into a file or the output
    assert set(routed_llm.auth) == {f"Bearer {KEY}"}
    for f in out.iterdir():
        assert KEY not in f.read_text()
    assert KEY not in r.stdout + r.stderr
    report = (out / "report.md").read_text()
    assert "LLM: `fake-7b`" in report and "7 requests" in report


def test_bench_llm_unreachable_endpoint_exits_2_and_writes_nothing(cli, monkeypatch, problem_file, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    out = tmp_path / "bench"
    r = cli("bench", "topology", "--set", problem_file, "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1",
            "--retries", "0", "--workers", "1", "--out", out)
    assert r.code == 2 and "cannot reach" in r.stderr and KEY not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_bench_llm_bad_options_exit_2(cli, monkeypatch, problem_file, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    r = cli("bench", "topology", "--set", problem_file, "--backend", "openai", "--out", tmp_path / "a")
    assert r.code == 2 and "OPENAI_API_KEY" in r.stderr
    r = cli("bench", "topology", "--set", problem_file, "--backend", "openai", "--mode", "half", "--out", tmp_path / "b")
    assert r.code == 2 and "--mode" in r.stderr
    r = cli("bench", "topology", "--set", problem_file, "--backend", "gpt", "--out", tmp_path / "c")
    assert r.code == 2 and "unknown backend" in r.stderr
    r = cli("bench", "topology", "--set", problem_file, "--backend", "llamacpp", "--out", tmp_path / "d")
    assert r.code == 2 and "GGUF" in r.stderr
    assert not any((tmp_path / d).exists() for d in "abcd")


HYBRID = [  # (id, text, the annotator's variant, the spec the fake LLM answers)
    ("h5-cs", "Common-source amplifier with a resistive load.", "common_source",
     {"kind": "cs_amp", "load": "resistor"}),
    # the LLM names the wrong circuit: the expert builds it well, the judge fails its family
    ("h5-cg", "Common-gate amplifier with a resistive load.", "common_gate", {"kind": "cs_amp", "load": "resistor"}),
    # the answer is cut at max_tokens (finish_reason length): rejected, its tokens still count
    ("h5-cut", "Source follower.", "common_drain", None),
]


def test_bench_openai_hybrid_mode_uses_the_llm_spec(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    path = tmp_path / "hybrid.jsonl"
    path.write_text("".join(json.dumps({
        "id": pid, "family": "amplifiers", "text": text,
        "interface": [{"name": "Vin", "role": "signal_in"}, {"name": "Vout", "role": "out"}],
        "requirements": [{"id": "r1", "kind": "family", "params": {"family": "amplifier", "variant": variant}}]})
        + "\n" for pid, text, variant, _ in HYBRID))
    server = RoutedLLM()
    try:
        replies = {text: json.dumps(spec) if spec else None for _, text, _, spec in HYBRID}

        def route(prompt: str) -> str:
            return next(v for k, v in replies.items() if k in prompt)

        server.route = route
        r = cli("bench", "topology", "--set", path, "--backend", "openai", "--mode", "hybrid", "--base-url",
                server.url, "--workers", "1", "--out", tmp_path / "o", "--json")
    finally:
        server.close()
    assert r.code == 0, r.stderr + r.stdout[-2000:]
    s = json.loads(r.stdout)
    results = {json.loads(ln)["id"]: json.loads(ln) for ln in (tmp_path / "o" / "results.jsonl").read_text().splitlines()}
    assert results["h5-cs"]["status"] == "solved" and results["h5-cg"]["status"] == "refused"
    assert results["h5-cg"]["judge_success"] is False  # the judge saw the CS design and failed its family
    # the cut answers (3 attempts, each rejected and fed back) count their tokens; the follower is then
    # designed from the rules' reading, and the summary says so: that success is not the LLM's
    cut = results["h5-cut"]
    assert cut["llm"]["requests"] == 3 and cut["llm"]["spec_source"] == "rules"
    assert cut["llm"]["completion_tokens"] == sum(u[1] for u in server.usage[-3:]) > 0
    assert s["llm"]["spec_source"]["rules"] == {"problems": 1, "solved": int(cut["status"] == "solved")}
    assert s["llm"]["mode"] == "hybrid" and s["llm"]["requests"] == 5 == len(server.requests)
    assert s["llm"]["prompt_tokens"] == sum(u[0] for u in server.usage)
    assert s["llm"]["spec_source"]["llm"] == {"problems": 2, "solved": 1}
    # hybrid asks for JSON: the endpoint is told so (servers that honour it constrain the answer)
    assert all(req.get("response_format") == {"type": "json_object"} for req in server.requests)
