"""Local stand-ins for the providers, on 127.0.0.1 only: a WSGI app per HTTP API (Werkzeug's
make_server in a thread) that checks each request as the provider documents it and answers as
the provider does, and a real SMTP server (aiosmtpd) that keeps what it receives.

A request that breaks a documented detail is answered 400 and kept in `problems`; tests assert
`problems == []` (the fixtures do so on teardown). `script` makes the next requests fail:
"400", "500", "503", "429" or "timeout" (the answer is held until the client gives up, at most HOLD seconds).
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import socket
import ssl
import subprocess
import threading
from email import message_from_bytes, policy
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

HOLD = 2.0  # seconds a "timeout" answer is held back (the client's timeout is shorter)


class HttpFake:
    def __init__(self):
        self.requests: list[dict] = []   # every accepted request: path, headers, fields
        self.problems: list[str] = []    # undocumented details (answered 400)
        self.rejected: list[int] = []    # statuses the provider itself would answer (401, …)
        self.script: list[str] = []      # modes for the next requests, then "ok"
        self.hits = 0
        self._release = threading.Event()
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.hits += 1
        mode = self.script.pop(0) if self.script else "ok"
        if mode == "timeout":
            self._release.wait(HOLD)
            return Response("late", 504)(environ, start_response)
        if mode in ("400", "500", "503"):
            return self.error(int(mode))(environ, start_response)
        if mode == "429":
            response = self.error(429)
            response.headers["Retry-After"] = "1"
            return response(environ, start_response)
        problems: list[str] = []
        response = self.handle(request, problems)
        if problems:
            self.problems.extend(problems)
            response = Response(json.dumps({"problems": problems}), 400, mimetype="application/json")
        return response(environ, start_response)

    def handle(self, request: Request, problems: list[str]) -> Response:
        raise NotImplementedError

    def error(self, status: int) -> Response:
        raise NotImplementedError


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


class MetaFake(HttpFake):
    """WhatsApp Cloud API: POST /{version}/{phone_number_id}/messages, bearer token, JSON."""

    TOP = {"messaging_product", "recipient_type", "to", "type", "template", "text", "context",
           "biz_opaque_callback_data"}

    def __init__(self, token="EAAtest", phone_number_id="106540352242922", version="v21.0"):
        self.token, self.phone_number_id, self.version = token, phone_number_id, version
        super().__init__()

    def error(self, status):
        text, code = ("(#100) Invalid parameter", 100) if status < 500 else ("Service temporarily unavailable", 2)
        return Response(json.dumps({"error": {"message": text, "type": "OAuthException", "code": code,
                                              "fbtrace_id": "Afake"}}), status, mimetype="application/json")

    def handle(self, request, problems):
        if request.method != "POST" or request.path != f"/{self.version}/{self.phone_number_id}/messages":
            problems.append(f"{request.method} {request.path}: not the messages endpoint")
            return Response(status=404)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            self.rejected.append(401)
            return Response(json.dumps({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                                  "code": 190, "fbtrace_id": "Afake"}}), 401, mimetype="application/json")
        if request.mimetype != "application/json":
            problems.append(f"Content-Type {request.mimetype!r}, not application/json")
        try:
            body = json.loads(request.get_data())
        except ValueError:
            problems.append("body is not JSON")
            return Response(status=400)
        problems += [f"unknown field {k!r}" for k in set(body) - self.TOP]
        if body.get("messaging_product") != "whatsapp":
            problems.append("messaging_product must be 'whatsapp'")
        if not re.fullmatch(r"\d{7,15}", str(body.get("to", ""))):
            problems.append(f"to {body.get('to')!r}: the number's digits")
        if body.get("type") == "template":
            self.check_template(body.get("template") or {}, problems)
        elif body.get("type") == "text":
            text = body.get("text") or {}
            if not isinstance(text.get("body"), str) or not text["body"] or len(text["body"]) > 4096:
                problems.append("text.body: 1 to 4096 characters")
        else:
            problems.append(f"type {body.get('type')!r}: template or text")
        wamid = "wamid." + base64.b64encode(secrets.token_bytes(24)).decode()
        self.requests.append({"path": request.path, "headers": dict(request.headers), "json": body, "id": wamid})
        return Response(json.dumps({"messaging_product": "whatsapp",
                                    "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                                    "messages": [{"id": wamid}]}), 200, mimetype="application/json")

    @staticmethod
    def check_template(template: dict, problems: list[str]):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(template.get("name", ""))):
            problems.append(f"template.name {template.get('name')!r}")
        if not isinstance((template.get("language") or {}).get("code"), str):
            problems.append("template.language.code missing")
        for component in template.get("components", []):
            kind = component.get("type")
            params = component.get("parameters")
            if kind not in ("header", "body", "button"):
                problems.append(f"component type {kind!r}")
            if not isinstance(params, list) or not all(
                    p.get("type") == "text" and isinstance(p.get("text"), str) and p["text"] for p in params):
                problems.append(f"{kind} parameters: a list of {{'type': 'text', 'text': …}}")
            if kind == "button" and (component.get("sub_type") != "url" or not isinstance(component.get("index"), str)):
                problems.append("button: sub_type 'url' and index as a string ('0')")


class TwilioFake(HttpFake):
    """Twilio Messages API: POST /2010-04-01/Accounts/{sid}/Messages.json, basic auth, form."""

    FIELDS = {"To", "From", "MessagingServiceSid", "Body", "StatusCallback", "MediaUrl", "ValidityPeriod"}

    def __init__(self, account_sid="AC" + "0123456789abcdef" * 2, auth_token="twilio-test-token"):
        self.account_sid, self.auth_token = account_sid, auth_token
        super().__init__()

    def error(self, status):
        code, text = (21211, "Invalid 'To' Phone Number") if status < 500 else (20500, "Internal Server Error")
        return Response(json.dumps({"code": code, "message": text, "status": status,
                                    "more_info": f"https://www.twilio.com/docs/errors/{code}"}),
                        status, mimetype="application/json")

    def handle(self, request, problems):
        if request.method != "POST" or request.path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            problems.append(f"{request.method} {request.path}: not the Messages resource")
            return Response(status=404)
        if _basic(request.headers.get("Authorization")) != (self.account_sid, self.auth_token):
            self.rejected.append(401)
            return Response(json.dumps({"code": 20003, "message": "Authenticate", "status": 401,
                                        "more_info": "https://www.twilio.com/docs/errors/20003"}),
                            401, mimetype="application/json")
        if request.mimetype != "application/x-www-form-urlencoded":
            problems.append(f"Content-Type {request.mimetype!r}, not application/x-www-form-urlencoded")
        form = request.form
        problems += [f"unknown field {k!r}" for k in set(form) - self.FIELDS]
        problems += [f"{k} given twice" for k in form if len(form.getlist(k)) > 1]
        if not re.fullmatch(r"\+[1-9]\d{6,14}", form.get("To", "")):
            problems.append(f"To {form.get('To')!r}: E.164")
        if ("From" in form) == ("MessagingServiceSid" in form):
            problems.append("exactly one of From and MessagingServiceSid")
        if not form.get("Body") or len(form["Body"]) > 1600:
            problems.append("Body: 1 to 1600 characters")
        sid = "SM" + secrets.token_hex(16)
        self.requests.append({"path": request.path, "headers": dict(request.headers), "form": form.to_dict(), "sid": sid})
        return Response(json.dumps({"sid": sid, "account_sid": self.account_sid, "status": "queued",
                                    "to": form.get("To"), "from": form.get("From"), "body": form.get("Body"),
                                    "messaging_service_sid": form.get("MessagingServiceSid")}),
                        201, mimetype="application/json")


# -- SMTP ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPFake:
    """aiosmtpd on 127.0.0.1: `messages` holds (envelope sender, recipients, parsed message).
    tls="starttls" requires STARTTLS before MAIL; tls="implicit" speaks TLS from the start."""

    def __init__(self, tls: str | None = None, context: ssl.SSLContext | None = None, refuse: int | None = None):
        from aiosmtpd.controller import Controller

        self.messages: list[tuple[str, list[str], object]] = []
        self.refuse = refuse  # an SMTP code to answer DATA with (e.g. 451 or 550)
        options = {}
        if tls == "starttls":
            options = {"tls_context": context, "require_starttls": True}
        elif tls == "implicit":
            options = {"ssl_context": context}
        for _ in range(5):  # a port found free may be taken before the bind: try another
            self.port = free_port()
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=5,
                                         server_hostname="127.0.0.1", **options)
            try:
                self.controller.start()
                break
            except OSError:
                continue
        else:
            raise RuntimeError("no free port for the SMTP fake")

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return f"{self.refuse} refused by the test"
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def close(self):
        self.controller.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def self_signed(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext] | None:
    """(server context, client context trusting only this certificate) for 127.0.0.1, made with
    the openssl command; None when it is not installed."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


