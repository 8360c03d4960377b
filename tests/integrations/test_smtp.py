"""Outgoing e-mail against a real SMTP server (aiosmtpd) on loopback.

STARTTLS and implicit TLS are not exercised against a server here (that needs a certificate
the test would have to mint and trust); the code path is the standard library's
``starttls()``/``SMTP_SSL`` with the default verifying context. What is tested is that a config
asking for STARTTLS fails for good against a server that does not offer it.
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr

from accord.core.settings import Settings
from accord.integrations.smtp import MailError, SmtpConfig, check_address, send_email

SUBJECT = "【Accord】商机「上海云帆科技」已赢单 — ¥120,000"
TEXT = "张三，你好：\n\n商机已赢单，请尽快安排合同。\nhttps://crm.example.com/r/opportunity/1\n"
HTML = "<p>张三，你好：</p><p>商机已<b>赢单</b>。<a href='https://crm.example.com/r/1'>打开</a></p>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Recorder:
    """An aiosmtpd handler: keeps every message, or answers a chosen reply at RCPT or DATA."""

    rcpt_reply: Callable[[str], str | None] = lambda address: None
    data_reply: str | None = None
    messages: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        reply = self.rcpt_reply(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"crm",
        b"s3cret",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Recorder, SmtpConfig]]]:
    controllers: list[Controller] = []

    def start(recorder: Recorder | None = None, **kwargs: Any) -> tuple[Recorder, SmtpConfig]:
        recorder = recorder or Recorder()
        port = free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        config = SmtpConfig(
            host="127.0.0.1",
            port=port,
            sender="Accord 通知 <noreply@crm.example.com>",
            security="none",
            timeout=5,
        )
        return recorder, config

    yield start
    for controller in controllers:
        controller.stop()


def received(recorder: Recorder) -> email.message.EmailMessage:
    (envelope,) = recorder.messages
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def body_text(message: email.message.EmailMessage, subtype: str) -> str:
    """A decoded body part with the wire's CRLF line ends turned back into newlines."""
    part = message.get_body((subtype,))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


# --- delivery ----------------------------------------------------------------------------------


def test_text_and_html_arrive_as_alternatives_with_chinese_intact(smtp_server) -> None:
    recorder, config = smtp_server()

    send_email(config, ["zhangsan@example.com", "li.si@example.org"], SUBJECT, TEXT, HTML)

    (envelope,) = recorder.messages
    assert envelope.mail_from == "noreply@crm.example.com"
    assert envelope.rcpt_tos == ["zhangsan@example.com", "li.si@example.org"]
    message = received(recorder)
    assert message["Subject"] == SUBJECT
    assert message["From"].addresses[0].display_name == "Accord 通知"
    assert message["From"].addresses[0].addr_spec == "noreply@crm.example.com"
    assert [a.addr_spec for a in message["To"].addresses] == [
        "zhangsan@example.com",
        "li.si@example.org",
    ]
    assert message.get_content_type() == "multipart/alternative"
    assert body_text(message, "plain") == TEXT
    assert body_text(message, "html").strip() == HTML
    assert message["Message-ID"].endswith("@crm.example.com>")
    assert message["Date"]
    # The subject travelled RFC 2047-encoded: the raw header is ASCII.
    raw_subject = envelope.original_content.split(b"Subject:", 1)[1].split(b"\r\n")[0]
    assert raw_subject.isascii()


def test_text_only_message_is_single_part(smtp_server) -> None:
    recorder, config = smtp_server()
    send_email(config, ["a@example.com"], "Hello", "plain body")
    message = received(recorder)
    assert message.get_content_type() == "text/plain"
    assert body_text(message, "plain") == "plain body\n"


def test_message_id_and_extra_headers_are_kept(smtp_server) -> None:
    recorder, config = smtp_server()
    send_email(
        config,
        ["a@example.com"],
        "多行\n主题",
        "x",
        message_id="<notification-42@crm.example.com>",
        headers={"Auto-Submitted": "auto-generated", "Reply-To": "客服 <help@example.com>"},
    )
    message = received(recorder)
    assert message["Message-ID"] == "<notification-42@crm.example.com>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Reply-To"].addresses[0].display_name == "客服"
    assert message["Subject"] == "多行 主题"  # a line break in a subject cannot travel


def test_login_then_send(smtp_server) -> None:
    recorder, config = smtp_server(authenticator=authenticator, auth_require_tls=False)
    config = SmtpConfig(**{**config.__dict__, "username": "crm", "password": "s3cret"})
    send_email(config, ["a@example.com"], "s", "t")
    assert len(recorder.messages) == 1


# --- refusals ----------------------------------------------------------------------------------


def test_non_ascii_password_is_permanent(smtp_server) -> None:
    # smtplib sends credentials as ASCII only; such a password can never log in from here.
    _, config = smtp_server(authenticator=authenticator, auth_require_tls=False)
    config = SmtpConfig(**{**config.__dict__, "username": "crm", "password": "密码"})
    with pytest.raises(MailError) as caught:
        send_email(config, ["a@example.com"], "s", "t")
    assert caught.value.retryable is False


