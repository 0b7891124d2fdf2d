from django.http import Http404


def _not_built_yet(request, *args, **kwargs):
    raise Http404("not built yet")


subscribe = confirm = preferences = unsubscribe = one_click = _not_built_yet
