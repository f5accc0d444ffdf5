"""What the web chat believes about a request: the visitor's address and scheme (only from trusted
proxies) and the session id in the cookie (only one this server signed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.web.proxies import TrustedProxies, parse
from bot.channels.web.session import KEY_FILE, SessionIds

DOCKER = TrustedProxies.from_setting("127.0.0.1, ::1 172.16.0.0/12")


def test_settings_accept_addresses_and_networks_and_name_the_rest() -> None:
    networks, bad = parse(" 127.0.0.1,::1  10.0.0.0/8;fd00::/8 [::1] caddy 300.1.1.1 ")
    assert [str(n) for n in networks] == ["127.0.0.1/32", "::1/128", "10.0.0.0/8", "fd00::/8", "::1/128"]
    assert bad == ["caddy", "300.1.1.1"]
    assert parse("") == ((), [])


def test_an_untrusted_peer_is_the_visitor_whatever_it_claims() -> None:
    assert DOCKER.client("203.0.113.5", ["198.51.100.1"]) == "203.0.113.5"
    assert not DOCKER.https("203.0.113.5", "https")


@pytest.mark.parametrize(
    ("headers", "visitor"),
    [
        (["198.51.100.7"], "198.51.100.7"),
        # nginx appends what it saw: whatever the visitor wrote is to the left of it.
        (["1.2.3.4, 198.51.100.7"], "198.51.100.7"),
        # Two trusted hops (host proxy, then a container proxy) are skipped from the right.
        (["1.2.3.4, 198.51.100.7, 172.18.0.3"], "198.51.100.7"),
        (["1.2.3.4", "198.51.100.7, 172.18.0.3"], "198.51.100.7"),  # the header sent twice
        (["2001:db8::1"], "2001:db8::1"),
        (["unknown"], "unknown"),
        ([], "172.18.0.1"),  # no header: the proxy itself (a health check)
        (["172.18.0.9"], "172.18.0.9"),  # only trusted hops: the left-most
    ],
)
def test_the_visitor_is_the_right_most_untrusted_hop(headers: list[str], visitor: str) -> None:
    assert DOCKER.client("172.18.0.1", headers) == visitor


def test_a_dual_stack_socket_still_counts_as_loopback() -> None:
    default = TrustedProxies.from_setting("127.0.0.1 ::1")
    assert default.client("::ffff:127.0.0.1", ["198.51.100.7"]) == "198.51.100.7"
    assert default.https("::1", "https") and default.https("127.0.0.1", "HTTPS, http")
    assert not default.https("127.0.0.1", "http") and not default.https(None, "https")


def test_a_very_long_forged_hop_is_cut_short() -> None:
    assert len(DOCKER.client("127.0.0.1", ["x" * 5000])) <= 64


def test_issued_ids_verify_and_nothing_else_does(tmp_path: Path) -> None:
    ids = SessionIds.load(tmp_path)
    value, sid = ids.issue()
    assert ids.verify(value) == sid and value.startswith(sid + ".")
    assert ids.verify(sid) is None and ids.verify("") is None and ids.verify(value + "x") is None
    assert SessionIds.load(tmp_path / "other").verify(value) is None, "another installation's key"
    assert SessionIds.load(tmp_path).verify(value) == sid, "the same key after a restart"
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_a_damaged_key_is_replaced(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("not a key\n", encoding="ascii")
    ids = SessionIds.load(tmp_path)
    value, sid = ids.issue()
    assert SessionIds.load(tmp_path).verify(value) == sid
    assert len(bytes.fromhex((tmp_path / KEY_FILE).read_text(encoding="ascii"))) == 32
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE], "no temporary file left behind"


def test_a_data_folder_that_cannot_hold_the_key_still_serves_with_a_key_for_this_run(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="ascii")  # the "folder" is a file: nothing can be created in it
    ids = SessionIds.load(blocked / "data")
    value, sid = ids.issue()
    assert ids.verify(value) == sid