def test_wrong_password_is_permanent(smtp_server) -> None:
    recorder, config = smtp_server(authenticator=authenticator, auth_require_tls=False)
    config = SmtpConfig(**{**config.__dict__, "username": "crm", "password": "wrong"})
    with pytest.raises(MailError) as caught:
        send_email(config, ["a@example.com"], "s", "t")
    assert (caught.value.smtp_code, caught.value.retryable) == (535, False)
    assert recorder.messages == []


def test_mailbox_unavailable_550_is_permanent(smtp_server) -> None:
    _, config = smtp_server(Recorder(rcpt_reply=lambda a: "550 5.1.1 mailbox unavailable"))
    with pytest.raises(MailError) as caught:
        send_email(config, ["nobody@example.com"], "s", "t")
    assert (caught.value.smtp_code, caught.value.retryable) == (550, False)
    assert caught.value.refused["nobody@example.com"][0] == 550


def test_451_at_data_is_retryable(smtp_server) -> None:
    _, config = smtp_server(Recorder(data_reply="451 4.3.0 local error, try again later"))
    with pytest.raises(MailError) as caught:
        send_email(config, ["a@example.com"], "s", "t")
    assert (caught.value.smtp_code, caught.value.retryable) == (451, True)


def test_450_for_every_recipient_is_retryable(smtp_server) -> None:
    _, config = smtp_server(Recorder(rcpt_reply=lambda a: "450 4.2.1 greylisted, come back"))
    with pytest.raises(MailError) as caught:
        send_email(config, ["a@example.com", "b@example.com"], "s", "t")
    assert caught.value.retryable is True
    assert set(caught.value.refused) == {"a@example.com", "b@example.com"}


def test_partly_refused_is_reported_and_not_retried(smtp_server) -> None:
    def reply(address: str) -> str | None:
        return "450 4.2.1 try later" if address.startswith("b@") else None

    recorder, config = smtp_server(Recorder(rcpt_reply=reply))
    with pytest.raises(MailError) as caught:
        send_email(config, ["a@example.com", "b@example.com"], "s", "t")
    # a@ has it already; a retry of the whole message would send it to a@ twice.
    assert caught.value.retryable is False
    assert list(caught.value.refused) == ["b@example.com"]
    assert recorder.messages[0].rcpt_tos == ["a@example.com"]


def test_nothing_listening_is_retryable() -> None:
    config = SmtpConfig(host="127.0.0.1", port=free_port(), security="none", timeout=2)
    with pytest.raises(MailError) as caught:
        send_email(config, ["a@example.com"], "s", "t")
    assert caught.value.retryable is True
    assert caught.value.smtp_code is None


def test_server_that_never_greets_times_out_retryably() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # connections complete in the kernel; nobody ever speaks
        port = silent.getsockname()[1]
        config = SmtpConfig(host="127.0.0.1", port=port, security="none", timeout=0.5)
        with pytest.raises(MailError) as caught:
            send_email(config, ["a@example.com"], "s", "t")
    assert caught.value.retryable is True


def test_starttls_required_but_not_offered_is_permanent(smtp_server) -> None:
    recorder, config = smtp_server()
    config = SmtpConfig(**{**config.__dict__, "security": "starttls"})
    with pytest.raises(MailError) as caught:
        send_email(config, ["a@example.com"], "s", "t")
    assert caught.value.retryable is False
    assert recorder.messages == []


@pytest.mark.parametrize(
    ("to", "headers"),
    [
        ([], None),
        (["not-an-address"], None),
        (["张三 <a@example.com>"], None),
        (["a@example.com"], {"X-Evil": "x\r\nBcc: victim@example.com"}),
        (["a@example.com"], {"Bcc": "hidden@example.com"}),
        (["a@example.com"], {"Bad Name": "x"}),
    ],
)
def test_bad_input_is_permanent_and_nothing_is_sent(smtp_server, to, headers) -> None:
    recorder, config = smtp_server()
    with pytest.raises(MailError) as caught:
        send_email(config, to, "s", "t", headers=headers)
    assert caught.value.retryable is False
    assert recorder.messages == []


# --- configuration and helpers -----------------------------------------------------------------


def test_config_from_settings() -> None:
    assert SmtpConfig.from_settings(Settings()) is None
    settings = Settings(
        smtp_host="smtp.example.com",
        smtp_port=465,
        smtp_username="crm",
        smtp_password=SecretStr("pw"),
        smtp_sender="CRM <crm@example.com>",
        smtp_security="ssl",
        smtp_timeout=7,
    )
    config = SmtpConfig.from_settings(settings)
    assert config == SmtpConfig(
        "smtp.example.com", 465, "crm", "pw", "CRM <crm@example.com>", "ssl", 7.0
    )
    assert "pw" not in repr(config)


@pytest.mark.parametrize(
    "addr",
    ["a@example.com", "first.last+tag@sub.example.co", "noreply@localhost", "用户@例子.中国"],
)
def test_check_address_accepts(addr: str) -> None:
    assert check_address(addr)


@pytest.mark.parametrize(
    "addr",
    [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@@example.com",
        "a b@example.com",
        "a@exa mple.com",
        ".a@example.com",
        "a..b@example.com",
        "a@-example.com",
        "a@example..com",
        "a@example.com.",
        "A <a@example.com>",
        " a@example.com",
        "a@example.com\n",
        "a@ex_ample.com",
        "x" * 65 + "@example.com",
    ],
)
def test_check_address_refuses(addr: str) -> None:
    assert not check_address(addr)
