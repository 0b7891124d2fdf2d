"""The web container's healthcheck: GET /healthz on this machine, exit 1 unless 200.

    python -m config.healthcheck

Standard library only, so it costs no Django start-up. It sends the host of SITE_URL
(production's ALLOWED_HOSTS refuses 127.0.0.1) and, behind a TLS proxy, the header
that proxy sets, so SECURE_SSL_REDIRECT does not answer with a redirect.
"""

import os
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

URL = os.getenv("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz")


def main() -> int:
    site = urlsplit(os.getenv("SITE_URL", "http://127.0.0.1:8000"))
    headers = {"Host": site.netloc}
    proxy_header = os.getenv("SECURE_PROXY_SSL_HEADER_NAME", "")
    if site.scheme == "https" and proxy_header.startswith("HTTP_"):
        headers[proxy_header.removeprefix("HTTP_").replace("_", "-").title()] = "https"
    if token := os.getenv("HEALTHZ_TOKEN", ""):  # the details, for the log
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(URL, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(response.read().decode())
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(exc.read().decode(errors="replace"), file=sys.stderr)
    except OSError as exc:
        print(f"{URL}: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
