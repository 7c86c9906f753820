"""`poetry-gen serve` without a browser: the JSON API over HTTP on a server at port 0, with a small random
model over the fixture corpus's vocabulary."""
import http.client
import json
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from poetry_gen.checker import check
from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.prosody import check_poem
from poetry_gen.text import to_traditional
from poetry_gen.tunes import load_tunes
from poetry_gen.server import (LOCK_WAIT, MAX_BODY, MAX_LINES, MAX_NUM, MAX_TEXT, ModelThread, answers_to,
                               bind_warning)

JINGYESI = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
BUSY_WAIT = 0.5  # seconds: short, so that the test of a busy model does not wait long


def request(server, method: str, path: str, body=None, headers=None) -> tuple:
    """(status, headers, body bytes) of one request; `body`: bytes, or an object sent as JSON. A POST says
    Content-Type application/json, as the page's do, unless `headers` says otherwise; http.client sends
    Host (127.0.0.1:port) unless `headers` names one."""
    conn = send(server, method, path, body, headers)
    response = conn.getresponse()
    out = response.status, dict(response.getheaders()), response.read()
    conn.close()
    return out


def send(server, method: str, path: str, body=None, headers=None) -> http.client.HTTPConnection:
    """The connection of a request sent as `request` sends it, its answer not yet read (Content-Length is
    the body's unless `headers` names one)."""
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body, ensure_ascii=False).encode()
    sent = {"Content-Type": "application/json"} if method == "POST" else {}
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=60)
    conn.request(method, path, body=body, headers={**sent, **(headers or {})})
    return conn


def post(server, endpoint: str, body) -> tuple:
    status, _, data = request(server, "POST", f"/api/{endpoint}", body)
    return status, json.loads(data)


def cli_json(argv: list, capsys) -> list:
    assert main(argv) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


# --- the page -------------------------------------------------------------------------------------

