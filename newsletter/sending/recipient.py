"""One digest email for one recipient, built the ordinary Django way.

This is the reference shape every other path must match: ``prototype`` produces the
same message bytes for whole groups, and the ESP batch path hands the same parts to
anymail. multipart/related holds multipart/alternative (text, HTML) and the inline
chart, so the HTML's ``cid:`` reference resolves in every client.
"""

from email.header import Header
from email.message import Message
from email.mime.image import MIMEImage
from email.utils import formatdate, parseaddr
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.crypto import salted_hmac

from newsletter.sending.rendering import RenderedEmail
from subscribers.links import SubscriberLinks

LIST_NAME = "Daily AI Insights"


@lru_cache(maxsize=8)
def _from_address(from_email: str) -> str:
    return parseaddr(from_email)[1]


def sender_domain() -> str:
    return _from_address(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2] or "localhost"


def list_id() -> str:
    return f"{LIST_NAME} <daily-ai-insights.{sender_domain()}>"


def unsubscribe_mailto() -> str:
    address = settings.EMAIL_UNSUBSCRIBE_MAILTO or _from_address(
        settings.DEFAULT_FROM_EMAIL
    )
    return f"mailto:{address}?subject={quote('unsubscribe')}"


def message_id(*, digest_date, delivery_id: int) -> str:
    """Stable per delivery: a re-send after a crash carries the same Message-ID,
    which lets receivers that deduplicate on it drop the second copy. The keyed tag
    keeps two installs (staging, production) from ever sharing one."""
    tag = salted_hmac("newsletter.message_id", str(delivery_id)).hexdigest()[:12]
    return f"<digest.{digest_date:%Y%m%d}.{delivery_id}.{tag}@{sender_domain()}>"


def list_unsubscribe(one_click_url: str) -> str:
    return f"<{one_click_url}>, <{unsubscribe_mailto()}>"


def shared_headers() -> dict[str, str]:
    return {
        "List-Id": list_id(),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def chart_part(rendered: RenderedEmail) -> MIMEImage:
    image = MIMEImage(rendered.chart_png, "png")
    image.add_header("Content-ID", f"<{rendered.chart_cid}>")
    image.add_header("Content-Disposition", "inline", filename="chart.png")
    return image


def chart_parts(rendered: RenderedEmail) -> list[MIMEImage]:
    """Every inline chart the HTML refers to: the digest's, then any other edition's."""
    if not rendered.chart_cid:
        return []
    parts = [chart_part(rendered)]
    for number, (cid, png) in enumerate(rendered.extra_charts, start=2):
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{cid}>")
        image.add_header("Content-Disposition", "inline", filename=f"chart{number}.png")
        parts.append(image)
    return parts


class DigestEmail(EmailMultiAlternatives):
    """Django's message, with a Subject a mail client shows without a leading space.

    Django encodes a non-ASCII subject in words sized for a line of their own, so the
    first does not fit after ``Subject: `` and folding leaves that line empty (some
    clients then show the subject starting with a space). Encoded here knowing the
    header's name, the first word starts on the Subject line itself. ``subject``
    itself stays plain text, which is what anymail's API backends send.
    """

    def message(self, *args, **kwargs):
        mime = super().message(*args, **kwargs)
        if not self.subject.isascii():
            del mime["Subject"]
            # Message.__setitem__, not Django's: a Header object folds at send time,
            # Django's check would turn it back into text and re-encode it.
            Message.__setitem__(
                mime,
                "Subject",
                Header(self.subject, settings.DEFAULT_CHARSET, header_name="Subject"),
            )
        return mime


def build_digest_message(
    rendered: RenderedEmail,
    *,
    to: str,
    links: SubscriberLinks,
    message_id: str,
    date: str | None = None,
    reader_token: str | None = None,
) -> DigestEmail:
    """The complete message for one recipient: links filled, headers set.
    ``reader_token``: what fills the link to the reader's own page (None: theirs,
    ``links.reader_token``)."""
    text, html = rendered.personalize(
        preferences_url=links.preferences_url,
        unsubscribe_url=links.unsubscribe_url,
        # No token: the group prototype, whose vote links are stamped in later.
        feedback_url=links.feedback_url if links.feedback_token else None,
        reader_token=links.reader_token if reader_token is None else reader_token,
    )
    headers = {
        **shared_headers(),
        "List-Unsubscribe": list_unsubscribe(links.one_click_url),
        "Message-ID": message_id,
        "Date": date or formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
    }
    message = DigestEmail(
        subject=rendered.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    if rendered.chart_cid:
        message.mixed_subtype = "related"
        for part in chart_parts(rendered):
            message.attach(part)
    return message


def subject_header(subject: str) -> bytes:
    """The Subject header's lines as a digest message with ``subject`` is
    serialised (encoded and folded by ``DigestEmail``), so a serialised message can
    take another subject (``prototype.GroupTemplate.for_order``)."""
    return _subject_header(subject, settings.DEFAULT_CHARSET)


@lru_cache(maxsize=512)
def _subject_header(subject: str, charset: str) -> bytes:
    # A day's readers' orders lead with a few dozen headlines: each serialised once.
    message = DigestEmail(
        subject=subject,
        body="",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=["subject@invalid.example"],
    )
    head = message.message().as_bytes().partition(b"\n\n")[0]
    lines = head.split(b"\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(b"Subject:"))
    end = start + 1
    while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
        end += 1
    return b"\n".join(lines[start:end]) + b"\n"
