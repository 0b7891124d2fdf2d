from django.http import Http404


def _not_built_yet(request, *args, **kwargs):
    raise Http404("not built yet")


archive = archive_feed = digest_detail = digest_chart = _not_built_yet