def test_the_page_and_its_files_come_from_the_server_alone(server):
    status, headers, page = request(server, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    html = page.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == ["/app.js", "/style.css"]
    for path in assets:
        status, _, body = request(server, "GET", path)
        assert status == 200 and body
        assert not re.search(rb"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", body), path  # nothing from elsewhere
    assert request(server, "GET", "/../pyproject.toml")[0] == 404
    assert request(server, "GET", "/server.py")[0] == 404


def test_info_lists_forms_groups_and_limits(server):
    status, _, body = request(server, "GET", "/api/info")
    info = json.loads(body)
    assert status == 200 and info["forms"] == ["五绝", "七绝", "五律", "七律"]
    assert info["tunes"] == [tune.to_dict() for tune in load_tunes().values()]
    assert len(info["rhyme_groups"]) == 30 and info["max_num"] == MAX_NUM


# --- the API: the same JSON as the CLI ---------------------------------------------------------------

def test_generate_answers_what_the_cli_prints(server, checkpoint, capsys):
    status, body = post(server, "generate", {"acrostic": "春风山月", "form": "五绝", "num": 3, "seed": 4})
    assert status == 200
    ckpt = ["--checkpoint", str(checkpoint)]
    assert body["poems"] == cli_json(["generate", "--acrostic", "春风山月", "--form", "五绝", "--num", "3",
                                      "--seed", "4", "--json", *ckpt], capsys)
    assert body["traditional"] == cli_json(["generate", "--acrostic", "春风山月", "--form", "五绝", "--num", "3",
                                            "--seed", "4", "--json", "--traditional", *ckpt], capsys)
    assert body["checks"] == [check_poem(p["poem"]).to_dict() for p in body["poems"]]
    totals = [p["judgement"]["total"] for p in body["poems"]]  # best first by the judgement (rerank.py)
    assert totals == sorted(totals, reverse=True)


@pytest.mark.parametrize("fields,lines", [({"start": "春风", "form": "七律"}, 8), ({"chars": 5, "lines": 6}, 6),
                                          ({"theme": "秋 思乡", "form": "五绝", "rhyme": False}, 4),
                                          ({"rhyme": "东", "tones": "strict"}, 4),
                                          ({"must_include": "竹", "form": "五律"}, 8)])
def test_generate_other_modes(server, fields, lines):
    status, body = post(server, "generate", {**fields, "seed": 1, "temperature": 1.0})
    assert status == 200, body
    assert len(body["poems"]) == 1 and len(body["poems"][0]["lines"]) == lines
    if "start" in fields:
        assert body["poems"][0]["poem"].startswith(fields["start"])
    if "must_include" in fields:
        assert fields["must_include"] in body["poems"][0]["poem"]


def test_check_answers_what_the_cli_prints(server, capsys):
    poem = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"
    status, body = post(server, "check", {"poem": poem})
    assert status == 200 and [body] == cli_json(["check", poem, "--json"], capsys)


@pytest.mark.parametrize("poem,form", [
    ("两个黄鹂鸣翠柳，一行白鹭上青天。", None),  # a couplet
    ("一曲新词酒一杯，去年天气旧亭台。夕阳西下几时回。无可奈何花落去，似曾相识燕归来。小园香径独徘徊。", None),  # a 浣溪沙
    (JINGYESI, "浣溪沙"),  # checked as the tune named: the wrong shape
    (JINGYESI, "对联"),  # not a couplet: 400
])
def test_check_tells_a_couplet_a_ci_and_a_shi_apart_as_the_cli_does(server, poem, form, capsys):
    status, body = post(server, "check", {"poem": poem, "form": form})
    named = ["--form", form] if form else []
    if status == 400:
        assert main(["check", poem, *named]) == 2 and capsys.readouterr().err == f"poetry-gen: error: {body['error']}\n"
    else:
        assert status == 200 and [body] == [json.loads(line) for line in _cli_out(["check", poem, "--json", *named],
                                                                                  capsys)]


def _cli_out(argv: list, capsys) -> list:
    main(argv)  # exit status 1 for a text that breaks its rules
    return capsys.readouterr().out.splitlines()


def test_couplet_answers_what_the_cli_prints(server, checkpoint, capsys):
    status, body = post(server, "couplet", {"first": "白日依山尽", "num": 3, "seed": 4})
    assert status == 200 and body["warnings"] == []
    assert body["poems"] == cli_json(["couplet", "白日依山尽", "--num", "3", "--seed", "4", "--json",
                                      "--checkpoint", str(checkpoint)], capsys)
    assert len(body["poems"]) == 3 and all(p["poem"].startswith("白日依山尽，") for p in body["poems"])
    assert body["checks"] == [p["couplet"] for p in body["poems"]] == [check(p["poem"]).to_dict()
                                                                      for p in body["poems"]]
    assert [p["poem"] for p in body["traditional"]] == [to_traditional(p["poem"]) for p in body["poems"]]


def test_a_ci_is_a_tune_as_the_form_and_checked_against_it(server, checkpoint, capsys):
    status, body = post(server, "generate", {"form": "浣溪沙", "num": 2, "seed": 4})
    assert status == 200
    assert body["poems"] == cli_json(["generate", "--form", "浣溪沙", "--num", "2", "--seed", "4", "--json",
                                      "--checkpoint", str(checkpoint)], capsys)
    assert body["checks"] == [check(p["poem"], "浣溪沙").to_dict() for p in body["poems"]]
    assert all(c["genre"] == "ci" and c["tune"] == "浣溪沙" and c["shape"] for c in body["checks"])
    assert [p["stanzas"] for p in body["poems"]] == [list(load_tunes()["浣溪沙"].stanza_lines)] * 2



def test_a_first_line_ending_ping_is_answered_with_a_warning_or_refused(server):
    status, body = post(server, "couplet", {"first": "黄河入海流", "seed": 1})
    assert status == 200 and "ends in 流, a 平 tone" in body["warnings"][0]
    status, body = post(server, "couplet", {"first": "黄河入海流", "strict": True})
    assert status == 400 and "a 上联 ends 仄" in body["error"]


def test_revise_keeps_the_other_lines(server):
    _, body = post(server, "generate", {"acrostic": "春风山月", "seed": 2})
    poem = body["poems"][0]
    status, body = post(server, "revise", {"poem": poem["poem"], "line": 3, "keep_head": True, "num": 2})
    assert status == 200 and 1 <= len(body["poems"]) <= 2
    for revised in body["poems"]:
        assert [revised["lines"][i] for i in (0, 1, 3)] == [poem["lines"][i] for i in (0, 1, 3)]
        assert revised["lines"][2][0] == "山" and len(revised["lines"][2]) == 7
    assert body["checks"][0] == check_poem(body["poems"][0]["poem"]).to_dict()


def test_revise_takes_a_ci(server):
    _, body = post(server, "generate", {"form": "浣溪沙", "seed": 2})
    poem = body["poems"][0]
    status, body = post(server, "revise", {"poem": poem["poem"], "line": 2, "num": 1})
    assert status == 200 and body["poems"][0]["tune"] == "浣溪沙"
    assert [l for i, l in enumerate(body["poems"][0]["lines"]) if i != 1] == [l for i, l in enumerate(poem["lines"]) if i != 1]


def test_attention_is_an_inline_svg_of_the_poem(server, gen):
    poem = gen.generate(form="五绝", seed=3)[0]
    status, body = post(server, "attention", {"poem": poem.text})
    assert status == 200 and body["svg"].startswith("<svg ")
    rows = re.findall(r'<g class="row" data-pos="\d+" data-token="(.)"', body["svg"])
    assert "".join(rows) == poem.text


# --- bad requests: 400 and the library's one line, never 500 ---------------------------------------

BAD = [  # endpoint, body (bytes as sent, or an object sent as JSON), a piece of the message
    ("generate", b"{not json", "not valid JSON"),
    ("generate", b"\xff\xfe", "not valid JSON"),
    ("generate", b"[1, 2]", "a JSON object"),
    ("generate", b'{"temperature": NaN}', "NaN"),
    ("generate", {"acrostic": "春风", "colour": "red"}, "unknown field 'colour'"),
    ("generate", {"checkpoint": "/etc/passwd"}, "unknown field 'checkpoint'"),  # no request names a file
    ("generate", {"acrostic": "春" * (MAX_TEXT + 1)}, f"at most {MAX_TEXT}"),
    ("generate", {"num": MAX_NUM + 1}, f"at most {MAX_NUM}"),
    ("generate", {"chars": 5, "lines": MAX_LINES + 1}, f"lines is at most {MAX_LINES}"),
    ("generate", {"num": "3"}, "num must be a whole number"),
    ("generate", {"num": True}, "num must be a whole number"),
    ("generate", {"num": 2.5}, "num must be a whole number"),
    ("generate", {"temperature": "hot"}, "temperature must be"),
    ("generate", {"rhyme": 3}, "rhyme must be a string or true or false"),
    ("generate", {"acrostic": ["春"]}, "acrostic must be a string"),
    ("generate", {"num": 0}, "num must be a whole number from 1"),
    ("generate", {"seed": -1}, "seed"),
    ("generate", {"temperature": -1}, "temperature must be"),
    ("generate", {"acrostic": "龘春"}, "does not know 龘"),
    ("generate", {"acrostic": "春风", "start": "春风"}, "do not go together"),
    ("generate", {"acrostic": "春风", "lines": 4}, "lines does not go with acrostic"),
    ("generate", {"form": "六绝"}, "unknown form"),
    ("generate", {"rhyme": "龘"}, "unknown rhyme group"),
    ("generate", {"tones": "loud"}, "tones must be one of"),
    ("revise", {"poem": "春风"}, "needs the field 'line'"),
    ("revise", {"poem": "春风山月好，春风山月好。", "line": 1, "keep_head": 1}, "keep_head must be true or false"),
    ("revise", {"poem": "床前明月光，疑是地上霜。", "line": 3}, "lines 1 to 2, not 3"),
    ("revise", {"poem": "床前明月，疑是地上霜。", "line": 1}, "5 or 7 characters"),
    ("couplet", {}, "needs the field 'first'"),
    ("couplet", {"first": "白日依山尽", "theme": "秋"}, "unknown field 'theme'"),
    ("couplet", {"first": "白日依山尽", "rhyme": "东"}, "unknown field 'rhyme'"),
    ("couplet", {"first": "白日依山尽", "strict": "yes"}, "strict must be true or false"),
    ("couplet", {"first": "白日"}, "4 to 11 characters"),
    ("couplet", {"first": "白日，依山。尽海"}, "one line"),
    ("couplet", {"first": "白日依山龘"}, "does not know 龘"),
    ("couplet", {"first": "白日依山尽", "num": MAX_NUM + 1}, f"at most {MAX_NUM}"),
    ("generate", {"form": "如梦令", "chars": 7}, "a 如梦令 has lines of its own lengths"),
    ("check", {}, "needs the field 'poem'"),
    ("check", {"poem": JINGYESI, "form": "六绝"}, "unknown tune"),
    ("check", {"poem": "hello"}, "no Chinese characters"),
    ("attention", {"poem": "春风", "theme": 7}, "theme must be a string"),
]


@pytest.mark.parametrize("endpoint,body,message", BAD)
def test_a_bad_request_is_400_with_one_line(server, endpoint, body, message):
    status, answer = post(server, endpoint, body)
    assert status == 400 and message in answer["error"] and "\n" not in answer["error"]


@pytest.mark.parametrize("endpoint,body", [
    ("generate", b'{"num": "\\ud800"}'),
    ("check", '{"poem": "床前明月光，疑是地上霜。", "form": "\\ud800"}'.encode()),
    ("generate", b'{"\\udc80": 1}'),
])
def test_a_lone_surrogate_is_400_not_a_dropped_connection(server, endpoint, body):
    status, answer = post(server, endpoint, body)
    assert status == 400 and "lone surrogate" in answer["error"]


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_out_of_range_is_one_line_before_the_model_loads(capsys, monkeypatch, port):
    import poetry_gen.generator

    monkeypatch.setattr(poetry_gen.generator, "load_generator", lambda *a, **k: pytest.fail("loaded the model"))
    assert main(["serve", "--port", port]) == 2
    assert capsys.readouterr().err == f"poetry-gen: error: --port must be a whole number from 0 to 65,535, not {port}\n"


def test_a_request_too_long_or_without_a_body_is_400(server):
    status, _, body = request(server, "POST", "/api/check", b"{" + b" " * MAX_BODY + b"}")
    assert status == 400 and str(MAX_BODY) in json.loads(body)["error"]
    status, _, body = request(server, "POST", "/api/check")
    assert status == 400 and "JSON body" in json.loads(body)["error"]


def test_a_body_shorter_than_its_content_length_is_400_not_a_poem(server):
    """The client stops sending after 11 of 100 bytes: those are a whole JSON object, but not the request."""
    conn = send(server, "POST", "/api/generate", b'{"seed": 1}', headers={"Content-Length": "100"})
    conn.sock.shutdown(socket.SHUT_WR)
    response = conn.getresponse()
    status, answer = response.status, json.loads(response.read())
    conn.close()
    assert status == 400 and answer == {"error": "the request's body ended after 11 of the 100 bytes its "
                                                 "Content-Length says"}


def test_unknown_paths_are_404(server):
    assert post(server, "delete", {})[0] == 404
    assert request(server, "POST", "/generate", b"{}")[0] == 404


# --- other web pages: DNS rebinding and cross-site requests -----------------------------------------

def port(server) -> int:
    return server.server_address[1]


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]", "LocalHost"])
def test_the_names_of_loopback_are_served(server, name):
    host = f"{name}:{port(server)}"
    assert request(server, "GET", "/", headers={"Host": host})[0] == 200
    status, _, body = request(server, "POST", "/api/check", {"poem": JINGYESI},
                              headers={"Host": host, "Origin": f"http://{host}"})
    assert status == 200 and json.loads(body)["lines"]


