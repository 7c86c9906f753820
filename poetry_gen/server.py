"""`poetry-gen serve`: one web page and a JSON API over a model loaded once.

    GET  /  /app.js  /style.css   the page (package data in poetry_gen/web/, nothing from elsewhere)
    GET  /api/info        forms, tunes, rhyme groups and limits, for the page's pickers
    POST /api/generate    {"acrostic": "春夏秋冬", "form": "七绝", "num": 3, ...}  → poems, traditional, checks
                          (a ci: {"form": "浣溪沙", ...}, a tune of the tune table as the form)
    POST /api/couplet     {"first": "春回大地千山秀", "num": 3, ...}             → poems, traditional, checks, warnings
    POST /api/revise      {"poem": "…", "line": 3, "keep_head": true, ...}        → poems, traditional, checks
    POST /api/check       {"poem": "…", "form": "浣溪沙"}                         → what `check --json` prints
    POST /api/attention   {"poem": "…", "theme": "…"}                            → {"svg": "<svg …>"}

`poems` holds what `generate --json` (`couplet --json`) prints, one object per candidate, best first;
`traditional` the same in traditional characters (`--traditional --json`); `checks` what `check --json`
prints of each poem (checker.py: a shi, a ci against its tune, or a couplet); `warnings` what the CLI
would print as warnings (a 上联 that ends 平).
A bad request gets 400 and {"error": the library's one-line message}; a request names no file. A body
shorter than its Content-Length is a bad request, not one to guess the rest of. A client that goes away
before its answer is written (a tab closed mid-poem) is one line in the log, not a traceback.

Concurrency: ThreadingHTTPServer serves each request on its own thread. The model is shared behind one
lock, held only while it writes (or reads) a poem: on a CPU one generation already keeps the cores busy,
so two at once would each take twice as long, and one at a time keeps each one's latency what a single
user sees; torch's modules are also not documented as safe to call from several threads. The model's
work itself, its loading included, runs on one thread of its own (ModelThread). Checking a poem never
takes the lock (the 平水韵 tables are read-only once built), so it is not held up by generation.
Generation is bounded in time: a request is capped (num, lines, text length), and one that cannot get
the model within `lock_wait` seconds gets 503 rather than queueing without end.

Other web pages: any site the user visits can send requests to 127.0.0.1, and with DNS rebinding (its own
name made to resolve to 127.0.0.1) read the answers. So a request whose Host is not a name this server
is reached by gets 403; a POST whose Origin is another site's gets 403; and the API's POSTs take only
Content-Type application/json (else 415), which a cross-site page cannot send without a CORS preflight
that this server never grants.
"""
from __future__ import annotations

import ipaddress
import json
import re
import socket
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Callable, Optional, Union

from .checker import check
from .checks import lone_surrogate
from .config import SamplingOptions
from .couplet import plan_couplet
from .errors import PoetryGenError
from .forms import FORMS, FREE_LINES
from .parallelism import load_table
from .prosody import PING_GROUPS
from .tunes import load_tunes

MAX_BODY = 8192  # bytes of one request
MAX_TEXT = 200  # characters of one text field (a 七律 with its marks has 64)
MAX_NUM = 10  # candidates one request may ask for
MAX_LINES = FREE_LINES[1]  # lines one request may ask for: as many as a free poem may have
LOCK_WAIT = 30.0  # seconds a request waits for the model before it is turned away
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_PAGES = {"/": ("index.html", "text/html"), "/app.js": ("app.js", "text/javascript"),
          "/style.css": ("style.css", "text/css")}
_NUMBER = (int, float)
# How a poem is written (SamplingOptions' fields a request may set).
_SAMPLING = {"num": int, "seed": int, "temperature": _NUMBER, "top_k": int, "top_p": _NUMBER,
             "rhyme": (str, bool), "tones": str, "theme": str}
# Each endpoint's fields and their JSON types (null: not given); the required ones are listed apart.
_FIELDS = {
    "generate": {"acrostic": str, "start": str, "form": str, "chars": int, "lines": int, **_SAMPLING,
                 "must_include": str},
    "revise": {"poem": str, "line": int, "keep_head": bool, **_SAMPLING},
    # as `couplet` takes them: a 下联 rhymes with nothing, and has no theme
    "couplet": {"first": str, "strict": bool, **{k: v for k, v in _SAMPLING.items() if k not in ("rhyme", "theme")}},
    "check": {"poem": str, "form": str},
    "attention": {"poem": str, "theme": str},
}
_REQUIRED = {"revise": ("poem", "line"), "couplet": ("first",), "check": ("poem",), "attention": ("poem",)}


class Busy(Exception):
    """The model stayed busy with other requests longer than the server waits."""


@dataclass
class Response:
    status: int
    body: dict


