"""Writing one record per call, as Rewardful's API does, with failures kept per record."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

from crmsync.sdk import ApiRequestError, RecordRejectedError, WriteOp, WriteResult
from crmsync_connectors.rewardful.forms import FormError
from crmsync_connectors.rewardful.listings import Listing

BATCH_SIZE = 20  # ops per write(): at most 40 calls, within one 30 s window of 45


class WrittenOneByOne(Listing):
    """A list whose records are written one call (or two) per op.

    A batch is only how many ops the engine hands over at once: it commits their
    outcome together, so a batch stays within about one rate-limit window.
    """

    max_batch_size = BATCH_SIZE

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Each op in order; one Rewardful refuses (422) or cannot be sent fails alone."""
        if len(ops) > self.max_batch_size:
            raise ApiRequestError(
                f"{self.name}: a batch of {len(ops)} ops exceeds max_batch_size "
                f"{self.max_batch_size}"
            )
        return [self._isolated(op) for op in ops]

    @abstractmethod
    def write_one(self, op: WriteOp) -> WriteResult:
        """Apply one op. Raise RecordRejectedError or FormError for a record-level refusal."""

    def _isolated(self, op: WriteOp) -> WriteResult:
        try:
            return self.write_one(op)
        except RecordRejectedError as exc:
            return WriteResult.failed(op.ref, exc.message, code=exc.code)
        except FormError as exc:
            return WriteResult.failed(op.ref, str(exc), code="INVALID_VALUE")