@pytest.mark.parametrize("host", ["evil.example:{port}", "localhost.evil.example:{port}", "127.0.0.1:1",
                                  "127.0.0.1", "evil.example@127.0.0.1:{port}", "[::2]:{port}", ""])
@pytest.mark.parametrize("method,path", [("GET", "/"), ("GET", "/api/info"), ("POST", "/api/generate")])
def test_a_host_this_server_is_not_is_403(server, host, method, path):
    """DNS rebinding: a page of evil.example, its name now resolving to 127.0.0.1, asks with Host
    evil.example; it gets neither the page nor the API."""
    status, headers, body = request(server, method, path, {"seed": 1} if method == "POST" else None,
                                    headers={"Host": host.format(port=port(server))})
    error = json.loads(body)["error"]
    assert status == 403 and headers["Content-Type"].startswith("application/json")
    assert "is not this server" in error and f"on port {port(server)}" in error and "\n" not in error


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "https://127.0.0.1:{port}",
                                    "http://localhost:{port}", "http://127.0.0.1:1", "http://127.0.0.1"])
def test_a_post_from_another_origin_is_403(server, origin):
    status, _, body = request(server, "POST", "/api/generate", {"seed": 1},
                              headers={"Origin": origin.format(port=port(server))})
    assert status == 403 and "only this server's own page" in json.loads(body)["error"]