def parse_request(endpoint: str, body: bytes) -> dict:
    """The fields of a request to `endpoint` (a key of _FIELDS), checked: a JSON object of known fields
    with the right types, text no longer than MAX_TEXT, num and lines at most MAX_NUM and MAX_LINES.
    Null means not given."""
    if len(body) > MAX_BODY:
        raise PoetryGenError(f"the request is longer than {MAX_BODY} bytes")
    try:
        request = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PoetryGenError(f"the request is not valid JSON ({err})") from None
    if not isinstance(request, dict):
        raise PoetryGenError("the request is a JSON object, e.g. {\"acrostic\": \"春夏秋冬\"}")
    if _holds_surrogate(request):  # valid JSON ("\ud800"), but not text: no reply could even quote it
        raise PoetryGenError("the request holds a lone surrogate (\\ud800 to \\udfff), which is not text")
    fields = _FIELDS[endpoint]
    unknown = sorted(set(request) - set(fields))
    if unknown:
        raise PoetryGenError(f"unknown field {unknown[0]!r}: /api/{endpoint} takes {', '.join(fields)}")
    given = {name: value for name, value in request.items() if value is not None}
    for name, value in given.items():
        _check_type(name, value, fields[name])
    missing = [name for name in _REQUIRED.get(endpoint, ()) if name not in given]
    if missing:
        raise PoetryGenError(f"/api/{endpoint} needs the field {missing[0]!r}")
    for name, cap in (("num", MAX_NUM), ("lines", MAX_LINES)):
        if given.get(name, 0) > cap:
            raise PoetryGenError(f"{name} is at most {cap} here, not {given[name]}")
    return given


def _holds_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a lone surrogate code point in a string or a key."""
    if isinstance(value, str):
        return lone_surrogate(value) is not None
    if isinstance(value, dict):
        return any(_holds_surrogate(k) or _holds_surrogate(v) for k, v in value.items())
    return isinstance(value, list) and any(_holds_surrogate(v) for v in value)


def _no_constant(name: str):
    raise PoetryGenError(f"{name} is not a number JSON allows")


def _check_type(name: str, value: Any, kind: Union[type, tuple]) -> None:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # JSON true/false are Python bools, which are ints too: a number field must not take them.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
        raise PoetryGenError(f"{name} must be {' or '.join(dict.fromkeys(names[k] for k in kinds))}, "
                             f"not {json.dumps(value, ensure_ascii=False)[:40]}")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise PoetryGenError(f"{name} is {len(value)} characters long; at most {MAX_TEXT} are read")


class ModelThread:
    """Loads the model and runs every use of it on one long-lived thread. Why one, and the loading's: on the
    2-core machine, torch on two threads, a poem written on another thread than the one that loaded the
    model took 336 ms against 205 ms, and 199–213 ms with one thread doing both (medians of 7). It looks
    like torch's OpenMP workers sleeping between the ~30 operations of a character, instead of spinning,
    once a second thread has run torch."""

    def __init__(self, load: Callable):
        """`load()` → the Generator, called on the model's thread; its error is raised here."""
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="poetry-gen-model")
        self.gen = self._thread.submit(load).result()

    def run(self, work: Callable):
        """work(gen) on the model's thread: its result, or its exception raised here."""
        return self._thread.submit(work, self.gen).result()


