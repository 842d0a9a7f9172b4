"""Helpers for the SDK suite: start `batchscale serve`, call its admin endpoints, and send
raw Shared Key requests (for the error rows an SDK cannot produce)."""

import base64
import datetime
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import signal
import subprocess
import urllib.parse

KEY = "n4cT0xL3RKKKxv+5mHgzZRiJFAdHTfCpEkKOATh543L9D2J+Vmv1V3QHhfNRQNzx33rXYnVCcfdKrnW1ctFQxg=="
ACCOUNT = "devbatch"
V14 = "2024-02-01.19.0"
V15 = "2025-06-01"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
BIN = os.environ.get("BATCHSCALE_BIN") or os.path.join(ROOT, "target", "release", "batchscale")


class Server:
    """One `batchscale serve --port 0` process (manual clock unless flags say otherwise)."""

    def __init__(self, *flags, manual=True, env=None, preexec_fn=None):
        args = [BIN, "serve", "--port", "0"]
        if manual and "--clock" not in flags:
            args += ["--clock", "manual"]
        args += list(flags)
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, **(env or {})),
            preexec_fn=preexec_fn,
        )
        self.ready = self.proc.stdout.readline()
        if not self.ready.startswith("batchscale serve: listening on http://"):
            err = self.proc.stderr.read()
            raise RuntimeError(f"no ready line: {self.ready!r} {err!r}")
        self.url = self.ready.split("listening on ")[1].split(" ")[0]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.stderr_text = None

    def stop(self):
        """SIGTERM; returns the exit status and keeps stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=15)
        self.stderr_text = self.proc.stderr.read()
        return code

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=15)

    # --- admin endpoints ---------------------------------------------------------------

    def admin(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        data = None if body is None else json.dumps(body)
        conn.request(method, "/_emulator" + path, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        return resp.status, (json.loads(text) if text else None)

    def now(self):
        return self.admin("GET", "/clock")[1]["now"]

    def advance(self, duration):
        status, body = self.admin("POST", "/clock", {"advance": duration})
        assert status == 200, body
        return body["now"]

    def workload(self, pool, count, duration="PT10M", slots=1):
        status, body = self.admin("POST", f"/pools/{pool}/workload",
                                  {"count": count, "duration": duration, "slotsPerTask": slots})
        assert status == 200, body
        return body

    def snapshot(self, pool):
        status, body = self.admin("GET", f"/pools/{pool}/snapshot")
        assert status == 200, body
        return body

    # --- raw Shared Key requests --------------------------------------------------------

    def raw(self, method, path, query=None, body=None, headers=None, sign=True,
            account=ACCOUNT, key=KEY, version=V15, date=None, content_type=True):
        """Sends one request signed as the SDKs sign it; returns (status, headers, json)."""
        q = dict(query or {})
        if version is not None:
            q = {"api-version": version, **q}
        query_text = urllib.parse.urlencode(q, quote_via=urllib.parse.quote, safe="")
        target = path + ("?" + query_text if query_text else "")
        hdrs = {"ocp-date": date or email.utils.formatdate(usegmt=True)}
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            if content_type:
                hdrs["Content-Type"] = "application/json; odata=minimalmetadata"
            hdrs["Content-Length"] = str(len(data))
        elif method not in ("GET", "HEAD"):
            hdrs["Content-Length"] = "0"
        hdrs.update(headers or {})
        if sign and "Authorization" not in hdrs:
            hdrs["Authorization"] = authorization(method, path, query_text, hdrs, account, key)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.putrequest(method, target, skip_accept_encoding=True)
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders(data)
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        return resp.status, resp.msg, (json.loads(text) if text else None)


def string_to_sign(method, path, query_text, headers, account):
    h = {k.lower(): v for k, v in headers.items()}
    parts = [method]
    for name in ["content-encoding", "content-language", "content-length", "content-md5",
                 "content-type", "date", "if-modified-since", "if-match", "if-none-match",
                 "if-unmodified-since", "range"]:
        parts.append(h.get(name, ""))
    out = "\n".join(parts) + "\n"
    for name in sorted(k for k in h if "ocp-" in k):
        out += f"{name}:{h[name]}\n"
    out += f"/{account}{path}"
    query = urllib.parse.parse_qs(query_text)
    for name in sorted(query):
        out += f"\n{name}:{query[name][0]}"
    return out


def authorization(method, path, query_text, headers, account=ACCOUNT, key=KEY):
    s = string_to_sign(method, path, query_text, headers, account)
    mac = hmac.new(base64.b64decode(key), s.encode(), hashlib.sha256).digest()
    return f"SharedKey {account}:{base64.b64encode(mac).decode()}"


def run_eval(formula, snapshot):
    """`batchscale eval FORMULA --pool SNAPSHOT --format json`: the AutoScaleRun text."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "f.txt")
        p = os.path.join(d, "pool.json")
        with open(f, "w") as fh:
            fh.write(formula)
        with open(p, "w") as fh:
            json.dump(snapshot, fh)
        out = subprocess.run([BIN, "eval", f, "--pool", p, "--format", "json"],
                             capture_output=True, text=True)
        return out.stdout.strip()


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)
