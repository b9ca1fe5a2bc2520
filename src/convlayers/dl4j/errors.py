"""DL4J's exceptions, as ``ValueError`` subclasses so that code catching the core's errors catches these too.

>>> issubclass(DL4JInvalidConfigException, ValueError), issubclass(DL4JInvalidInputException, DL4JException)
(True, True)
"""


class DL4JException(ValueError):
    """Base of DL4J's exceptions (``org.deeplearning4j.exception.DL4JException``)."""


class DL4JInvalidConfigException(DL4JException):
    """A configuration DL4J refuses when the network is configured (``setInputType``, ``build``, ``init``)."""


class DL4JInvalidInputException(DL4JException):
    """An input array DL4J refuses in the forward pass (wrong rank, wrong channel count)."""
