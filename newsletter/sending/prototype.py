"""Fan-out encoding: serialise a group's message once, then stamp out recipients.

Building every message through ``EmailMultiAlternatives`` re-encodes the chart in
base64 and re-folds every header for each subscriber. Here one prototype per
(digest, category set) is built by the very same code as ``emails`` and serialised
once; each recipient then costs a few header lines and a join of byte slices.

Substitution is only safe where the bytes on the wire equal the text: parts sent as
7bit/8bit. ``render`` keeps every line far below the 998-octet limit so Django picks
8bit (not quoted-printable, whose soft line breaks could split a placeholder); the
prototype is checked, and ``FastPathUnavailable`` sends the caller to the slow path.
"""

import dataclasses
import re
import time
from dataclasses import dataclass
from email import policy
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.html import escape

from newsletter.sending import recipient
from newsletter.sending.rendering import (
    FEEDBACK_SLOT,
    LINK_ALLOWANCE,
    PREFERENCES_URL,
    READER_TOKEN,
    READER_TOKEN_ALLOWANCE,
    UNSUBSCRIBE_URL,
    RenderedEmail,
)
from subscribers.links import SubscriberLinks

_PROTO_TO = "prototype@invalid.example"
_PER_RECIPIENT = ("To", "Date", "Message-ID", "List-Unsubscribe")
# The substitution points: (placeholder, part) -> which link fills it, how escaped.
_SLOTS = {
    (PREFERENCES_URL, "plain"): ("preferences_url", False),
    (UNSUBSCRIBE_URL, "plain"): ("unsubscribe_url", False),
    (PREFERENCES_URL, "html"): ("preferences_url", True),
    (UNSUBSCRIBE_URL, "html"): ("unsubscribe_url", True),
    (READER_TOKEN, "plain"): ("reader_token", False),
    (READER_TOKEN, "html"): ("reader_token", False),
}
# Every substitution point in the serialised body: the two links, and each story's
# vote links (👍/👎 in the HTML part, one in the text part; story ids, votes and
# the token are plain URL-safe ASCII, the same unescaped and escaped).
_PLACEHOLDER = re.compile(
    rb"__DAI_PREFERENCES_URL__|__DAI_UNSUBSCRIBE_URL__|__DAI_READER_TOKEN__|"
    + FEEDBACK_SLOT.pattern.encode()
)

_URL_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_:-]+")
# RFC 5322's line limit, past which Django sends a part quoted-printable.
MAX_LINE_OCTETS = 998


class FastPathUnavailable(Exception):
    """This group (or recipient) cannot be stamped safely; build it the slow way."""


class _RawMessage:
    """Stands in for email.message.Message where backends only serialise it."""

    def __init__(self, raw: bytes):
        self._raw = raw

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return (
            self._raw if linesep == "\n" else self._raw.replace(b"\n", linesep.encode())
        )

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode("utf-8", "surrogateescape")

    def __bytes__(self) -> bytes:
        return self._raw


class PreEncodedEmail(EmailMessage):
    """An EmailMessage whose MIME form is already final.

    Works with backends that send ``message().as_bytes()`` (SMTP, the .eml outbox);
    anymail's API backends read the parts instead and never get one of these.
    """

    def __init__(self, raw: bytes, *, subject: str, from_email: str, to: list[str]):
        super().__init__(subject=subject, from_email=from_email, to=to)
        self.raw = raw

    def message(self):
        return _RawMessage(self.raw)


class _DateCache:
    """formatdate() once per second, not once per message."""

    def __init__(self):
        self._second = -1
        self._value = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._value = formatdate(second, localtime=settings.EMAIL_USE_LOCALTIME)
        return self._value


_dates = _DateCache()


def accepts_pre_encoded(connection) -> bool:
    from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

    return isinstance(connection, SmtpBackend) or getattr(
        connection, "accepts_pre_encoded", False
    )


