"""Outgoing e-mail over SMTP: one message, one connection, one verdict.

``send_email`` hands one message to the configured server (a submission server or a relay) and
returns once the server has accepted it for every recipient, or raises ``MailError``:

    MailError(detail, retryable)
      retryable  no connection, a timeout or a dropped connection; any 4xx reply
                 (421 busy, 450/451 try later, 452 no space, 454 auth temporarily unavailable)
      permanent  any 5xx reply (550 mailbox unavailable, 553 bad address, 554 refused); the
                 login refused (535); the server lacks STARTTLS or AUTH that the config needs;
                 the server's TLS certificate does not verify; a bad address or header

Standard library only (``smtplib``, ``email``): nothing the stdlib lacks is needed here.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from accord.core.settings import Settings

Security = Literal["none", "starttls", "ssl"]

# Header names callers may not set through ``headers``: the ones built from the arguments.
RESERVED_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "message-id", "content-type"})
HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext: printable ASCII except ':'
DOMAIN_LABEL = re.compile(r"(?!-)[\w-]{1,63}(?<!-)", re.UNICODE)
LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\U0010ffff-]+")


class MailError(Exception):
    """The message was not accepted; ``retryable`` says whether the same message may be
    accepted later. ``smtp_code`` is the server's reply code when it gave one; ``refused`` maps
    each refused recipient to the server's (code, reply)."""

    def __init__(
        self,
        detail: str,
        retryable: bool,
        *,
        smtp_code: int | None = None,
        refused: dict[str, tuple[int, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable
        self.smtp_code = smtp_code
        self.refused = refused or {}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "Accord <noreply@localhost>"  # the From header; its address is the envelope
    security: Security = "starttls"
    timeout: float = 15.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        """The configured server, or None when ``ACCORD_SMTP_HOST`` is unset (e-mail is off)."""
        if not settings.smtp_host:
            return None
        password = settings.smtp_password
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=password.get_secret_value() if password is not None else None,
            sender=settings.smtp_sender,
            security=settings.smtp_security,
            timeout=settings.smtp_timeout,
        )


def check_address(addr: str) -> bool:
    """Whether ``addr`` is a plain deliverable address (``local@domain``), without a display
    name. Deliberately simple: one ``@``, a dot-atom local part, a domain of letter/digit/hyphen
    labels (Unicode allowed: internationalised domains). The server has the last word."""
    if not isinstance(addr, str) or len(addr) > 254 or addr != addr.strip():
        return False
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or len(local) > 64:
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    if not all(LOCAL_PART.fullmatch(part) for part in local.split(".")):
        return False
    labels = domain.split(".")
    return all(DOMAIN_LABEL.fullmatch(label) and "_" not in label for label in labels)


def send_email(
    config: SmtpConfig,
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    *,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Send one message to ``to`` (plain addresses): ``text`` alone, or ``text`` and ``html``
    as multipart/alternative. Subject and bodies are UTF-8 (Chinese is fine). ``message_id``
    (``<id@domain>``) lets the caller recognise a retry of the same notification; ``headers``
    adds others (``Reply-To``, ``List-Unsubscribe``, ``Auto-Submitted`` …)."""
    message, envelope_from = _compose(config, to, subject, text, html, message_id, headers)
    try:
        with _connect(config) as smtp:
            if config.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if config.username:
                smtp.login(config.username, config.password or "")
            refused = smtp.send_message(message, from_addr=envelope_from, to_addrs=list(to))
    except smtplib.SMTPRecipientsRefused as exc:
        raise _refused(exc.recipients, len(to)) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise MailError(f"the SMTP server lacks what the config needs: {exc}", False) from None
    except smtplib.SMTPResponseException as exc:
        raise _reply_error(exc.smtp_code, exc.smtp_error) from None
    except UnicodeError as exc:
        # smtplib sends credentials (and, without SMTPUTF8, addresses) as ASCII only.
        raise MailError(f"cannot be sent as ASCII: {exc}", False) from None
    except ssl.SSLCertVerificationError as exc:
        raise MailError(f"the SMTP server's certificate does not verify: {exc}", False) from None
    except (smtplib.SMTPException, OSError) as exc:
        # Connection refused or reset, DNS, timeouts, TLS handshake, a server that hung up.
        raise MailError(f"no SMTP answer: {type(exc).__name__}: {exc}", True) from None
    if refused:
        # Some recipients accepted, some not: the message is out, so a retry would repeat it
        # to those who have it.
        raise _refused(refused, len(to))


def _compose(
    config: SmtpConfig,
    to: list[str],
    subject: str,
    text: str,
    html: str | None,
    message_id: str | None,
    headers: dict[str, str] | None,
) -> tuple[EmailMessage, str]:
    def bad(detail: str) -> MailError:
        return MailError(detail, False)

    if not to:
        raise bad("no recipients")
    wrong = [a for a in to if not check_address(a)]
    if wrong:
        raise bad(f"not e-mail addresses: {wrong}")
    sender_name, envelope_from = parseaddr(config.sender)
    if not check_address(envelope_from) or len(getaddresses([config.sender])) != 1:
        raise bad(f"the sender is not 'Name <address>' or an address: {config.sender!r}")
    message = EmailMessage()
    try:
        message["From"] = Address(display_name=sender_name, addr_spec=envelope_from)
        message["To"] = ", ".join(to)
        # A template may end a line inside the subject; a header cannot hold one.
        message["Subject"] = " ".join(subject.split())
        message["Date"] = formatdate(usegmt=True)  # the submission time, as MTAs stamp it
        message["Message-ID"] = message_id or make_msgid(domain=envelope_from.rpartition("@")[2])
        for name, value in (headers or {}).items():
            if not HEADER_NAME.fullmatch(name) or name.lower() in RESERVED_HEADERS:
                raise bad(f"header {name!r} cannot be set here")
            if name.lower() == "date":
                del message["Date"]
            message[name] = value
    except ValueError as exc:  # a CR or LF in a header value (header injection)
        raise bad(f"invalid header: {exc}") from None
    message.set_content(text, subtype="plain", charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    return message, envelope_from


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    if config.security == "ssl":
        return smtplib.SMTP_SSL(
            config.host,
            config.port,
            timeout=config.timeout,
            context=ssl.create_default_context(),
        )
    return smtplib.SMTP(config.host, config.port, timeout=config.timeout)


def _reply_error(code: int, reply: bytes | str) -> MailError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return MailError(f"SMTP {code} {text}", 400 <= code < 500 or code < 0, smtp_code=code)


def _refused(recipients: dict[str, tuple[int, bytes]], total: int) -> MailError:
    refused = {
        addr: (code, reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply)
        for addr, (code, reply) in recipients.items()
    }
    every = len(refused) == total
    # Retry only when nobody got the message and every refusal was temporary.
    retryable = every and all(400 <= code < 500 for code, _ in refused.values())
    codes = sorted({code for code, _ in refused.values()})
    detail = "; ".join(f"{a}: {c} {r}" for a, (c, r) in refused.items())
    scope = "every recipient" if every else f"{len(refused)} of {total} recipients"
    return MailError(
        f"SMTP refused {scope}: {detail}",
        retryable,
        smtp_code=codes[-1] if codes else None,
        refused=refused,
    )
