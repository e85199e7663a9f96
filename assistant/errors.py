"""A few domain errors. Each message is meant for the user: it says what is wrong and what to do.

They are translated at the edges (CLI message and exit code, later a chat error)."""


class AssistantError(Exception):
    """Base of every error Newsdesk raises on purpose."""

    exit_code = 1


class ConfigurationError(AssistantError):
    """A setting, package or model is missing or wrong."""


class IndexUnavailableError(AssistantError):
    """The index is missing, empty or unreadable."""


class IndexMismatchError(IndexUnavailableError):
    """The index was built with another embedding model or schema than the one configured."""


class IndexBusyError(AssistantError):
    """Another ingest holds the index lock."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class InvalidRequestError(AssistantError):
    """The input is not a usable question (empty, wrong shape, a setting out of range)."""

    exit_code = 2