class PoemApp:
    """The API over one Generator: `respond(endpoint, body)` → Response. No HTTP here, so that tests and
    the handler call the same code. `load()` → the Generator (ModelThread calls it)."""

    def __init__(self, load: Callable, lock_wait: float = LOCK_WAIT):
        self.model, self.lock_wait = ModelThread(load), lock_wait
        self.model_lock = threading.Lock()
        self.pages = {path: (resources.files("poetry_gen").joinpath("web", name).read_bytes(), kind)
                      for path, (name, kind) in _PAGES.items()}

    @staticmethod
    def info() -> dict:
        """What the page offers: GET /api/info. `tunes`: the tune table (tunes.Tune.to_dict, most ci first),
        each a form /api/generate takes."""
        return {"forms": list(FORMS), "tunes": [tune.to_dict() for tune in load_tunes().values()],
                "rhyme_groups": list(PING_GROUPS), "max_num": MAX_NUM, "max_text": MAX_TEXT}

    def warm_up(self) -> None:
        """Write, check and convert one poem, and read the tables a ci's and a couplet's check read (the tune
        table, the 对仗 pair table: about 1 s), so that the first request finds every table loaded."""
        poem = self.model.run(lambda gen: gen.generate(num=1, seed=0)[0])
        self._poems([poem])
        load_tunes()
        load_table()

    def respond(self, endpoint: str, body: bytes) -> Response:
        if endpoint not in _FIELDS:
            return Response(404, {"error": f"no such API: /api/{endpoint} (there are {', '.join(_FIELDS)})"})
        try:
            request = parse_request(endpoint, body)
            return Response(200, getattr(self, f"_{endpoint}")(request))
        except PoetryGenError as err:
            return Response(400, {"error": str(err)})
        except Busy:
            return Response(503, {"error": f"the model was busy with other requests for {self.lock_wait:g} s; "
                                           f"try again in a moment"})

    def _use_model(self, work: Callable):
        """work(gen) on the model's thread, once the lock lets this request use the model (see the module
        docstring)."""
        if not self.model_lock.acquire(timeout=self.lock_wait):
            raise Busy()
        try:
            return self.model.run(work)
        finally:
            self.model_lock.release()

    def _generate(self, request: dict) -> dict:
        options = _options(request)
        acrostic, start = request.get("acrostic"), request.get("start")
        if acrostic is not None and start is not None:
            raise PoetryGenError("acrostic and start do not go together: an acrostic's lines begin with its heads")
        if acrostic is not None and "lines" in request:
            raise PoetryGenError("lines does not go with acrostic: an acrostic has one line per head")
        shape = {name: request.get(name) for name in ("form", "chars")}
        if acrostic is not None:
            poems = self._use_model(lambda gen: gen.acrostic(acrostic, **shape, options=options))
        else:
            poems = self._use_model(
                lambda gen: gen.generate(start=start, lines=request.get("lines"), **shape, options=options))
        return self._poems(poems)

    def _couplet(self, request: dict) -> dict:
        options = _options(request)
        plan = plan_couplet(request["first"], request.get("strict", False))
        poems = self._use_model(lambda gen: gen.write_couplet(plan, options))
        return {**self._poems(poems), "warnings": [*options.warnings(), *plan.warnings]}

    def _revise(self, request: dict) -> dict:
        options = _options(request)
        poems = self._use_model(lambda gen: gen.revise(request["poem"], request["line"],
                                                       keep_head=request.get("keep_head", False), options=options))
        return self._poems(poems)

    def _check(self, request: dict) -> dict:
        return check(request["poem"], request.get("form")).to_dict()

    def _attention(self, request: dict) -> dict:
        return {"svg": self._use_model(
            lambda gen: gen.attention_svg(gen.read(request["poem"], theme=request.get("theme"))))}

    @staticmethod
    def _poems(poems: list) -> dict:
        return {"poems": [p.to_dict() for p in poems], "traditional": [p.to_traditional().to_dict() for p in poems],
                "checks": [check(p.text, p.form).to_dict() for p in poems]}


def _options(request: dict) -> SamplingOptions:
    return SamplingOptions(**{name: request[name] for name in (*_SAMPLING, "must_include") if name in request})


# A Host header (or an Origin less its "http://"): a name or IPv4 address, or an IPv6 one in brackets;
# then the port, which a browser leaves out for 80.
_HOST = re.compile(r"(\[[0-9a-f:.]+\]|[^\[\]:@/]+)(?::([0-9]{1,5}))?")


def split_host(header: str) -> Optional[tuple]:
    """(name, port) of a Host header, e.g. "[::1]:8000" → ("::1", 8000); None if it is not one."""
    match = _HOST.fullmatch(header.strip().lower())
    return (match.group(1).strip("[]"), int(match.group(2) or 80)) if match else None


def answers_to(host_header: Optional[str], bound_host: str, port: int) -> bool:
    """Whether a request with this Host header was meant for a server bound to bound_host:port: its name is
    loopback's or bound_host, and its port is port. Bound to every address (0.0.0.0, ::), any address is
    taken, by number only: DNS rebinding needs a name of the attacker's."""
    name_port = split_host(host_header or "")
    if name_port is None or name_port[1] != port:
        return False
    name = name_port[0]
    if name in LOOPBACK_NAMES or name == bound_host.lower():
        return True
    return is_unspecified(bound_host) and _ip(name) is not None


def is_unspecified(host: str) -> bool:
    """Whether `host` binds every address of the machine (0.0.0.0, ::)."""
    address = _ip(host)
    return bool(address and address.is_unspecified)


def _ip(host: str):
    """The address `host` writes, or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def same_origin(origin: str, host_header: str) -> bool:
    """Whether a request's Origin is the page this server serves at Host (http, same name and port)."""
    scheme, _, rest = origin.lower().partition("://")
    return scheme == "http" and split_host(rest) == split_host(host_header)


