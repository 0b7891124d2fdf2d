from ingestion.models import Source
from newsletter.models import Category


def test_load_defaults_twice_creates_each_category_once(defaults):
    from newsletter import services

    services.load_defaults()
    assert Category.objects.filter(edition="news").count() == 9
    assert Category.objects.filter(edition="papers").count() == 7
    assert Category.objects.get(slug="papers-others").in_digest is False
    assert Category.objects.get(slug="others").in_digest is False
    assert Category.objects.get(slug="ai-business").emoji == "🩵"
    assert Source.objects.filter(is_active=True).count() == 0