@pytest.mark.parametrize("kind", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                  None])
def test_an_api_post_that_is_not_json_is_415(server, kind):
    """What a cross-site page can send without a CORS preflight (and a request that names no type)."""
    headers = {"Content-Type": kind} if kind else {}
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=60)
    conn.putrequest("POST", "/api/check")
    for name, value in {**headers, "Content-Length": "2"}.items():
        conn.putheader(name, value)
    conn.endheaders(b"{}")
    response = conn.getresponse()
    status, body = response.status, json.loads(response.read())
    conn.close()
    assert status == 415 and "application/json" in body["error"] and (kind or "none") in body["error"]


def test_the_pages_own_requests_are_served(server):
    """As the page sends them: same Host and Origin, application/json (with a charset, as some clients add)."""
    own = f"http://127.0.0.1:{port(server)}"
    for kind in ("application/json", "application/json; charset=utf-8"):
        status, _, body = request(server, "POST", "/api/generate", {"acrostic": "春风", "seed": 1},
                                  headers={"Origin": own, "Content-Type": kind})
        assert status == 200 and json.loads(body)["poems"][0]["poem"].startswith("春")
    assert request(server, "GET", "/api/info", headers={"Origin": own})[0] == 200
    assert b'"Content-Type": "application/json"' in request(server, "GET", "/app.js")[2]