class GroupTemplate:
    """One category set's message, serialised once, stamped per recipient.

    ``orders=True`` keeps the serialised message around its text and HTML parts, so
    that ``for_order`` makes the template of the same group in another reader's
    order of stories (``sending.ordering``) without serialising again.
    """

    def __init__(self, rendered: RenderedEmail, *, orders: bool = False):
        self.rendered = rendered
        proto = recipient.build_digest_message(
            rendered,
            to=_PROTO_TO,
            links=SubscriberLinks(
                preferences_url=PREFERENCES_URL,
                unsubscribe_url=UNSUBSCRIBE_URL,
                one_click_url="https://prototype.invalid/",
            ),
            message_id="<prototype@invalid>",
            date="Thu, 01 Jan 1970 00:00:00 -0000",
            reader_token=READER_TOKEN,
        )
        self.subject = proto.subject
        self.from_email = proto.from_email
        mime = proto.message()
        for part in mime.walk():
            if part.get_content_maintype() == "text" and part.get(
                "Content-Transfer-Encoding", "7bit"
            ).lower() not in {"7bit", "8bit"}:
                raise FastPathUnavailable(
                    f"{part.get_content_type()} is {part['Content-Transfer-Encoding']}"
                )
        for name in _PER_RECIPIENT:
            del mime[name]
        raw = mime.as_bytes()
        head, sep, body = raw.partition(b"\n\n")
        self._head = head + sep
        # Serialising chose the boundaries; the HTML part starts after the second one.
        boundary = next(
            p.get_boundary()
            for p in mime.walk()
            if p.get_content_type() == "multipart/alternative"
        )
        html_start = body.find(f"--{boundary}\nContent-Type: text/html".encode())
        if html_start < 0:
            raise FastPathUnavailable(
                "no text/html part after the alternative boundary"
            )
        self._segments, self._slots = self._split(
            body, _placeholders(rendered), html_start
        )
        self._has_votes = any(isinstance(slot[0], int) for slot in self._slots)
        self._around = None
        # The bytes after the last placeholder's segment: kept apart, so the
        # templates of a group's orders share one copy of what follows the HTML
        # (the chart, base64): hundreds of templates stamped in turn stay small.
        self._tail = b""
        if orders:
            try:
                self._around = _Around.of(mime, self._head, body, rendered)
            except FastPathUnavailable:
                pass  # this group still stamps; its readers' orders serialise anew
            else:
                after = self._around.after
                if after and self._segments[-1].endswith(after):
                    self._segments[-1] = self._segments[-1][: -len(after)]
                    self._tail = after

    def for_order(self, rendered: RenderedEmail) -> "GroupTemplate":
        """The template of ``rendered``, this group's email in another order of its
        stories: the same message but for the subject, the text and the HTML, which
        go where this one's are. FastPathUnavailable when this template kept no
        parts, or the other render would not serialise the same way around them."""
        around = self._around
        if around is None:
            raise FastPathUnavailable("this template keeps no parts for other orders")
        around.check(self.rendered, rendered)
        subject = recipient.subject_header(rendered.subject)
        text, html = rendered.text.encode(), rendered.html.encode()
        body = b"".join((around.before_text, text, around.between, html))
        derived = object.__new__(GroupTemplate)
        derived.rendered = rendered
        derived.subject = rendered.subject
        derived.from_email = self.from_email
        derived._head = around.head.replace(around.subject, subject, 1)
        html_start = len(around.before_text) + len(text) + len(around.between)
        derived._segments, derived._slots = self._split(
            body, _placeholders(rendered), html_start
        )
        derived._has_votes = any(isinstance(slot[0], int) for slot in derived._slots)
        derived._around = None
        derived._tail = around.after
        return derived

    @staticmethod
    def _split(body: bytes, expected: int, html_start: int) -> tuple[list, list]:
        """The body cut at each placeholder, and what fills each cut: a link's
        (name, escaped) or a story's (story id, vote)."""
        segments: list[bytes] = []
        slots: list[tuple] = []
        position = 0
        for hit in _PLACEHOLDER.finditer(body):
            segments.append(body[position : hit.start()])
            if hit[1] is not None:
                slots.append((int(hit[1]), hit[2].decode().lower()))
            else:
                part = "html" if html_start < hit.start() else "plain"
                slots.append(_SLOTS[(hit[0].decode(), part)])
            position = hit.end()
        segments.append(body[position:])
        if len(slots) != expected:
            raise FastPathUnavailable(
                f"found {len(slots)} of {expected} link placeholders"
            )
        return segments, slots

    def message(
        self,
        *,
        to: str,
        links: SubscriberLinks,
        message_id: str,
        date: str | None = None,
    ) -> PreEncodedEmail:
        """The recipient's finished message; byte-for-byte what ``emails`` would
        produce apart from the MIME boundary and header folding."""
        if not (to.isascii() and "\n" not in to and "\r" not in to):
            raise FastPathUnavailable("non-ASCII or malformed address")
        values = {}
        for name in ("preferences_url", "unsubscribe_url"):
            url = getattr(links, name)
            if not url.isascii() or any(c in url for c in "\r\n \t"):
                raise FastPathUnavailable(f"{name} is not a plain ASCII URL")
            if len(url) > LINK_ALLOWANCE:
                # Its line could pass 998 octets; Django will pick quoted-printable.
                raise FastPathUnavailable(
                    f"{name} is longer than {LINK_ALLOWANCE} characters"
                )
            values[(name, False)] = url.encode()
            values[(name, True)] = str(escape(url)).encode()
        if self._has_votes and not _URL_SAFE_TOKEN.fullmatch(links.feedback_token):
            raise FastPathUnavailable("feedback token is not URL-safe")
        token = links.reader_token
        if not _URL_SAFE_TOKEN.fullmatch(token) or len(token) > READER_TOKEN_ALLOWANCE:
            raise FastPathUnavailable("reader token is not a short URL-safe token")
        values[("reader_token", False)] = token.encode()
        header = (
            f"To: {to}\n"
            f"Date: {date or _dates.now()}\n"
            f"Message-ID: {message_id}\n"
            f"List-Unsubscribe: <{links.one_click_url}>,\n"
            f" <{recipient.unsubscribe_mailto()}>\n"
        ).encode()
        pieces = [header, self._head]
        segments = self._segments
        for index, slot in enumerate(self._slots):
            pieces.append(segments[index])
            value = values.get(slot)
            if value is None:
                # A story's vote link: one HMAC each, no escaping (URL-safe ASCII).
                value = values[slot] = links.feedback_url(*slot).encode()
            pieces.append(value)
        pieces.append(segments[-1])
        pieces.append(self._tail)
        return PreEncodedEmail(
            b"".join(pieces), subject=self.subject, from_email=self.from_email, to=[to]
        )


