"""The Adzuna job search API as a ``JobSource`` (see integrations reference §1).

``GET {base_url}/jobs/{country}/search/{page}`` with ``app_id``/``app_key``, page after page, each
call counted against the shared call quota first. Every result maps to a ``JobDraft`` or, when it
cannot, a ``RejectedRecord``. HTTP failures become core errors: 401/403 → ``ConfigurationError``;
429 → wait per ``Retry-After`` and retry, then ``RateLimited``; 5xx, network errors, timeouts and
malformed bodies → retry with exponential backoff, then ``UpstreamUnavailable``; other 4xx →
``UpstreamRejected`` with Adzuna's message. The ``app_key`` never appears in errors or logs.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, Final, Protocol

import attrs
import httpx

from jobraker_adapters.sources.retrying import RetryPolicy, retry_after
from jobraker_core.clock import Clock, SystemClock
from jobraker_core.errors import (
    ConfigurationError,
    InvalidInput,
    RateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)
from jobraker_core.jobs.model import EmploymentType, JobDraft, Location, RejectedRecord
from jobraker_core.jobs.salary import Salary, SalaryPeriod
from jobraker_core.market.model import ExternalSalaries, MonthlySalary, SalaryBucket

SOURCE_NAME: Final = "adzuna"
SERVICE: Final = "adzuna"
MAX_PAGES: Final = 20
MAX_RESULTS_PER_PAGE: Final = 50

COUNTRY_CURRENCIES: Final = {
    "gb": "GBP",
    "us": "USD",
    "at": "EUR",
    "au": "AUD",
    "be": "EUR",
    "br": "BRL",
    "ca": "CAD",
    "ch": "CHF",
    "de": "EUR",
    "es": "EUR",
    "fr": "EUR",
    "in": "INR",
    "it": "EUR",
    "mx": "MXN",
    "nl": "EUR",
    "nz": "NZD",
    "pl": "PLN",
    "sg": "SGD",
    "za": "ZAR",
}
"""The countries Adzuna serves (path codes) and the currency its salaries there are in."""

SORT_ORDERS: Final = frozenset({"default", "hybrid", "date", "salary", "relevance"})
FLAGS: Final = ("full_time", "part_time", "contract", "permanent")
QUERY_PARAMS: Final = frozenset(
    {
        "country",
        "what",
        "where",
        "distance",
        "max_days_old",
        "category",
        "sort_by",
        "salary_min",
        *FLAGS,
        "pages",
        "results_per_page",
    }
)
"""The source parameters an ``adzuna`` source spec may carry."""
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})
_HIGHLIGHT = re.compile(r"</?strong\s*>", re.IGNORECASE)
_APP_KEY_IN_URL = re.compile(r"(app_key=)[^&\s#]*")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

log = logging.getLogger(__name__)


class _RedactAppKeys(logging.Filter):
    """Blanks ``app_key=...`` in log records (httpx logs every request URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without credentials; never drop it."""
        message = record.getMessage()
        if "app_key=" in message:
            record.msg = _APP_KEY_IN_URL.sub(r"\1REDACTED", message)
            record.args = None
        return True


def _guard_http_logs() -> None:
    """Make sure the ``httpx`` logger redacts app keys (idempotent)."""
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactAppKeys) for f in httpx_log.filters):
        httpx_log.addFilter(_RedactAppKeys())


class CallQuota(Protocol):
    """The vendor call quota the source counts every HTTP attempt against.

    ``acquire`` returns once one more call is allowed (maybe after a short wait) and raises
    ``RateLimited`` when the quota is used up for longer.
    """

    def acquire(self) -> None:
        """Count one call against the quota, waiting if needed."""
        ...


# ----------------------------------------------------------------------------- the query


def _int_param(params: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = params.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {raw[:40]!r}", field=name) from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", field=name)
    return value


def _flag_param(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name)
    if raw is None or not raw.strip():
        return False
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise InvalidInput(f"{name} must be true or false, not {raw[:40]!r}", field=name)


def _text_param(params: Mapping[str, str], name: str) -> str | None:
    raw = params.get(name)
    if raw is None or not raw.strip():
        return None
    if len(raw) > 200:  # noqa: PLR2004 - longer than any real search phrase
        raise InvalidInput(f"{name} is longer than 200 characters", field=name)
    return raw.strip()


@attrs.frozen
class AdzunaQuery:
    """One Adzuna search: the country, the filters and how many pages of how many results."""

    country: str
    what: str | None = None
    where: str | None = None
    distance: int | None = None
    max_days_old: int | None = None
    category: str | None = None
    sort_by: str | None = None
    salary_min: int | None = None
    full_time: bool = False
    part_time: bool = False
    contract: bool = False
    permanent: bool = False
    pages: int = 1
    results_per_page: int = MAX_RESULTS_PER_PAGE

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AdzunaQuery:
        """Read a query from source parameters; ``InvalidInput`` names the bad parameter."""
        unknown = sorted(set(params) - QUERY_PARAMS)
        if unknown:
            raise InvalidInput(
                f"unknown Adzuna parameter {unknown[0][:40]!r}; "
                f"allowed: {', '.join(sorted(QUERY_PARAMS))}",
                field=unknown[0][:40],
            )
        country = (params.get("country") or "").strip().lower()
        if not country:
            raise InvalidInput("country is required for Adzuna (e.g. gb or us)", field="country")
        if country not in COUNTRY_CURRENCIES:
            raise InvalidInput(
                f"Adzuna does not serve country {country[:10]!r}; "
                f"use one of {', '.join(sorted(COUNTRY_CURRENCIES))}",
                field="country",
            )
        sort_by = _text_param(params, "sort_by")
        if sort_by is not None and sort_by.lower() not in SORT_ORDERS:
            raise InvalidInput(
                f"sort_by must be one of {', '.join(sorted(SORT_ORDERS))}", field="sort_by"
            )
        return cls(
            country=country,
            what=_text_param(params, "what"),
            where=_text_param(params, "where"),
            distance=_int_param(params, "distance", 0, 1000),
            max_days_old=_int_param(params, "max_days_old", 1, 3650),
            category=_text_param(params, "category"),
            sort_by=sort_by.lower() if sort_by else None,
            salary_min=_int_param(params, "salary_min", 0, 100_000_000),
            full_time=_flag_param(params, "full_time"),
            part_time=_flag_param(params, "part_time"),
            contract=_flag_param(params, "contract"),
            permanent=_flag_param(params, "permanent"),
            pages=_int_param(params, "pages", 1, MAX_PAGES) or 1,
            results_per_page=(
                _int_param(params, "results_per_page", 1, MAX_RESULTS_PER_PAGE)
                or MAX_RESULTS_PER_PAGE
            ),
        )

    def search_params(self) -> dict[str, str]:
        """Return the filter query parameters of Adzuna's search (no credentials, no page)."""
        params: dict[str, str] = {"results_per_page": str(self.results_per_page)}
        for name in ("what", "where", "category", "sort_by"):
            value = getattr(self, name)
            if value is not None:
                params[name] = value
        for name in ("distance", "max_days_old", "salary_min"):
            value = getattr(self, name)
            if value is not None:
                params[name] = str(value)
        for name in FLAGS:
            if getattr(self, name):
                params[name] = "1"
        return params


# ----------------------------------------------------------------------------- mapping results


def _string(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _nested_string(result: Mapping[str, Any], outer: str, inner: str) -> str | None:
    value = result.get(outer)
    return _string(value.get(inner)) if isinstance(value, Mapping) else None


def _amount(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return amount if amount.is_finite() and amount >= 0 else None
    return None


def _is_true(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in _TRUE


def _created(value: object) -> datetime | None:
    text = _string(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _salary(result: Mapping[str, Any], country: str) -> Salary | None:
    minimum = _amount(result.get("salary_min"))
    maximum = _amount(result.get("salary_max"))
    if minimum is None and maximum is None:
        return None
    try:
        return Salary(
            minimum,
            maximum,
            COUNTRY_CURRENCIES[country],
            SalaryPeriod.YEAR,
            estimated=_is_true(result.get("salary_is_predicted")),
        )
    except (InvalidInput, ArithmeticError):
        log.warning(
            "adzuna salary ignored",
            extra={
                "adzuna_id": result.get("id"),
                "salary_min": str(minimum),
                "salary_max": str(maximum),
            },
        )
        return None


def _employment_type(result: Mapping[str, Any]) -> EmploymentType | None:
    contract_type = _string(result.get("contract_type"))
    if contract_type and contract_type.lower() == "contract":
        return EmploymentType.CONTRACT
    contract_time = (_string(result.get("contract_time")) or "").lower()
    return {"full_time": EmploymentType.FULL_TIME, "part_time": EmploymentType.PART_TIME}.get(
        contract_time
    )


def _location(result: Mapping[str, Any], country: str) -> Location:
    raw = result.get("location")
    display: str | None = None
    area: list[str] = []
    if isinstance(raw, Mapping):
        display = _string(raw.get("display_name"))
        if isinstance(raw.get("area"), list):
            area = [item.strip() for item in raw["area"] if isinstance(item, str) and item.strip()]
    return Location(
        display=display,
        region=area[1] if len(area) >= 2 else None,  # noqa: PLR2004 - area[0] is the country
        city=area[-1] if len(area) >= 3 else None,  # noqa: PLR2004 - the most specific place
        country_code=country.upper(),
    )


def _redirect(result: Mapping[str, Any]) -> str | None:
    url = _string(result.get("redirect_url"))
    return url if url is not None and _URL.match(url) else None


def map_result(result: object, country: str, ref: str) -> JobDraft | RejectedRecord:
    """Map one Adzuna search result to a draft, or to a rejection naming ``ref`` and the reason.

    Unknown keys (``__CLASS__``, ``adref``, ``latitude``...) are ignored and missing optional keys
    are normal. A salary Adzuna states inconsistently (min above max) is dropped, not the job.
    """
    if not isinstance(result, Mapping):
        return RejectedRecord(ref, "result is not a JSON object")
    job_id = _string(result.get("id"))
    if job_id is not None:
        ref = f"{SOURCE_NAME}:{job_id}"
    title = _HIGHLIGHT.sub("", _string(result.get("title")) or "").strip()
    description = _string(result.get("description"))
    missing = [
        name
        for name, value in (("id", job_id), ("title", title), ("description", description))
        if not value
    ]
    if job_id is None or description is None or missing:
        return RejectedRecord(ref, f"result has no {' and no '.join(missing)}")
    try:
        url = _redirect(result)
        return JobDraft(
            source=SOURCE_NAME,
            source_id=job_id,
            title=title,
            description=description,
            company=_nested_string(result, "company", "display_name"),
            location=_location(result, country),
            salary=_salary(result, country),
            employment_type=_employment_type(result),
            category=_nested_string(result, "category", "label"),
            posted_at=_created(result.get("created")),
            url=url,
            apply_url=url,
        )
    except InvalidInput as error:
        return RejectedRecord(ref, error.message)


# ----------------------------------------------------------------------------- HTTP


def _display(response: httpx.Response) -> str:
    """Adzuna's human message from an error body (``display``), else a slice of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("exception", "display") if body.get(k)]
        if parts:
            return ": ".join(parts)[:300]
    return response.text[:200].strip() or response.reason_phrase


class AdzunaJobSource:
    """A ``JobSource`` fetching ``query``'s pages from Adzuna's job search.

    Pages are fetched one after another, stopping early at an empty page or once ``count``
    results have been seen. Each HTTP attempt, retries included, first acquires one call from
    ``quota``. ``sleep`` is how the source waits between retries (tests pass a recorder).
    """

    def __init__(
        self,
        *,
        http: httpx.Client,
        base_url: str,
        app_id: str,
        app_key: str,
        query: AdzunaQuery,
        quota: CallQuota,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock | None = None,
        max_attempts: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_rate_limit_waits: int = 3,
        max_retry_after: float = 120.0,
    ) -> None:
        """Take the configured client, credentials, query and quota, and the retry policy.

        ``max_attempts`` bounds calls per page on transient failures (backoff ``backoff`` s,
        doubling up to ``max_backoff``); ``max_rate_limit_waits`` bounds 429 waits, and a
        ``Retry-After`` longer than ``max_retry_after`` raises ``RateLimited`` at once.
        """
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._app_id = app_id
        self._app_key = app_key
        self.query = query
        self._quota = quota
        self._sleep = sleep
        self._clock = clock or SystemClock()
        self._retry = RetryPolicy(
            max_attempts, backoff, max_backoff, max_rate_limit_waits, max_retry_after
        )
        _guard_http_logs()

    def fetch(self) -> Iterator[JobDraft | RejectedRecord]:
        """Yield every result of every page, in order."""
        seen = 0
        for page in range(1, self.query.pages + 1):
            body = self._get_page(page)
            results = body.get("results")
            if not isinstance(results, list):
                raise UpstreamUnavailable(
                    f"Adzuna sent a response without a results list (page {page})", service=SERVICE
                )
            if not results:
                return
            for index, result in enumerate(results, start=1):
                yield map_result(result, self.query.country, f"{SOURCE_NAME}:page {page} #{index}")
            seen += len(results)
            count = body.get("count")
            if isinstance(count, int) and not isinstance(count, bool) and seen >= count:
                return

    def page_url(self, page: int) -> str:
        """Return the search URL of one page (without the query string)."""
        return f"{self._base_url}/jobs/{self.query.country}/search/{page}"

    def _redact(self, text: str) -> str:
        redacted = _APP_KEY_IN_URL.sub(r"\1REDACTED", text)
        return redacted.replace(self._app_key, "REDACTED") if self._app_key else redacted

    def _get_page(self, page: int) -> dict[str, Any]:
        return self.get_json(self.page_url(page), self.query.search_params(), f"page {page}")

    def get_json(self, url: str, query: Mapping[str, str], label: str) -> dict[str, Any]:
        """GET one Adzuna endpoint with the credentials, quota, retries and error mapping.

        ``label`` names the call in error messages (``"page 2"``, ``"histogram"``).
        """
        params = {
            "app_id": self._app_id,
            "app_key": self._app_key,
            **query,
            "content-type": "application/json",
        }

        def attempt() -> dict[str, Any] | UpstreamUnavailable:
            self._quota.acquire()
            return self._attempt(url, params, label)

        return self._retry.call(attempt, sleep=self._sleep, log=log, service=SERVICE)

    def _attempt(  # noqa: PLR0911 - one return per outcome of a call
        self,
        url: str,
        params: dict[str, str],
        label: str,
    ) -> dict[str, Any] | UpstreamUnavailable:
        """One HTTP call: the decoded body, or the transient error to retry after.

        Permanent failures raise at once.
        """
        try:
            response = self._http.get(url, params=params)
        except httpx.TimeoutException:
            return UpstreamUnavailable(f"Adzuna timed out ({label})", service=SERVICE)
        except httpx.HTTPError as error:
            message = self._redact(f"{type(error).__name__}: {error}")
            return UpstreamUnavailable(f"Adzuna is unreachable: {message}", service=SERVICE)
        status = response.status_code
        log.debug(
            "adzuna call", extra={"url": self._redact(str(response.request.url)), "status": status}
        )
        if status in {401, 403}:
            raise ConfigurationError(
                f"Adzuna rejected the credentials (HTTP {status}, "
                f"{self._redact(_display(response))}): check ADZUNA_APP_ID and ADZUNA_API_KEY"
            )
        if status == 429:  # noqa: PLR2004
            wait = retry_after(response.headers, default=60.0, now=self._clock.now())
            return RateLimited(
                f"Adzuna asked us to slow down (HTTP 429, retry in {wait:.0f} s)",
                service=SERVICE,
                retry_after=wait,
            )
        if status >= 500:  # noqa: PLR2004
            return UpstreamUnavailable(
                f"Adzuna failed with HTTP {status} ({label})", service=SERVICE
            )
        if status != 200:  # noqa: PLR2004
            raise UpstreamRejected(
                f"Adzuna refused the search (HTTP {status}): {self._redact(_display(response))}",
                service=SERVICE,
            )
        try:
            body = response.json()
        except ValueError:
            return UpstreamUnavailable(f"Adzuna sent malformed JSON ({label})", service=SERVICE)
        if not isinstance(body, dict):
            return UpstreamUnavailable(
                f"Adzuna sent a response that is not a JSON object ({label})", service=SERVICE
            )
        if "results" not in body and body.get("exception"):
            raise UpstreamRejected(
                f"Adzuna refused the search: {self._redact(_display(response))}", service=SERVICE
            )
        return body


# ----------------------------------------------------------------------------- salary data


def _buckets(body: Mapping[str, Any]) -> tuple[SalaryBucket, ...]:
    """Adzuna's histogram (``{"<lower bound>": "<count>"}``, any order) as sorted buckets."""
    raw = body.get("histogram")
    if not isinstance(raw, Mapping):
        raise UpstreamUnavailable("Adzuna sent a histogram without buckets", service=SERVICE)
    buckets = []
    for lower, count in raw.items():
        try:
            buckets.append(SalaryBucket(int(Decimal(str(lower))), int(Decimal(str(count)))))
        except (InvalidOperation, ValueError):
            continue  # a bucket that is not two numbers: skipped, like a bad search result
    return tuple(sorted(buckets, key=lambda b: b.lower))


def _months(body: Mapping[str, Any]) -> tuple[MonthlySalary, ...]:
    """Adzuna's history (``{"month": {"YYYY-MM": average}}``, any order) in month order."""
    raw = body.get("month")
    if not isinstance(raw, Mapping):
        raise UpstreamUnavailable("Adzuna sent a salary history without months", service=SERVICE)
    months = []
    for month, average in raw.items():
        amount = _amount(average)
        if re.fullmatch(r"\d{4}-\d{2}", str(month)) and amount is not None:
            months.append(MonthlySalary(str(month), amount.quantize(Decimal(1))))
    return tuple(sorted(months, key=lambda m: m.month))


class AdzunaSalaryData:
    """``ExternalSalaryData`` from Adzuna's ``histogram`` and ``history`` endpoints (§1.5).

    Each call goes through ``AdzunaJobSource.get_json``: the same credentials, shared call
    quota, retries and error mapping as the job search. Figures are annual, in the country's
    currency. Only ``what`` narrows the call: Adzuna's ``location0..7`` are its own place
    names, which Jobraker does not map.
    """

    def __init__(
        self,
        *,
        http: httpx.Client,
        base_url: str,
        app_id: str,
        app_key: str,
        quota: CallQuota,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock | None = None,
    ) -> None:
        """Take the configured client, credentials and quota."""
        self._base_url = base_url.rstrip("/")
        self._source = partial(
            AdzunaJobSource,
            http=http,
            base_url=base_url,
            app_id=app_id,
            app_key=app_key,
            quota=quota,
            sleep=sleep,
            clock=clock,
            max_attempts=2,
            max_rate_limit_waits=0,
        )

    def salaries(self, country: str, title: str, months: int) -> ExternalSalaries:
        """The histogram and the last ``months`` months' averages of ``title`` in ``country``."""
        country = country.strip().lower()
        query = AdzunaQuery.from_params({"country": country})
        source = self._source(query=query)
        base = f"{self._base_url}/jobs/{country}"
        histogram = source.get_json(f"{base}/histogram", {"what": title}, "histogram")
        history = source.get_json(
            f"{base}/history", {"what": title, "months": str(months)}, "history"
        )
        return ExternalSalaries(
            source=SOURCE_NAME,
            country=country,
            currency=COUNTRY_CURRENCIES[country],
            histogram=_buckets(histogram),
            history=_months(history),
        )
