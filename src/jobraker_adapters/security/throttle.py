"""The login throttle in Redis: failure counters per account and per client, with lockouts.

Fixed windows: the first failure of a key starts a ``window``-long counter
(``jobraker:login:fail:<kind>:<key>``); when it reaches its limit the key is locked
(``jobraker:login:lock:<kind>:<key>``) for ``lockout``. ``check`` answers the longer remaining lock
of the account and the client. A successful login clears the account's counter and lock, not the
client's, so one good account cannot launder a client's failures on others.

Defaults: 5 failures of one account or 20 of one client within 15 minutes lock it for 15 minutes.
Keys are pseudonyms (never an email or an address). The trade-off of per-account locks is that
anyone can lock an account for 15 minutes by failing at it; the per-client limit and the API's
rate limits bound how often.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final

from jobraker_adapters.security.revocation import translate_redis_errors

if TYPE_CHECKING:
    import redis

PREFIX: Final = "jobraker:login"
MAX_ACCOUNT_FAILURES: Final = 5
MAX_CLIENT_FAILURES: Final = 20
WINDOW: Final = timedelta(minutes=15)
LOCKOUT: Final = timedelta(minutes=15)

# KEYS: counter, lock. ARGV: limit, window seconds, lockout seconds. Returns the lockout set (0/s).
_FAIL: Final = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if count >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
  return tonumber(ARGV[3])
end
return 0
"""


class RedisLoginThrottle:
    """A ``LoginThrottle`` in Redis, shared by every API process."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        max_account_failures: int = MAX_ACCOUNT_FAILURES,
        max_client_failures: int = MAX_CLIENT_FAILURES,
        window: timedelta = WINDOW,
        lockout: timedelta = LOCKOUT,
        prefix: str = PREFIX,
    ) -> None:
        """Count in ``client`` with these limits."""
        self._redis = client
        self._limits = {"account": max_account_failures, "client": max_client_failures}
        self._window = int(window.total_seconds())
        self._lockout = int(lockout.total_seconds())
        self._prefix = prefix
        self._fail = client.register_script(_FAIL)

    def _keys(self, kind: str, key: str) -> tuple[str, str]:
        return f"{self._prefix}:fail:{kind}:{key}", f"{self._prefix}:lock:{kind}:{key}"

    def check(self, account: str, client: str) -> float:
        """Seconds the account or the client must still wait (0 when neither is locked)."""
        with translate_redis_errors():
            pipe = self._redis.pipeline(transaction=False)
            pipe.pttl(self._keys("account", account)[1])
            pipe.pttl(self._keys("client", client)[1])
            waits = pipe.execute()
        return max(0.0, *(int(ms) / 1000 for ms in waits))

    def record_failure(self, account: str, client: str) -> float:
        """Count a failure of both; return the lockout it triggers (0 when none)."""
        waits = []
        with translate_redis_errors():
            for kind, key in (("account", account), ("client", client)):
                waits.append(
                    int(
                        self._fail(
                            keys=list(self._keys(kind, key)),
                            args=[self._limits[kind], self._window, self._lockout],
                        )
                    )
                )
        return float(max(waits))

    def reset(self, account: str) -> None:
        """Forget the account's failures and lock."""
        with translate_redis_errors():
            self._redis.delete(*self._keys("account", account))
