"""The three kinds of error rolegraph knows, and what the user sees for each.

They live at the bottom of the dependency chain (agents) so every layer can raise them;
`rolegraph.errors` re-exports them for users.
"""

from __future__ import annotations


class RolegraphError(Exception):
    """Base class for every error raised on purpose by rolegraph."""


class UsageError(RolegraphError):
    """The user asked for something we cannot do: bad scenario, missing package or key.

    Shown as one clear message (no traceback) and exit code 2.
    """

    exit_code = 2


class ScenarioError(UsageError):
    """A scenario file has one or more problems, each already formatted as `file:line: path: msg`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ModelOutputError(RolegraphError):
    """A model answered, but not with something usable (unparseable, out of range).

    Fed back to the model for another try; when tries run out it is recorded against
    the sample, never allowed to stop the run.
    """


class TransportError(RolegraphError):
    """The model could not be reached (timeout, connection, 429, 5xx); retried with backoff."""


def missing_extra(package: str, extra: str) -> UsageError:
    """The error for an optional dependency that is not installed."""
    return UsageError(
        f"the '{package}' package is not installed; install it with: pip install \"rolegraph[{extra}]\""
    )


_TRANSPORT_NAMES = {
    "APITimeoutError",
    "APIConnectionError",
    "RateLimitError",
    "InternalServerError",
    "ServiceUnavailableError",
    "ConnectError",
    "ReadTimeout",
    "ConnectTimeout",
    "RemoteProtocolError",
}


def is_transport_error(exc: BaseException) -> bool:
    """True for failures worth retrying: timeouts, lost connections, 408/409/429 and 5xx.

    Duck-typed so this layer does not import any provider SDK. An error that says
    `retryable = False` is not (a sample past its rate-limit deadline: another try would
    find its budget spent).
    """
    if getattr(exc, "retryable", True) is False:
        return False
    if isinstance(exc, TransportError | TimeoutError | ConnectionError):
        return True
    if any(cls.__name__ in _TRANSPORT_NAMES for cls in type(exc).__mro__):
        return True
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and (status in {408, 409, 429} or status >= 500)
