"""Log redaction: secrets and personal data never reach a log line.

``redact_event`` is a structlog processor; ``configure_logging`` runs it on every line, structlog's
and the standard library's (uvicorn, psycopg, RQ), right before rendering, after exceptions have
been formatted, so tracebacks are cleaned too. ``RedactingFilter`` does the same for a
``logging.LogRecord`` (the message, its arguments, and extra attributes), for handlers that
structlog's formatter does not drive.

What is removed:

- **by field name**, the whole value: names containing ``password``, ``passwd``, ``secret``,
  ``token``, ``authorization``, ``cookie``, ``credential``, ``otp``, ``recovery``; names ending
  in ``key``/``keys`` (``app_key``, ``api_key``, ``private_key``), except ``key``,
  ``schedule_key``, ``job_key``, ``quota_key`` and ``cache_key``, which name things, not
  secrets; and personal data: ``email``, ``phone``, ``mobile``, ``resume``/``résumé``/``cv``,
  ``cover_letter``, ``contact``;
- **in every text**, wherever it appears (messages, values, tracebacks, reprs of objects):
  ``Bearer …`` credentials, JWT-looking strings, Jobraker refresh tokens (``jrr_…``),
  ``name=value`` / ``"name": "value"`` pairs whose name is one of the secret names above,
  the word after "password" in prose ("failed with password hunter2"),
  email addresses, and phone numbers (international ``+…`` numbers and the usual national
  groupings such as ``020 7946 0958`` or ``(555) 123-4567``).

Values of other types are rendered with ``repr`` first, so an object whose repr shows an email
is cleaned too. What the patterns cannot see is kept out by name: résumé text must be logged (if
at all) under a field name listed above.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from structlog.typing import EventDict

REDACTED: Final = "[REDACTED]"

_SECRET_PARTS: Final = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "credential",
    "recovery",
)
_PERSONAL: Final = frozenset(
    {
        "email",
        "e_mail",
        "emails",
        "phone",
        "phones",
        "phone_number",
        "mobile",
        "resume",
        "resume_text",
        "résumé",
        "cv",
        "cover_letter",
        "contact",
    }
)
_NAMING_KEYS: Final = frozenset({"key", "schedule_key", "job_key", "quota_key", "cache_key"})
_OTP: Final = re.compile(r"(^|[_\-.])(t?otp)([_\-.]|$)")
# Keys structlog and the HTTP edge add themselves: never secret, and their values (timestamps,
# ids) would otherwise trip the phone pattern.
_SAFE_KEYS: Final = frozenset(
    {"timestamp", "level", "logger", "request_id", "duration_ms", "status", "method", "run_id"}
)

# The names of secrets, not a secret.
_SECRET_NAME: Final = (
    r"(?:password|passwd|secret|token|api[_-]?key|app[_-]?key|access[_-]?key|private[_-]?key"  # noqa: S105
    r"|authorization|refresh_token|access_token|client_secret)"
)
_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*"), r"\1 " + REDACTED),
    # "password": "x", password=x, token: x (also inside URLs' query strings)
    (
        re.compile(
            rf"(?i)([\"']?[\w-]*{_SECRET_NAME}[\w-]*[\"']?\s*[=:]\s*[\"']?)([^\s\"'&,;}}\]]+)"
        ),
        r"\1" + REDACTED,
    ),
    # "... with password hunter2": a password word followed by its value, in prose
    (re.compile(r"(?i)\b(password|passwd|passphrase)(\s+)(?!\[REDACTED)(\S+)"), r"\1\2" + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"\bjrr_[A-Za-z0-9_-]{8,}"), REDACTED),
    (
        re.compile(
            r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
        ),
        "[REDACTED_EMAIL]",
    ),
    (re.compile(r"(?<![\w+])\+\d[\d ().\-/]{5,20}\d(?!\w)"), "[REDACTED_PHONE]"),
    (
        re.compile(r"(?<![\w.:/-])\(?\d{2,5}\)?[ .\-]\d{3,4}[ .\-]\d{3,4}(?![\w.:/-])"),
        "[REDACTED_PHONE]",
    ),
)


def is_sensitive_name(name: str) -> bool:
    """Whether a field called ``name`` holds a secret or personal data (see the module doc)."""
    lowered = name.lower()
    if lowered in _NAMING_KEYS:
        return False
    if lowered in _PERSONAL or any(part in lowered for part in _SECRET_PARTS):
        return True
    if _OTP.search(lowered):
        return True
    return lowered.endswith(("key", "keys"))


def redact_text(text: str) -> str:
    """``text`` with every secret and personal value the patterns recognise replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: object, *, depth: int = 0) -> object:
    """``value`` with sensitive fields blanked and texts cleaned, recursively (to a depth)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact_text(value)
    if depth > 8:  # noqa: PLR2004 - deeper structures are not worth walking: flatten them
        return redact_text(repr(value))
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_sensitive_name(str(key)) else redact_value(item, depth=depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, bytes | bytearray):
        return [redact_value(item, depth=depth + 1) for item in value]
    return redact_text(repr(value))


def redact_event(_logger: object, _method: str, event_dict: EventDict) -> EventDict:
    """The structlog processor: clean every field of the event (see the module docstring)."""
    cleaned: EventDict = {}
    for key, value in event_dict.items():
        if key in _SAFE_KEYS or key.startswith("_"):
            cleaned[key] = value
        elif is_sensitive_name(key):
            cleaned[key] = REDACTED
        else:
            cleaned[key] = redact_value(value)
    return cleaned


_RECORD_FIELDS: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


class RedactingFilter(logging.Filter):
    """A logging filter that cleans a record's message, arguments and extra attributes.

    Records made by structlog (whose ``msg`` is the event dict) are left to ``redact_event``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Clean ``record`` in place; never drop it."""
        if isinstance(record.msg, dict):
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        for name, value in list(vars(record).items()):
            if name in _RECORD_FIELDS or name.startswith("_"):
                continue
            setattr(record, name, REDACTED if is_sensitive_name(name) else redact_value(value))
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True
