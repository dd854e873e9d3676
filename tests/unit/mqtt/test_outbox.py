"""The outbox: first in, first out, bounded by readings, and kept across a reopen."""

from __future__ import annotations

from pathlib import Path

from energymon.mqtt.outbox import Outbox


def test_batches_come_out_oldest_first_and_go_when_removed(tmp_path: Path) -> None:
    """`oldest` pages in id order after a cursor; `remove` deletes and recounts."""
    outbox = Outbox(tmp_path / "o.db", max_readings=1000)
    ids = [row_id for row_id, _ in (_append(outbox, f"b{i}", 10) for i in range(5))]
    assert [body for _, body in outbox.oldest(0, 3)] == [b"b0", b"b1", b"b2"]
    assert [body for _, body in outbox.oldest(ids[2], 10)] == [b"b3", b"b4"]
    outbox.remove([ids[0], ids[1], 12345])
    assert (outbox.batches, outbox.readings) == (3, 30)
    assert [body for _, body in outbox.oldest(0, 10)] == [b"b2", b"b3", b"b4"]
    outbox.close()


def test_past_the_bound_the_oldest_batches_are_dropped_and_counted(tmp_path: Path) -> None:
    """Appending beyond max_readings drops whole batches from the old end."""
    outbox = Outbox(tmp_path / "o.db", max_readings=25)
    assert outbox.append(b"a", 10) == 0
    assert outbox.append(b"b", 10) == 0
    assert outbox.append(b"c", 10) == 10  # 30 > 25: "a" goes
    assert [body for _, body in outbox.oldest(0, 10)] == [b"b", b"c"]
    assert outbox.readings == 20
    outbox.close()


def test_contents_and_increasing_ids_survive_a_reopen(tmp_path: Path) -> None:
    """What was committed is there after reopening; ids never repeat, even once emptied."""
    path = tmp_path / "o.db"
    outbox = Outbox(path, max_readings=1000)
    _append(outbox, "x", 2)
    last_id, _ = _append(outbox, "y", 3)
    outbox.close()
    reopened = Outbox(path, max_readings=1000)
    assert (reopened.batches, reopened.readings) == (2, 5)
    reopened.remove(row_id for row_id, _ in reopened.oldest(0, 10))
    new_id, _ = _append(reopened, "z", 1)
    assert new_id > last_id
    reopened.close()


def _append(outbox: Outbox, body: str, readings: int) -> tuple[int, bytes]:
    outbox.append(body.encode(), readings)
    rows = outbox.oldest(0, 1_000_000)
    return rows[-1]
