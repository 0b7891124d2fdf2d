from importlib import import_module

from django.apps import apps

from subscribers.models import Subscriber
from tests.factories import SubscriberFactory

migration = import_module(
    "subscribers.migrations.0003_lift_suppression_permission_and_rate_counts"
)


def test_existing_idn_domains_are_stored_as_punycode(db):
    kim = SubscriberFactory(email="kim@한국.kr")
    plain = SubscriberFactory(email="bob@example.com")
    # A twin already stored as punycode: left for an admin to resolve.
    twin = SubscriberFactory(email="lee@한국.kr")
    SubscriberFactory(email="lee@xn--3e0b707e.kr")
    migration.punycode_domains(apps, None)
    for subscriber in (kim, plain, twin):
        subscriber.refresh_from_db()
    assert kim.email == "kim@xn--3e0b707e.kr"
    assert plain.email == "bob@example.com"
    assert twin.email == "lee@한국.kr"
    assert Subscriber.objects.count() == 4
