"""Email over SMTP (smtplib): STARTTLS on the submission port (587) or implicit TLS (465); plain
SMTP only to this machine (tests, a local relay). Every message is a UTF-8 MIME message with
List-Unsubscribe (the recipient's one-click https address and/or a mailto address) and, when
there is an https address, List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058: the
POST header means something only next to an https URI). The notice that consent was withdrawn
is no list mail: it goes without List-Unsubscribe."""
from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from .base import FAILED, LOOPBACK, SENT, Delivery, Permanent, Retry, Sender, Transient, attr

SECURITY = ("starttls", "tls", "plain")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "plain": 25}
ONE_CLICK = "List-Unsubscribe=One-Click"


class SMTPSender(Sender):
    name = "smtp"

    def __init__(self, host: str, sender: str, *, port: int | None = None, security: str = "starttls",
                 username: str | None = None, password: str | None = None, sender_name: str | None = None,
                 unsubscribe_mailto: str | None = None, reply_to: str | None = None, timeout: float = 20.0,
                 ssl_context: ssl.SSLContext | None = None, retry: Retry | None = None):
        if security not in SECURITY:
            raise ValueError(f"email security {security!r}: one of {', '.join(SECURITY)}")
        if security == "plain" and host not in LOOPBACK:
            raise ValueError(f"email security 'plain' only to 127.0.0.1 (not {host!r}): use starttls or tls")
        if username and not password:
            raise ValueError("email: a username needs password_env")
        if "@" not in parseaddr(sender)[1]:
            raise ValueError(f"email from {sender!r}: an email address")
        self.host, self.port = host, int(port or DEFAULT_PORTS[security])
        self.security, self.username, self.password = security, username, password
        self.sender, self.sender_name, self.reply_to = parseaddr(sender)[1], sender_name, reply_to
        self.unsubscribe_mailto = unsubscribe_mailto
        self.timeout, self.retry = timeout, retry or Retry()
        self.context = ssl_context or ssl.create_default_context()

    # -- the message -------------------------------------------------------------------------
    def unsubscribe_header(self, message) -> tuple[str, bool]:
        uris, one_click = [], False
        url = attr(message, "unsubscribe_url")
        if url:
            if not str(url).startswith("https://") and not _loopback_http(str(url)):
                raise Permanent(f"unsubscribe_url {url!r} must be https (RFC 8058)")
            uris.append(f"<{url}>")
            one_click = True
        if self.unsubscribe_mailto:
            uris.append(f"<mailto:{self.unsubscribe_mailto}?subject=unsubscribe>")
        if not uris:
            raise Permanent("no List-Unsubscribe address: the message needs unsubscribe_url or the "
                            "settings unsubscribe_mailto")
        return ", ".join(uris), one_click

    def mime(self, message) -> EmailMessage:
        mail = EmailMessage()  # policy: email.policy.default (RFC 5322, UTF-8 where needed)
        domain = self.sender.rsplit("@", 1)[1]
        local = self.sender.rsplit("@", 1)[0]
        mail["From"] = Address(self.sender_name or "", local, domain) if self.sender_name else self.sender
        mail["To"] = str(message.recipient)
        mail["Subject"] = attr(message, "subject") or message.body.split("\n", 1)[0].strip()
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = make_msgid(domain=domain)
        if self.reply_to:
            mail["Reply-To"] = self.reply_to
        if attr(message, "kind") != "withdrawal":
            header, one_click = self.unsubscribe_header(message)
            mail["List-Unsubscribe"] = header
            if one_click:
                mail["List-Unsubscribe-Post"] = ONE_CLICK
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
        # quoted-printable: 7-bit safe through any relay (no 8BITMIME needed), long links folded
        mail.set_content(message.body, subtype="plain", charset="utf-8", cte="quoted-printable")
        if attr(message, "locale"):  # after set_content, which replaces the Content-* headers
            mail["Content-Language"] = attr(message, "locale")
        return mail

    # -- sending -----------------------------------------------------------------------------
    def connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                client.ehlo()
                if not client.has_extn("starttls"):
                    raise Permanent(f"{self.host}:{self.port} offers no STARTTLS")
                client.starttls(context=self.context)
                client.ehlo()
        except BaseException:
            client.close()
            raise
        return client

    def send(self, message) -> Delivery:
        try:
            mail = self.mime(message)
        except (Permanent, ValueError) as exc:
            return Delivery(None, FAILED, str(exc), 0)

        def attempt() -> Delivery:
            try:
                client = self.connect()
                try:
                    if self.username:
                        client.login(self.username, self.password)
                    refused = client.send_message(mail, from_addr=self.sender, to_addrs=[str(message.recipient)])
                finally:
                    _quit(client)
            except smtplib.SMTPAuthenticationError as exc:
                raise Permanent(f"SMTP login refused: {exc.smtp_code}") from None
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                raise (Transient if all(400 <= c < 500 for c in codes) else Permanent)(
                    f"recipient refused: {codes}") from None
            except smtplib.SMTPResponseException as exc:
                text = f"SMTP {exc.smtp_code}: {exc.smtp_error.decode('utf-8', 'replace')[:200]}"
                raise (Transient if 400 <= exc.smtp_code < 500 else Permanent)(text) from None
            except ssl.SSLCertVerificationError as exc:
                raise Permanent(f"TLS certificate of {self.host} not trusted: {exc.verify_message}") from None
            except (smtplib.SMTPException, OSError) as exc:
                raise Transient(f"{type(exc).__name__}: {exc}") from None
            if refused:
                raise Permanent(f"recipient refused: {refused}")
            return Delivery(mail["Message-ID"], SENT)

        return self.retry.run(attempt)


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _loopback_http(url: str) -> bool:
    return any(url.startswith(f"http://{host}:") or url.startswith(f"http://{host}/") for host in LOOPBACK)