@pytest.mark.parametrize("bound,host,answered", [
    ("127.0.0.1", "localhost:8000", True), ("127.0.0.1", "[::1]:8000", True),
    ("127.0.0.1", "192.168.1.20:8000", False), ("127.0.0.1", "localhost:8001", False),
    ("myhost.example", "myhost.example:8000", True), ("myhost.example", "MyHost.Example:8000", True),
    ("myhost.example", "otherhost.example:8000", False), ("192.168.1.20", "192.168.1.20:8000", True),
    ("192.168.1.20", "192.168.1.21:8000", False), ("::1", "[::1]:8000", True),
    # bound to every address: any address by number, but no name other than localhost (rebinding needs one)
    ("0.0.0.0", "192.168.1.20:8000", True), ("::", "[fe80::1]:8000", True), ("0.0.0.0", "localhost:8000", True),
    ("0.0.0.0", "evil.example:8000", False), ("0.0.0.0", "192.168.1.20:9000", False),
    ("127.0.0.1", None, False), ("127.0.0.1", "local host:8000", False),
])
def test_answers_to_the_bound_host_and_loopback_on_its_port(bound, host, answered):
    assert answers_to(host, bound, 8000) is answered


# --- concurrency ---------------------------------------------------------------------------------

def test_tabs_at_once_get_what_each_would_get_alone(server):
    bodies = [{"acrostic": "春风山月", "num": 2, "seed": seed, "temperature": 1.2} for seed in range(6)]
    alone = [post(server, "generate", body) for body in bodies]
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(lambda body: post(server, "generate", body), bodies * 2))
    assert together == alone * 2


