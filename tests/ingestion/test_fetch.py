import gzip
import socket
import threading
import time

import pytest

from devservers.feed_server import redirect, trickle
from ingestion import fetch

pytestmark = pytest.mark.usefixtures("local_fetching")


def test_gzip_bodies_are_decoded_and_we_say_who_we_are(feed_server, settings):
    url = feed_server.add("/g.xml", b"<rss>" + b"x" * 5000 + b"</rss>", gzip_body=True)
    result = fetch.fetch(url)
    assert result.status_code == 200 and result.content.startswith(b"<rss>xxx")
    sent = feed_server.requests["/g.xml"][0]
    assert sent["user-agent"] == settings.INGEST_USER_AGENT
    assert "gzip" in sent["accept-encoding"] and "br" in sent["accept-encoding"]


def test_a_declared_oversized_body_is_refused_before_reading(feed_server, settings):
    settings.INGEST_MAX_BYTES = 1000
    url = feed_server.add("/big.xml", b"x" * 5000)
    with pytest.raises(
        fetch.FetchError, match="body of 5,000 bytes exceeds the 1,000-byte cap"
    ):
        fetch.fetch(url)


def test_a_compression_bomb_is_cut_at_the_decoded_size(feed_server, settings):
    settings.INGEST_MAX_BYTES = 1024 * 1024
    bomb = b"\0" * (20 * 1024 * 1024)
    url = feed_server.add("/bomb.xml", bomb, gzip_body=True)
    assert len(gzip.compress(bomb)) < 100_000
    with pytest.raises(fetch.FetchError, match="aborted while reading"):
        fetch.fetch(url)


def test_the_deadline_cuts_a_trickling_body(feed_server, settings):
    settings.INGEST_DEADLINE = 1.5
    # 20 s of body: only the deadline ends the request with this error.
    url = feed_server.add_handler("/slow", trickle(b"x" * 100, interval=0.2))
    with pytest.raises(fetch.FetchError, match="gave up after the 1.5 s deadline"):
        fetch.fetch(url)


def test_the_deadline_cuts_trickling_headers(feed_server, settings):
    settings.INGEST_DEADLINE = 1

    def slow_headers(request):
        for byte in (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nX-Padding: " + b"y" * 50
        ):
            request.wfile.write(bytes([byte]))
            request.wfile.flush()
            time.sleep(0.1)

    url = feed_server.add_handler("/slow-headers", slow_headers)
    with pytest.raises(fetch.FetchError, match="deadline"):
        fetch.fetch(url)


def test_redirects_are_followed_up_to_the_limit(feed_server, settings):
    settings.INGEST_MAX_REDIRECTS = 3
    feed_server.add("/end.xml", b"<rss/>")
    for n in range(5):
        feed_server.add_handler(
            f"/r{n}", redirect(f"/r{n + 1}" if n < 4 else "/end.xml")
        )
    assert fetch.fetch(feed_server.url("/r2")).url == feed_server.url("/end.xml")
    with pytest.raises(fetch.FetchError, match="more than 3 redirects"):
        fetch.fetch(feed_server.url("/r0"))


def test_a_redirect_to_another_scheme_is_refused(feed_server):
    url = feed_server.add_handler("/ftp", redirect("file:///etc/passwd"))
    with pytest.raises(fetch.FetchError, match="not an http"):
        fetch.fetch(url)


def test_loopback_is_refused_while_the_guard_is_on(feed_server, settings):
    settings.INGEST_ALLOW_PRIVATE_HOSTS = False
    url = feed_server.add("/x.xml", b"<rss/>")
    with pytest.raises(fetch.BlockedAddressError, match="non-public address 127.0.0.1"):
        fetch.fetch(url)
    assert feed_server.hits["/x.xml"] == 0


def test_the_metadata_address_is_refused_without_connecting(settings):
    # Refused before dialling: a connection attempt on this closed network would end
    # in a connect error or timeout, never in BlockedAddressError.
    settings.INGEST_ALLOW_PRIVATE_HOSTS = False
    with pytest.raises(fetch.BlockedAddressError, match="169.254.169.254"):
        fetch.fetch("http://169.254.169.254/latest/meta-data/")


@pytest.mark.parametrize(
    "address, public",
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("2606:4700:4700::1111", True),
        # IPv6 forms that carry an IPv4 address: the IPv4 one decides.
        ("::ffff:10.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::127.0.0.1", False),
        ("64:ff9b::10.1.2.3", False),
        ("64:ff9b::169.254.169.254", False),
        ("64:ff9b::8.8.8.8", True),
        ("64:ff9b:1::7f00:1", False),
        ("64:ff9b:1::808:808", False),  # local-use NAT64: never public
        ("2002:7f00:1::", False),
        ("2002:a01:203::1", False),
        ("2002:a9fe:a9fe::", False),
        ("2002:808:808::1", True),
        ("::127.0.0.1", False),
        ("::169.254.169.254", False),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo to 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo to 10.0.0.1
    ],
)
def test_public_address_classification(address, public):
    assert fetch.is_public_address(address) is public


def test_a_closed_port_gives_a_readable_reason():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(fetch.FetchError, match="ConnectError"):
        fetch.fetch(f"http://127.0.0.1:{port}/feed.xml")


def test_not_modified_is_returned_not_raised(feed_server):
    url = feed_server.add("/etag.xml", b"<rss/>", etag='"abc"')
    assert fetch.fetch(url).status_code == 200
    result = fetch.fetch(url, etag='"abc"')
    assert result.not_modified and result.content == b""


def test_a_malformed_url_is_a_fetch_error():
    with pytest.raises(fetch.FetchError, match="not an http"):
        fetch.fetch("http:///nohost")
    with pytest.raises(fetch.FetchError):
        fetch.fetch("http://exa mple.com/feed")


def test_a_stalled_name_lookup_is_cut_by_the_deadline(settings, monkeypatch):
    # DNS leaves the process, so it is the one thing mocked here: a resolver that hangs.
    settings.INGEST_DEADLINE = 1
    release = threading.Event()

    def hanging_lookup(*args, **kwargs):
        release.wait(10)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure")

    monkeypatch.setattr(socket, "getaddrinfo", hanging_lookup)
    # Left alone, the lookup fails after 10 s with "cannot resolve": only the
    # deadline produces this error.
    try:
        with pytest.raises(fetch.FetchError, match="deadline|took too long"):
            fetch.fetch("http://slow-dns.example/feed.xml")
    finally:
        release.set()
