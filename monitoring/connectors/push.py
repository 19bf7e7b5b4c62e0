"""Kinds that are not polled: mentions are pushed in through the inbound API, the
import command or a drill, all through monitoring.ingest.mentions_ingest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundation.http import SourceError
from monitoring.connectors.base import Connector, FetchResult

if TYPE_CHECKING:
    from monitoring.models import Source


class PushConnector(Connector):
    def fetch(self, source: Source) -> FetchResult:
        raise SourceError(f"{self.kind} sources are not polled", retry=False)


class ApiConnector(PushConnector):
    kind = "api"


class ImportConnector(PushConnector):
    kind = "import"


class DrillConnector(PushConnector):
    kind = "drill"