def test_the_model_is_loaded_and_used_on_one_thread_of_its_own():
    def refuse(*_):
        raise PoetryGenError("refused")

    model = ModelThread(threading.get_ident)  # "loads" the loading thread's id
    assert model.gen != threading.get_ident()
    assert {model.run(lambda loaded: threading.get_ident()) for _ in range(3)} == {model.gen}
    with pytest.raises(PoetryGenError, match="refused"):
        model.run(refuse)
    with pytest.raises(PoetryGenError, match="refused"):
        ModelThread(refuse)


def test_check_is_not_held_up_by_generation_and_a_busy_model_is_503(server):
    app = server.app
    assert app.model_lock.acquire()  # as a long generation would hold it
    app.lock_wait = BUSY_WAIT
    try:
        started = time.perf_counter()
        status, _ = post(server, "check", {"poem": JINGYESI})
        assert status == 200 and time.perf_counter() - started < BUSY_WAIT
        started = time.perf_counter()
        status, body = post(server, "generate", {"seed": 1})
        assert status == 503 and "busy" in body["error"]
        assert BUSY_WAIT <= time.perf_counter() - started < BUSY_WAIT + 10
    finally:
        app.model_lock.release()
        app.lock_wait = LOCK_WAIT
    assert post(server, "generate", {"seed": 1})[0] == 200


class HeldAtTheModel:
    """Stands in for the model's lock: holds a request there until opened, and keeps its thread."""

    def __init__(self):
        self.reached, self.opened, self.thread = threading.Event(), threading.Event(), None

    def acquire(self, timeout: float) -> bool:
        self.thread = threading.current_thread()
        self.reached.set()
        return self.opened.wait(timeout)

    def release(self) -> None:
        pass


def test_a_client_that_goes_away_mid_poem_is_one_line_in_the_log(server, monkeypatch, capsys):
    """A tab closed while its poem is written: the server's write fails, it says so in one line (no
    traceback), and serves the next request."""
    held = HeldAtTheModel()
    monkeypatch.setattr(server.app, "model_lock", held)
    monkeypatch.setattr(server, "log_requests", True)
    conn = send(server, "POST", "/api/generate", {"acrostic": "春风山月", "num": MAX_NUM})
    assert held.reached.wait(10)  # the request is read; its poem is not yet written
    # Closed with a reset (SO_LINGER 0), so that the server's first write fails, not only a later one once the
    # reset has come back: without the reset the test would depend on that timing.
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    held.opened.set()
    held.thread.join(10)
    assert not held.thread.is_alive()
    assert post(server, "generate", {"acrostic": "春风", "seed": 1})[0] == 200
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err
    assert len(re.findall(r"^poetry-gen: 127\.0\.0\.1:\d+ went away before its answer was sent \(.+\)$", err,
                          re.MULTILINE)) == 1, err


# --- binding and the command -----------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.5", "::1", "localhost"])
def test_loopback_needs_no_warning(host):
    assert bind_warning(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "myhost.example"])
def test_any_other_address_is_warned_about(host):
    assert host in bind_warning(host) and "not loopback" in bind_warning(host)


@pytest.mark.slow
def test_cli_serve_prints_the_url_and_stops_on_ctrl_c(checkpoint):
    # A shell starts background jobs with SIGINT ignored, and a child inherits that: give the server Ctrl-C back.
    proc = subprocess.Popen([sys.executable, "-m", "poetry_gen", "serve", "--port", "0", "--checkpoint",
                             str(checkpoint), "--device", "cpu"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = proc.stdout.readline()
        url = re.fullmatch(r"poetry-gen: serving (http://127\.0\.0\.1:\d+/) \(Ctrl-C stops\)\n", line)
        assert url, line + proc.stderr.read() if proc.poll() is not None else line
        with urllib.request.urlopen(url.group(1), timeout=30) as page:
            assert b"/app.js" in page.read()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
