"""The apply-link checker: dead links, and SSRF refusals before and after redirects."""

from __future__ import annotations

import ipaddress
import socket

import httpx
import pytest

from jobraker_adapters.link_checker import HttpLinkChecker, is_public

PUBLIC = "93.184.216.34"
DNS = {
    "jobs.example.com": [PUBLIC],
    "other.example.com": ["93.184.216.35"],
    "internal.example.com": ["10.0.0.5"],
    "sneaky.example.com": [PUBLIC, "127.0.0.1"],
}


def _resolver(host: str, _port: int) -> list[str]:
    if host in DNS:
        return DNS[host]
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        raise socket.gaierror(f"no such host {host}") from None


class Site:
    """A fake web: answers by (method, host, path) and records every request."""

    def __init__(self, answers: dict[tuple[str, str, str], httpx.Response]) -> None:
        """Serve these answers; anything else is 200."""
        self.answers = answers
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        self.seen.append(request)
        key = (request.method, request.headers["Host"], request.url.path)
        return self.answers.get(key, httpx.Response(200))


def _checker(site: Site) -> HttpLinkChecker:
    client = httpx.Client(transport=httpx.MockTransport(site), follow_redirects=False)
    return HttpLinkChecker(client, resolver=_resolver)


def test_a_404_is_dead_and_the_request_goes_to_the_checked_address():
    """The request is sent to the resolved IP with the name in Host; 404 proves the link dead."""
    site = Site({("HEAD", "jobs.example.com", "/gone"): httpx.Response(404)})
    status = _checker(site).check("https://jobs.example.com/gone")
    assert status.dead
    assert status.status_code == 404
    (request,) = site.seen
    assert request.url.host == PUBLIC
    assert request.extensions["sni_hostname"] == "jobs.example.com"


def test_alive_links_and_inconclusive_answers_are_not_dead():
    """200 is alive; 503 and 403 prove nothing."""
    site = Site(
        {
            ("HEAD", "jobs.example.com", "/busy"): httpx.Response(503),
            ("HEAD", "jobs.example.com", "/login"): httpx.Response(403),
        }
    )
    checker = _checker(site)
    assert not checker.check("https://jobs.example.com/ok").dead
    assert not checker.check("https://jobs.example.com/busy").dead
    assert not checker.check("https://jobs.example.com/login").dead


def test_head_refused_falls_back_to_get():
    """A server answering 405 to HEAD is asked with GET."""
    site = Site(
        {
            ("HEAD", "jobs.example.com", "/job"): httpx.Response(405),
            ("GET", "jobs.example.com", "/job"): httpx.Response(410),
        }
    )
    status = _checker(site).check("http://jobs.example.com/job")
    assert status.dead
    assert [r.method for r in site.seen] == ["HEAD", "GET"]


def test_a_host_that_does_not_exist_is_dead():
    """A name that does not resolve proves the link dead without any request."""
    site = Site({})
    status = _checker(site).check("https://nowhere.invalid/job")
    assert status.dead
    assert site.seen == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost.example/",
        "http://internal.example.com/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.1.1/",
        "http://sneaky.example.com/",
        "ftp://jobs.example.com/file",
        "http://user:pw@jobs.example.com/",
    ],
)
def test_private_targets_are_refused_without_a_request(url):
    """Loopback, private, link-local, shared, mapped and mixed answers are never contacted."""
    DNS["localhost.example"] = ["127.0.0.1"]
    site = Site({})
    status = _checker(site).check(url)
    assert status.refused
    assert not status.dead
    assert site.seen == []


def test_redirects_are_followed_and_checked_at_every_hop():
    """A redirect to a public page is followed; a redirect to metadata is refused."""
    site = Site(
        {
            ("HEAD", "jobs.example.com", "/moved"): httpx.Response(
                301, headers={"Location": "https://other.example.com/new"}
            ),
            ("HEAD", "other.example.com", "/new"): httpx.Response(404),
            ("HEAD", "jobs.example.com", "/evil"): httpx.Response(
                302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
            ),
            ("HEAD", "jobs.example.com", "/inside"): httpx.Response(
                307, headers={"Location": "http://internal.example.com/"}
            ),
        }
    )
    checker = _checker(site)
    assert checker.check("https://jobs.example.com/moved").dead
    evil = checker.check("https://jobs.example.com/evil")
    inside = checker.check("https://jobs.example.com/inside")
    assert evil.refused
    assert inside.refused
    assert all(r.url.host in {PUBLIC, "93.184.216.35"} for r in site.seen)


def test_redirect_loops_end_without_a_verdict():
    """A page redirecting to itself gives up after the redirect limit, not dead."""
    site = Site(
        {("HEAD", "jobs.example.com", "/loop"): httpx.Response(302, headers={"Location": "/loop"})}
    )
    status = _checker(site).check("https://jobs.example.com/loop")
    assert not status.dead
    assert status.reason == "too many redirects"
    assert len(site.seen) == 6


def test_public_addresses():
    """Public unicast addresses pass; the special ranges do not."""
    assert is_public(PUBLIC)
    assert is_public("2606:2800:220:1:248:1893:25c8:1946")
    for address in ("10.1.2.3", "172.16.0.1", "192.168.1.1", "fe80::1", "0.0.0.0", "224.0.0.1"):  # noqa: S104
        assert not is_public(address)