# -- the receiver configured for the fakes, and what the providers post back ---------------
APP_SECRET = "meta-app-secret-for-tests"
VERIFY_TOKEN = "meta-verify-token-for-tests"
SMS_FROM = "+4759440000"
PROVIDER_ENV = {"OPTIN_WHATSAPP_TOKEN": "EAAtest", "OPTIN_WHATSAPP_APP_SECRET": APP_SECRET,
                "OPTIN_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "OPTIN_TWILIO_AUTH_TOKEN": "twilio-test-token"}


def provider_toml(meta: MetaFake, twilio: TwilioFake, smtp: SMTPFake, retry_delay: float = 0.01) -> str:
    """optin.toml [receiver.<channel>] tables pointing at the fakes (secrets in PROVIDER_ENV)."""
    return f"""
[receiver.whatsapp]
provider = "cloud-api"
phone_number_id = "{meta.phone_number_id}"
api_version = "{meta.version}"
base_url = "{meta.url}"
token_env = "OPTIN_WHATSAPP_TOKEN"
app_secret_env = "OPTIN_WHATSAPP_APP_SECRET"
verify_token_env = "OPTIN_WHATSAPP_VERIFY_TOKEN"
retry_delay = {retry_delay}
timeout = 1

[receiver.sms]
provider = "twilio"
account_sid = "{twilio.account_sid}"
from = "{SMS_FROM}"
base_url = "{twilio.url}"
auth_token_env = "OPTIN_TWILIO_AUTH_TOKEN"
retry_delay = {retry_delay}
timeout = 1

[receiver.email]
provider = "smtp"
host = "127.0.0.1"
port = {smtp.port}
security = "plain"
from = "hei@example.no"
retry_delay = {retry_delay}
"""


def meta_inbound(sender: str, text: str, message_id: str, phone_number_id: str = "106540352242922") -> bytes:
    """A WhatsApp Cloud API messages webhook body with one text message from `sender` (E.164)."""
    body = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "4759440000", "phone_number_id": phone_number_id},
            "contacts": [{"profile": {"name": "Kari"}, "wa_id": sender.lstrip("+")}],
            "messages": [{"from": sender.lstrip("+"), "id": message_id, "timestamp": "1764000000",
                          "type": "text", "text": {"body": text}}]}}]}]}
    return json.dumps(body).encode()


def meta_status(wamid: str, recipient: str, status: str = "delivered") -> bytes:
    body = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"phone_number_id": "106540352242922"},
            "statuses": [{"id": wamid, "status": status, "timestamp": "1764000001",
                          "recipient_id": recipient.lstrip("+")}]}}]}]}
    return json.dumps(body).encode()


def meta_headers(raw: bytes, secret: str = APP_SECRET) -> dict:
    from generator.receiver.webhooks import meta_signature

    return {"X-Hub-Signature-256": meta_signature(raw, secret), "Content-Type": "application/json"}


def twilio_inbound(sender: str, text: str, sid: str, account_sid: str = "AC" + "0123456789abcdef" * 2) -> dict:
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": account_sid, "From": sender, "To": SMS_FROM,
            "Body": text, "NumMedia": "0"}


def twilio_headers(url: str, form: dict, token: str = "twilio-test-token") -> dict:
    from generator.receiver.webhooks import twilio_signature

    return {"X-Twilio-Signature": twilio_signature(url, form, token)}
