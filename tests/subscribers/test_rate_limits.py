"""Sign-up limits hold across web workers, IPv6 prefixes, +tags and proxies."""

import re
from pathlib import Path

import httpx
import pytest

from newsletter.models import Category
from subscribers.models import RateCount, Subscriber
from tests import deployment

ROOT = Path(__file__).resolve().parents[2]


def post(client, email, categories, **headers):
    data = {
        "email": email,
        "language": "ko",
        "website": "",
        "categories": [categories[0].id],
    }
    headers.setdefault("REMOTE_ADDR", "203.0.113.7")
    return client.post("/", data, **headers)


@pytest.fixture
def gunicorn(postgres, tmp_path):
    """The site under gunicorn, two workers that each live only three requests, so
    no two consecutive sign-ups are sure to meet the same process."""
    env = deployment.production_env(tmp_path)
    env.pop("CACHE_URL", None)
    env |= {"CELERY_BROKER_URL": "", "SUBSCRIBE_RATE_PER_IP": "10"}
    collected = deployment.manage(env, "collectstatic", "--noinput", "-v", "0")
    assert collected.returncode == 0, collected.stderr
    port = deployment.free_port()
    server = deployment.gunicorn(
        env, port, "--preload", "--max-requests", "3", workers=2
    )
    try:
        deployment.wait_until_listening(server, port)
        yield f"http://127.0.0.1:{port}", tmp_path / "var" / "outbox"
    finally:
        deployment.stop(server)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_ip_limit_holds_across_gunicorn_workers(gunicorn, defaults):
    base, outbox = gunicorn
    category = Category.objects.for_digest().first()
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        for i in range(25):
            response = client.post(
                "/",
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "email": f"flood{i}@example.com",
                    "language": "ko",
                    "website": "",
                    "categories": [category.id],
                },
                headers={"Referer": base + "/"},
            )
            assert response.status_code == 302
    assert Subscriber.objects.count() == 10
    assert len(list(outbox.glob("*.eml"))) == 10


def test_an_ipv6_client_counts_per_64(client, categories, mailoutbox, settings):
    settings.SUBSCRIBE_RATE_PER_IP = 2
    for n in range(1, 5):  # one host rotating through its /64
        post(client, f"v6-{n}@example.com", categories, REMOTE_ADDR=f"2001:db8::{n}")
    assert len(mailoutbox) == 2
    post(client, "next@example.com", categories, REMOTE_ADDR="2001:db8:0:1::1")
    assert len(mailoutbox) == 3  # the next /64 is someone else


def test_an_ipv4_mapped_client_counts_as_its_ipv4(
    client, categories, mailoutbox, settings
):
    settings.SUBSCRIBE_RATE_PER_IP = 1
    post(client, "a@example.com", categories, REMOTE_ADDR="198.51.100.9")
    post(client, "b@example.com", categories, REMOTE_ADDR="::ffff:198.51.100.9")
    assert len(mailoutbox) == 1


def test_plus_and_case_variants_count_as_one_address(
    client, categories, mailoutbox, settings
):
    settings.SUBSCRIBE_RATE_PER_ADDRESS = 2
    variants = ["kim+1@example.com", "KIM+2@example.com", "Kim@Example.com"]
    for n, email in enumerate(variants):
        post(client, email, categories, REMOTE_ADDR=f"198.51.100.{n}")
    assert len(mailoutbox) == 2
    post(client, "lee+1@example.com", categories)
    assert len(mailoutbox) == 3


def test_with_a_client_ip_header_each_client_has_its_own_quota(
    client, categories, mailoutbox, settings
):
    settings.SUBSCRIBE_RATE_PER_IP = 2
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["203.0.113.7"]  # the peer `post` sends from
    for n in range(3):
        post(client, f"a{n}@example.com", categories, HTTP_X_REAL_IP="198.51.100.1")
    for n in range(2):
        post(client, f"b{n}@example.com", categories, HTTP_X_REAL_IP="198.51.100.2")
    sent = sorted(m.to[0] for m in mailoutbox)
    assert sent == [
        "a0@example.com",
        "a1@example.com",
        "b0@example.com",
        "b1@example.com",
    ]


