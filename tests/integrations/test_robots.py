"""Group robots against a local stand-in for each vendor (see conftest.py): real HTTP, real
signatures recomputed on the server side, vendor-style answers."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from accord.core.errors import Invalid
from accord.integrations import robots
from accord.integrations.robots import RobotError, RobotMessage
from accord.integrations.robots.base import add_query, cut_bytes, cut_json_bytes

if TYPE_CHECKING:  # the fixture's class; tests/ is not a package, so only for type checkers
    from conftest import VendorServer

RECORD_URL = "https://crm.example.com/r/customer/0190f5c2-7d1e-7000-8000-000000000001"
CHINESE = "客户「上海云帆科技有限公司」的商机 **¥120,000** 已进入谈判阶段 ✅"


def now() -> datetime:
    return datetime.now(UTC)


def refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed on exit: nothing listens there


# --- success per vendor ------------------------------------------------------------------------


def test_dingtalk_signed_markdown_is_accepted(vendors: VendorServer) -> None:
    url = vendors.add("dingtalk", secret="SEC" + "a1b2" * 16)
    message = RobotMessage("新线索", "**张三** 提交了表单")

    answer = robots.send("dingtalk", url, "SEC" + "a1b2" * 16, message, now=now())

    assert answer.ok
    (body,) = vendors.robot(url).received
    assert body == {
        "msgtype": "markdown",
        "markdown": {"title": "新线索", "text": "#### 新线索\n\n**张三** 提交了表单"},
    }


def test_dingtalk_link_back_to_record_is_an_action_card_button(vendors: VendorServer) -> None:
    url = vendors.add("dingtalk")
    message = RobotMessage("商机更新", CHINESE, url=RECORD_URL, url_title="打开商机")

    robots.send("dingtalk", url, None, message, now=now())

    (body,) = vendors.robot(url).received
    assert body["msgtype"] == "actionCard"
    card = body["actionCard"]
    assert (card["singleTitle"], card["singleURL"]) == ("打开商机", RECORD_URL)
    assert CHINESE in card["text"]


def test_wecom_markdown_carries_the_link_as_a_markdown_link(vendors: VendorServer) -> None:
    url = vendors.add("wecom")
    message = RobotMessage("工单已分派", CHINESE, url=RECORD_URL)

    answer = robots.send("wecom", url, None, message, now=now())

    assert answer.ok
    (body,) = vendors.robot(url).received
    content = body["markdown"]["content"]
    assert content == f"**工单已分派**\n{CHINESE}\n[查看详情]({RECORD_URL})"


def test_feishu_signed_card_has_title_text_and_button(vendors: VendorServer) -> None:
    url = vendors.add("feishu", secret="feishu-secret-42")
    message = RobotMessage("回款提醒", CHINESE, url=RECORD_URL, url_title="查看回款")

    answer = robots.send("feishu", url, "feishu-secret-42", message, now=now())

    assert answer.ok
    (body,) = vendors.robot(url).received
    card = body["card"]
    assert card["header"]["title"]["content"] == "回款提醒"
    markdown, action = card["elements"]
    assert markdown == {"tag": "markdown", "content": CHINESE}
    (button,) = action["actions"]
    assert (button["text"]["content"], button["url"]) == ("查看回款", RECORD_URL)


def test_feishu_without_secret_sends_no_signature(vendors: VendorServer) -> None:
    url = vendors.add("feishu")
    robots.send("feishu", url, None, RobotMessage("t", "x"), now=now())
    (body,) = vendors.robot(url).received
    assert "sign" not in body and "timestamp" not in body
    assert len(body["card"]["elements"]) == 1  # no link, no button


def test_feishu_older_status_code_answer_counts_as_success(vendors: VendorServer) -> None:
    url = vendors.add("feishu", force="legacy_ok")
    answer = robots.send("feishu", url, None, RobotMessage("t", "x"), now=now())
    assert json.loads(answer.body)["StatusCode"] == 0


@pytest.mark.parametrize("vendor", ["dingtalk", "wecom", "feishu"])
def test_chinese_text_round_trips_as_utf8(vendors: VendorServer, vendor: str) -> None:
    url = vendors.add(vendor)
    robots.send(vendor, url, None, RobotMessage("中文标题", CHINESE, url=RECORD_URL), now=now())
    (raw,) = vendors.robot(url).raw
    assert CHINESE.encode("utf-8") in raw  # sent as UTF-8, not \\uXXXX escapes
    assert "中文标题".encode() in raw


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "server_secret", "client_secret", "code"),
    [
        ("dingtalk", "SECserver", "SECclient", 310000),
        ("dingtalk", "SECserver", None, 310000),
        ("feishu", "server", "client", 19021),
    ],
)
def test_bad_signature_is_refused_for_good(
    vendors: VendorServer, vendor: str, server_secret: str, client_secret: str | None, code: int
) -> None:
    url = vendors.add(vendor, secret=server_secret)
    with pytest.raises(RobotError) as caught:
        robots.send(vendor, url, client_secret, RobotMessage("t", "x"), now=now())
    assert caught.value.retryable is False
    assert caught.value.vendor_code == code
    assert caught.value.answer is not None and caught.value.answer.status == 200
    assert vendors.robot(url).received == []


@pytest.mark.parametrize(("vendor", "secret"), [("dingtalk", "SECx"), ("feishu", "x")])
def test_timestamp_older_than_an_hour_is_refused(
    vendors: VendorServer, vendor: str, secret: str
) -> None:
    url = vendors.add(vendor, secret=secret)
    stale = now() - timedelta(hours=2)
    with pytest.raises(RobotError) as caught:
        robots.send(vendor, url, secret, RobotMessage("t", "x"), now=stale)
    assert caught.value.retryable is False


def test_unknown_token_is_permanent(vendors: VendorServer) -> None:
    with pytest.raises(RobotError) as caught:
        robots.send("wecom", f"{vendors.base}/cgi-bin/webhook/send?key=nope", None,
                    RobotMessage("t", "x"), now=now())  # fmt: skip
    assert (caught.value.vendor_code, caught.value.retryable) == (93000, False)


@pytest.mark.parametrize(
    ("vendor", "code"), [("dingtalk", 130101), ("wecom", 45009), ("feishu", 11232)]
)
def test_rate_limit_code_is_retryable(vendors: VendorServer, vendor: str, code: int) -> None:
    url = vendors.add(vendor, force="rate_limit")
    with pytest.raises(RobotError) as caught:
        robots.send(vendor, url, None, RobotMessage("t", "x"), now=now())
    assert (caught.value.vendor_code, caught.value.retryable) == (code, True)


@pytest.mark.parametrize("vendor", ["dingtalk", "wecom", "feishu"])
def test_http_500_is_retryable_and_400_is_not(vendors: VendorServer, vendor: str) -> None:
    for force, retryable in (("http500", True), ("http400", False)):
        url = vendors.add(vendor, force=force)
        with pytest.raises(RobotError) as caught:
            robots.send(vendor, url, None, RobotMessage("t", "x"), now=now())
        assert caught.value.retryable is retryable
        assert caught.value.vendor_code is None


def test_a_2xx_page_that_is_not_the_vendor_is_permanent(vendors: VendorServer) -> None:
    url = vendors.add("dingtalk", force="html")
    with pytest.raises(RobotError) as caught:
        robots.send("dingtalk", url, None, RobotMessage("t", "x"), now=now())
    assert caught.value.retryable is False


@pytest.mark.parametrize("vendor", ["dingtalk", "wecom", "feishu"])
def test_connection_refused_is_retryable(vendor: str) -> None:
    url = f"http://127.0.0.1:{refused_port()}/robot/send?access_token=x"
    with pytest.raises(RobotError) as caught:
        robots.send(vendor, url, None, RobotMessage("t", "x"), now=now(), timeout=2)
    assert caught.value.retryable is True
    assert caught.value.answer is None


# --- limits ------------------------------------------------------------------------------------


def test_wecom_long_chinese_text_is_cut_to_4096_bytes_keeping_the_link(
    vendors: VendorServer,
) -> None:
    url = vendors.add("wecom")
    robots.send("wecom", url, None, RobotMessage("长文", "汉字" * 3000, url=RECORD_URL), now=now())
    (body,) = vendors.robot(url).received
    content = body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert content.endswith(f"…\n[查看详情]({RECORD_URL})")


@pytest.mark.parametrize("vendor", ["dingtalk", "feishu"])
def test_long_text_stays_under_the_20kb_body_limit(vendors: VendorServer, vendor: str) -> None:
    url = vendors.add(vendor)
    robots.send(vendor, url, None, RobotMessage("长文", "汉字\n" * 20_000, url=RECORD_URL),
                now=now())  # fmt: skip
    (raw,) = vendors.robot(url).raw
    assert len(raw) <= 20 * 1024


def test_cut_bytes_never_splits_a_character() -> None:
    assert cut_bytes("汉字汉字", 12) == "汉字汉字"
    assert cut_bytes("汉字汉字", 11) == "汉字…"  # 6 bytes of text + 3 of the ellipsis
    assert cut_bytes("abcdef", 2) == "ab"  # no room for the ellipsis: a plain cut


def test_signing_keeps_the_existing_query() -> None:
    signed = add_query("https://proxy.example/ding?access_token=t&x=1", {"timestamp": "1"})
    assert signed == "https://proxy.example/ding?access_token=t&x=1&timestamp=1"
    assert add_query("https://proxy.example/ding", {"sign": "a+b/="}) == (
        "https://proxy.example/ding?sign=a%2Bb%2F%3D"
    )


# --- save-time checks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "",
        "oapi.dingtalk.com/robot/send?access_token=x",
        "ftp://oapi.dingtalk.com/robot/send",
        "javascript:alert(1)",
        "https://",
        "https:///robot/send",
        "https://user:pw@oapi.dingtalk.com/robot/send",
        "https://oapi.dingtalk.com:99999/robot/send",
        "https://oapi.dingtalk.com/robot send",
        "https://oapi.dingtalk.com/robot/send\n",
        "https://oapi.dingtalk.com/robot/send#x",
        "https://[::1/robot",
        "https://example.com/" + "a" * 2100,
    ],
)
@pytest.mark.parametrize("vendor", ["dingtalk", "wecom", "feishu"])
def test_check_refuses_malformed_urls(vendor: str, url: str) -> None:
    problems = robots.check(vendor, url, None)
    assert [(p.field, p.code) for p in problems] == [("webhook_url", "ROBOT_URL_INVALID")]


@pytest.mark.parametrize(
    "url",
    [
        "https://oapi.dingtalk.com/robot/send?access_token=abc",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        "https://open.feishu.cn/open-apis/bot/v2/hook/abc",
        "http://robot-proxy.intranet:8080/ding/send?access_token=abc",  # self-hosted proxy
    ],
)
def test_check_accepts_vendor_and_proxy_urls(url: str) -> None:
    for vendor in robots.VENDORS:
        assert robots.check(vendor, url, None) == []


def test_check_applies_each_vendors_secret_rules() -> None:
    url = "https://example.com/hook"
    assert robots.check("dingtalk", url, "SEC0123abc") == []
    assert [p.code for p in robots.check("dingtalk", url, "0123abc")] == ["ROBOT_SECRET_INVALID"]
    assert [p.code for p in robots.check("feishu", url, "a b")] == ["ROBOT_SECRET_INVALID"]
    assert robots.check("feishu", url, "anything") == []
    assert [p.code for p in robots.check("wecom", url, "x")] == ["ROBOT_SECRET_UNSUPPORTED"]
    assert robots.check("wecom", url, "") == []


def test_unknown_vendor_is_refused_with_a_code() -> None:
    assert [p.code for p in robots.check("slack", "https://x.example", None)] == [
        "ROBOT_VENDOR_UNKNOWN"
    ]
    with pytest.raises(Invalid) as caught:
        robots.get("slack")
    assert caught.value.code == "ROBOT_VENDOR_UNKNOWN"


def test_registry_lists_every_vendor_once() -> None:
    assert list(robots.VENDORS) == ["dingtalk", "wecom", "feishu"]
    for name, robot in robots.VENDORS.items():
        assert robot.vendor == name and {"en", "zh"} <= set(robot.label)


def test_cut_json_bytes_counts_escapes() -> None:
    assert cut_json_bytes("a\nb", 4) == "a\nb"  # a, \\n (2), b
    assert cut_json_bytes("a\nb\nc", 6) == "a\n…"  # 1 + 2 + 3 (the ellipsis) bytes
    assert cut_json_bytes('汉"字', 100) == '汉"字'