class _Handler(BaseHTTPRequestHandler):
    server_version = "poetry-gen"

    def _refuse(self) -> bool:
        """Answers 403 to a Host this server is not reached by, or (POST) an Origin other than its own; 415
        to an API POST that is not JSON. False for a request that may go on. See the module docstring."""
        refusal = self._refusal()
        if refusal is not None:
            self._send_json(refusal)
        return refusal is not None

    def _refusal(self) -> Optional[Response]:
        host = self.headers.get("Host")
        bound_host, port = self.server.host, self.server.server_address[1]
        if not answers_to(host, bound_host, port):
            names = ", ".join(f"[{n}]" if ":" in n else n for n in dict.fromkeys((*LOOPBACK_NAMES, bound_host)))
            also = " or an address of this machine" if is_unspecified(bound_host) else ""
            return Response(403, {"error": f"Host {(host or '')[:60]!r} is not this server: it answers to "
                                           f"{names}{also} on port {port}"})
        if self.command != "POST":
            return None
        origin = self.headers.get("Origin")
        if origin is not None and not same_origin(origin, host):
            return Response(403, {"error": f"requests from {origin[:60]!r} are refused: only this server's own "
                                           f"page (http://{host}) may POST here"})
        if self.path.startswith("/api/") and self.headers.get_content_type() != "application/json":
            sent = self.headers.get("Content-Type") or "none"
            return Response(415, {"error": f"the API takes Content-Type application/json, not {sent[:60]}"})
        return None

    def do_GET(self):
        if self._refuse():
            return
        path = self.path.split("?", 1)[0]
        if path == "/api/info":
            self._send_json(Response(200, self.server.app.info()))
            return
        page = self.server.app.pages.get(path)
        if page is None:
            self._send_json(Response(404, {"error": f"no page {self.path}"}))
        else:
            self._send(200, *page)

    def do_POST(self):
        if self._refuse():
            return
        path = self.path.split("?", 1)[0]
        if not path.startswith("/api/"):
            self._send_json(Response(404, {"error": f"POST goes to /api/…, not {path}"}))
            return
        try:
            body = self._read_body()
        except PoetryGenError as err:
            self._send_json(Response(400, {"error": str(err)}))
            return
        try:
            response = self.server.app.respond(path[len("/api/"):], body)
        except Exception:  # a bug, not the request's fault: say so, and keep serving
            traceback.print_exc()
            response = Response(500, {"error": "internal error (the server's log has the details)"})
        self._send_json(response)

    def _read_body(self) -> bytes:
        """All Content-Length bytes of the body. A body that ends before them (the client stopped sending) is
        refused: its first bytes can be a whole JSON object, and a poem would answer a request never sent."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            raise PoetryGenError(f"a request is a JSON body of 1 to {MAX_BODY} bytes")
        body = self.rfile.read(length)
        if len(body) < length:
            raise PoetryGenError(f"the request's body ended after {len(body)} of the {length} bytes "
                                 f"its Content-Length says")
        return body

    def _send_json(self, response: Response) -> None:
        self._send(response.status, json.dumps(response.body, ensure_ascii=False).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        # Only this server's own files: the page works offline and loads nothing from elsewhere. The
        # attention picture's <svg> carries its own <style>, hence 'unsafe-inline' for styles.
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        if self.server.log_requests:
            super().log_message(format, *args)


class PoemServer(ThreadingHTTPServer):
    daemon_threads = True  # a request still running does not keep Ctrl-C from stopping the server

    def __init__(self, app: PoemApp, host: str = "127.0.0.1", port: int = 8000, log_requests: bool = True):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.app, self.host, self.log_requests = app, host, log_requests
        super().__init__((host, port), _Handler)

    def handle_error(self, request, client_address) -> None:
        """A client that left mid-request (a tab closed while its poem was written) is one line in the log,
        not socketserver's traceback: nothing is wrong with the server, and the next request is served."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):  # BrokenPipeError, ConnectionResetError, ...
            super().handle_error(request, client_address)
        elif self.log_requests:
            print(f"poetry-gen: {client_address[0]}:{client_address[1]} went away before its answer was sent "
                  f"({error})", file=sys.stderr)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def is_loopback(host: str) -> bool:
    address = _ip(host)  # of a host name, only "localhost" is known to stay on this machine
    return host == "localhost" or bool(address and address.is_loopback)


def bind_warning(host: str) -> Optional[str]:
    """What to tell the user before serving on `host`, or None for a loopback address."""
    if is_loopback(host):
        return None
    return (f"warning: serving on {host}, not loopback: anyone who can reach this machine on the network can use "
            f"the page and its API (there is no login)")


def serve(load: Callable, host: str = "127.0.0.1", port: int = 8000, out=sys.stdout) -> None:
    """Serve the page and the API on host:port until Ctrl-C; `load()` → the Generator (PoemApp)."""
    warning = bind_warning(host)
    if warning:
        print(f"poetry-gen: {warning}", file=sys.stderr)
    app = PoemApp(load)
    app.warm_up()
    try:
        server = PoemServer(app, host, port)
    except OSError as err:
        raise PoetryGenError(f"cannot serve on {host}:{port}: {err.strerror or err}") from None
    print(f"poetry-gen: serving {server.url} (Ctrl-C stops)", file=out, flush=True)
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("poetry-gen: stopped", file=out)