def test_without_a_client_ip_header_a_spoofed_one_is_ignored(
    client, categories, mailoutbox, settings
):
    settings.SUBSCRIBE_RATE_PER_IP = 2
    settings.CLIENT_IP_HEADER = ""
    for n in range(5):
        post(
            client,
            f"s{n}@example.com",
            categories,
            HTTP_X_REAL_IP=f"198.51.100.{n}",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    assert len(mailoutbox) == 2


def test_a_client_ip_header_from_a_peer_that_is_no_proxy_is_ignored(
    client, categories, mailoutbox, settings
):
    # The attack: the application server reached directly, a new X-Real-IP per post.
    settings.SUBSCRIBE_RATE_PER_IP = 2
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    for n in range(20):
        post(client, f"f{n}@example.com", categories, HTTP_X_REAL_IP=f"192.0.2.{n}")
    assert len(mailoutbox) == 2
    assert Subscriber.objects.count() == 2


def test_a_malformed_client_ip_header_from_the_proxy_counts_as_the_proxy(
    client, categories, mailoutbox, settings
):
    settings.SUBSCRIBE_RATE_PER_IP = 2
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["203.0.113.0/24"]
    for n in range(4):
        response = post(client, f"j{n}@example.com", categories, HTTP_X_REAL_IP="junk")
        assert response.status_code == 302
    assert len(mailoutbox) == 2


def test_gmail_dot_spellings_count_as_one_address_and_are_stored_as_typed(
    client, categories, mailoutbox, settings
):
    settings.SUBSCRIBE_RATE_PER_ADDRESS = 3
    spellings = ["jo.hn@gmail.com", "j.ohn@gmail.com", "j.o.hn@gmail.com"]
    spellings += ["john.@googlemail.com", "j.o.h.n+x@gmail.com", "jo.h.n@gmail.com"]
    for n, email in enumerate(spellings):
        post(client, email, categories, REMOTE_ADDR=f"198.51.100.{n}")
    assert len(mailoutbox) == 3
    assert sorted(m.to[0] for m in mailoutbox) == sorted(spellings[:3])
    assert set(Subscriber.objects.values_list("email", flat=True)) >= set(spellings[:3])


def test_dots_still_matter_at_other_domains(client, categories, mailoutbox, settings):
    settings.SUBSCRIBE_RATE_PER_ADDRESS = 1
    for n, email in enumerate(["a.b@example.com", "ab@example.com"]):
        post(client, email, categories, REMOTE_ADDR=f"198.51.100.{n}")
    assert len(mailoutbox) == 2


def test_rotating_64s_inside_one_48_meet_the_site_ceiling(
    client, categories, mailoutbox, settings
):
    settings.SUBSCRIBE_RATE_PER_IP = 10
    settings.SUBSCRIBE_RATE_PER_IPV6_SITE = 5
    for n in range(14):  # a new /64 of 2001:db8:7::/48 for every sign-up
        post(client, f"r{n}@example.com", categories, REMOTE_ADDR=f"2001:db8:7:{n}::1")
    assert len(mailoutbox) == 5
    post(client, "other@example.com", categories, REMOTE_ADDR="2001:db8:8::1")
    assert len(mailoutbox) == 6  # another /48 is another site


def test_without_cache_url_the_counts_are_in_the_database(
    client, categories, mailoutbox, settings
):
    settings.CACHE_URL = ""
    settings.SUBSCRIBE_RATE_PER_IP = 2
    for n in range(3):
        post(client, f"d{n}@example.com", categories)
    assert len(mailoutbox) == 2
    # One row for the IP, one per address it let through; only hashes are stored.
    assert sorted(RateCount.objects.values_list("count", flat=True)) == [1, 1, 3]
    assert not RateCount.objects.filter(key__contains="@").exists()


def test_with_cache_url_the_counts_are_in_redis(
    client, categories, mailoutbox, settings, redis_url
):
    from django.core.cache import cache

    settings.CACHE_URL = redis_url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        }
    }
    cache.clear()
    settings.SUBSCRIBE_RATE_PER_IP = 2
    try:
        for n in range(3):
            post(client, f"r{n}@example.com", categories)
        assert len(mailoutbox) == 2
        assert not RateCount.objects.exists()
    finally:
        cache.clear()


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_are_counted_exactly_in_the_database(postgres, settings):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from subscribers import ratelimits

    settings.CACHE_URL = ""

    def attempt(_):
        try:
            return ratelimits.within_rate("ip:198.51.100.77", limit=10)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        allowed = list(pool.map(attempt, range(24)))
    assert allowed.count(True) == 10
    assert RateCount.objects.get().count == 24


def test_check_deploy_warns_of_a_client_ip_header_no_proxy_may_set(settings):
    from subscribers import checks

    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = []
    assert [m.id for m in checks.check_client_ip_header()] == ["subscribers.W002"]
    settings.TRUSTED_PROXIES = ["172.16.0.0/12"]
    assert checks.check_client_ip_header() == []