def _placeholders(rendered: RenderedEmail) -> int:
    """How many link placeholders the message's two parts hold."""
    return (
        rendered.text.count(PREFERENCES_URL)
        + rendered.text.count(UNSUBSCRIBE_URL)
        + rendered.html.count(PREFERENCES_URL)
        + rendered.html.count(UNSUBSCRIBE_URL)
        + rendered.text.count(READER_TOKEN)
        + rendered.html.count(READER_TOKEN)
        + len(FEEDBACK_SLOT.findall(rendered.text))
        + len(FEEDBACK_SLOT.findall(rendered.html))
    )


@dataclass(frozen=True)
class _Around:
    """A serialised message cut around its text and HTML parts' content, and what
    decides how another text and HTML would serialise in their place."""

    head: bytes
    subject: bytes  # the Subject header's lines in ``head``
    before_text: bytes
    between: bytes
    after: bytes
    boundaries: tuple[bytes, ...]
    ascii_text: bool
    ascii_html: bool

    @classmethod
    def of(cls, mime, head: bytes, body: bytes, rendered: RenderedEmail) -> "_Around":
        text, html = rendered.text.encode(), rendered.html.encode()
        subject = recipient.subject_header(rendered.subject)
        if body.count(text) != 1 or body.count(html) != 1 or head.count(subject) != 1:
            raise FastPathUnavailable("the parts are not serialised as written")
        start = body.index(text)
        middle = body.index(html, start + len(text))
        return cls(
            head=head,
            subject=subject,
            before_text=body[:start],
            between=body[start + len(text) : middle],
            after=body[middle + len(html) :],
            boundaries=tuple(
                f"--{p.get_boundary()}".encode()
                for p in mime.walk()
                if p.is_multipart()
            ),
            ascii_text=rendered.text.isascii(),
            ascii_html=rendered.html.isascii(),
        )

    def check(self, kept: RenderedEmail, other: RenderedEmail) -> None:
        """FastPathUnavailable unless ``other`` differs from ``kept`` only in its
        subject, text and HTML, and these serialise as written: Django picks 7bit
        for ASCII and 8bit otherwise, quoted-printable for a line over 998 octets,
        and a boundary must not appear in the content."""
        same = dataclasses.replace(
            other, subject=kept.subject, text=kept.text, html=kept.html
        )
        if same != kept:
            raise FastPathUnavailable("another group's email")
        for content, was_ascii in (
            (other.text, self.ascii_text),
            (other.html, self.ascii_html),
        ):
            if content.isascii() != was_ascii or "\r" in content:
                raise FastPathUnavailable("the part would change its encoding")
            encoded = content.encode()
            if any(len(line) > MAX_LINE_OCTETS for line in encoded.split(b"\n")):
                raise FastPathUnavailable("a line over 998 octets")
            if any(boundary in encoded for boundary in self.boundaries):
                raise FastPathUnavailable("a MIME boundary in the content")


def parse(raw: bytes):
    """Parse message bytes the way a receiving client does (tests and the bench)."""
    from email import message_from_bytes

    return message_from_bytes(raw, policy=policy.default)
