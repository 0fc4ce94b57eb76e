"""``multipart/*`` bodies: a streaming reader, a writer and Content-Disposition helpers.

The reader lives in :mod:`toolkit.multipart_reader`, the writer in
:mod:`toolkit.multipart_writer`; this module is the public facade.
"""

from __future__ import annotations

from .content_disposition import (
    content_disposition_filename,
    content_disposition_header,
    parse_content_disposition,
)
from .multipart_reader import BodyPartReader, MultipartReader, MultipartResponseWrapper
from .multipart_writer import MultipartPayloadWriter, MultipartWriter


class BadContentDispositionHeader(RuntimeWarning):
    """A ``Content-Disposition`` value could not be parsed."""


class BadContentDispositionParam(RuntimeWarning):
    """A ``Content-Disposition`` parameter could not be parsed."""


__all__ = (
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BodyPartReader",
    "MultipartPayloadWriter",
    "MultipartReader",
    "MultipartResponseWrapper",
    "MultipartWriter",
    "content_disposition_filename",
    "content_disposition_header",
    "parse_content_disposition",
)
