"""Every admin page an editor can open renders, with real rows behind it."""

import pytest
from django.contrib import admin
from django.urls import reverse

from ingestion.models import Source
from newsletter import services
from tests.factories import (
    ArticleFactory,
    DigestFactory,
    SubscriberFactory,
    make_section,
)


@pytest.fixture
def populated(defaults):
    from newsletter.models import Category, Delivery, LLMCall

    digest = DigestFactory(category_counts={"llm": 1})
    article = ArticleFactory(category=Category.objects.get(slug="llm"))
    make_section(digest, Category.objects.get(slug="llm"), [article])
    subscriber = SubscriberFactory(email="reader@example.com")
    Delivery.objects.create(digest=digest, subscriber=subscriber)
    LLMCall.objects.create(purpose="summarize", model="m", cache_key="k" * 64)
    services.load_defaults()  # beat entries too
    assert Source.objects.exists()


def test_every_changelist_and_change_page_renders(admin_client, populated):
    opened = 0
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = admin_client.get(changelist)
        assert response.status_code == 200, changelist
        row = model_admin.get_queryset(response.wsgi_request).first()
        if row is not None:
            change = reverse(
                f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk]
            )
            assert admin_client.get(change).status_code == 200, change
            opened += 1
    assert opened >= 10
