"""Writing the store: part files and records that appear whole, exclusively, durably.

Every file is written under a hidden temporary name (``.<name>.tmp``, opened exclusively),
flushed and fsynced, then *linked* to its final name, which fails if that name exists: nothing
in a store is ever replaced. A write that fails (read-only folder, a file where a folder should
be, no space left) removes its temporary file and raises :class:`StoreWriteError` with one line
saying what and why. A process killed mid-write leaves at most a hidden temporary file, which
readers never open and ``olm store check`` lists.

Invariant: within one run each entity (profile or project) is stored at most once.
:class:`PartWriter` checks it row by row, :func:`write_frame` for the whole frame.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import polars as pl

from olmstats.errors import InputError, StoreError, StoreWriteError, io_error_text
from olmstats.schema import SCHEMA_VERSION, Dataset
from olmstats.store.layout import (
    SEQ_LIMIT,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    check_platform,
    check_run_id,
    identity_metadata,
    part_name,
    partition_dir,
    run_part_files,
    temp_name,
)

PROBE_BYTES = 64 * 1024


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def write_new_file(path: Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Create *path* exclusively with the bytes *write* puts into the handle it is given.

    Raises :class:`StoreWriteError` if *path* exists (nothing is replaced) or if the store
    cannot be written; no temporary file of this call is left behind either way, and a file
    that is not durably in place (its folder could not be synced) is removed again.
    """
    temp = temp_name(path)
    created = linked = False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = temp.open("xb")
        except FileExistsError:
            raise StoreWriteError(f"cannot write {path}: another writer is writing it") from None
        created = True
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        _link_no_clobber(temp, path)
        linked = True
        _fsync_dir(path.parent)
    except FileExistsError:
        raise StoreWriteError(f"refusing to overwrite {path}: the store is append-only") from None
    except OSError as exc:
        _undo(path if linked else None)
        raise StoreWriteError(f"cannot write {path}: {_reason(exc)}") from None
    except pl.exceptions.PolarsError as exc:  # Polars reports the OS error inside its own
        message = str(exc)
        if "os error" not in message and "IO error" not in message:
            raise
        raise StoreWriteError(f"cannot write {path}: {io_error_text(exc)}") from None
    finally:
        if created:
            _undo(temp)
    return path


def _undo(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()


def replace_own_file(path: Path, data: bytes) -> Path:
    """Atomically replace *path*, a file this process created with :func:`write_new_file`."""
    temp = temp_name(path)
    try:
        with temp.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
        _fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise StoreWriteError(f"cannot write {path}: {_reason(exc)}") from None
    return path


def _link_no_clobber(temp: Path, final: Path) -> None:
    try:
        os.link(temp, final)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP):
            raise
        # a file system without hard links: check, then rename (not atomic against a rival)
        if final.exists():
            raise FileExistsError(final) from None
        temp.rename(final)


def probe_writable(store: Path | str, run_id: str) -> None:
    """Write and remove a hidden 64 KiB file in *store*: fail now, not after the crawl."""
    root = Path(store)
    if root.exists() and not root.is_dir():
        raise StoreWriteError(f"store {root} cannot be written: it is a file, not a folder")
    probe = root / f"{TEMP_PREFIX}olm-write-probe-{run_id}{TEMP_SUFFIX}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        with probe.open("xb") as handle:
            handle.write(b"\0" * PROBE_BYTES)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise StoreWriteError(f"store {root} cannot be written: {_reason(exc)}") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


class PartWriter:
    """Buffers rows of one dataset and writes them as exclusive, zstd-compressed part files.

    ``rows_per_file`` bounds both memory and how much a killed crawl can lose (the rows still in
    the buffer). Rows are dicts holding at least the dataset's columns; extra keys are ignored.
    ``rows_written`` counts rows in files that are complete and in place (durable), never rows
    still in the buffer.
    """

    def __init__(
        self,
        store: Path | str,
        dataset: Dataset,
        *,
        platform: str,
        snapshot_date: date,
        run_id: str,
        rows_per_file: int = 50_000,
        resume: bool = False,
        keys_claimed: bool = False,
    ) -> None:
        """With *resume*, the run's part files already in the partition (a resumed crawl)
        count as written: numbering goes on after them and their keys are not taken again.

        By default the writer remembers every key it took (about 150 bytes each) and refuses
        one that repeats within the run. *keys_claimed* says the caller already guarantees
        that (a distributed crawl, whose workers keep a key only after claiming it in Redis):
        the writer then keeps no keys, and its memory does not grow with the rows written."""
        if (
            isinstance(rows_per_file, bool)
            or not isinstance(rows_per_file, int)
            or rows_per_file < 1
        ):
            raise InputError(
                f"rows_per_file must be a whole number of at least 1, got {rows_per_file!r}"
            )
        if not isinstance(snapshot_date, date) or isinstance(snapshot_date, datetime):
            raise InputError(f"snapshot_date must be a datetime.date, got {snapshot_date!r}")
        self.dataset = dataset
        self.platform = check_platform(platform)
        self.snapshot_date = snapshot_date
        self.run_id = check_run_id(run_id)
        self.directory = partition_dir(Path(store), dataset, platform, snapshot_date)
        self.rows_per_file = rows_per_file
        self.files: list[Path] = []
        self.rows_written = 0
        self._columns = dataset.column_names
        self._key = dataset.column_names[0]
        self._required = [c for c in dataset.required() if c != "run_id"]
        self._keys: set[Any] | None = None if keys_claimed else set()
        self._buffer: dict[str, list[Any]] = {name: [] for name in self._columns}
        self._buffered = 0
        if resume:
            self._resume()

    def _resume(self) -> None:
        prefix = f"part-{self.run_id}-"
        mine = sorted(
            p
            for p in (self.directory.glob(f"{prefix}*.parquet") if self.directory.is_dir() else ())
            if p.name[len(prefix) : -len(".parquet")].isdigit()
        )
        for path in mine:
            keys = pl.read_parquet(path, columns=[self._key], hive_partitioning=False)[self._key]
            if self._keys is not None:
                self._keys.update(keys.to_list())
            self.rows_written += keys.len()
        self.files = mine

    @property
    def buffered(self) -> int:
        """Rows added but not yet in a complete part file."""
        return self._buffered

    def add(self, row: dict[str, Any]) -> Path | None:
        """Buffer *row*; return the part file written if the buffer was full, else None."""
        key = row[self._key]
        if self._keys is not None and key in self._keys:
            raise StoreError(f"{self.dataset.name}: {self._key} {key!r} repeats within one run")
        empty = [name for name in self._required if row[name] is None]
        if empty:
            raise StoreError(f"{self.dataset.name}: required column(s) {empty} empty in {key!r}")
        if self._keys is not None:
            self._keys.add(key)
        for name in self._columns:
            self._buffer[name].append(row[name])
        self._buffered += 1
        if self._buffered >= self.rows_per_file:
            return self.flush()
        return None

    def flush(self) -> Path | None:
        """Write buffered rows as one part file; return its path (None if nothing was buffered).

        On failure the rows stay in the buffer (see :meth:`discard`) and StoreWriteError says
        why.
        """
        if not self._buffered:
            return None
        frame = pl.DataFrame(self._buffer, schema=self.dataset.polars_schema, strict=True)
        path = self.write_chunk(frame)
        self._buffer = {name: [] for name in self._columns}
        self._buffered = 0
        return path

    def discard(self) -> int:
        """Forget the buffered rows (after a failed write); return how many there were."""
        lost = self._buffered
        self._buffer = {name: [] for name in self._columns}
        self._buffered = 0
        return lost

    def write_chunk(self, frame: pl.DataFrame) -> Path:
        """Write *frame* (the dataset's columns, in order) as one exclusive part file.

        The ``run_id`` column is this writer's run id, whatever the rows said: readers rely on
        it to know which rows come from one run.
        """
        seq = len(self.files)
        if seq >= SEQ_LIMIT:
            raise StoreError(f"{self.run_id}: more than {SEQ_LIMIT} part files in one partition")
        frame = frame.with_columns(run_id=pl.lit(self.run_id, pl.String))
        self._check_required(frame)
        metadata = identity_metadata(
            self.dataset,
            platform=self.platform,
            snapshot_date=self.snapshot_date,
            run_id=self.run_id,
            seq=seq,
            schema=SCHEMA_VERSION,
        )
        final = self.directory / part_name(self.run_id, seq)
        write_new_file(
            final,
            lambda handle: frame.write_parquet(handle, compression="zstd", metadata=metadata),
        )
        self.files.append(final)
        self.rows_written += frame.height
        return final

    def close(self) -> None:
        self.flush()

    def _check_required(self, frame: pl.DataFrame) -> None:
        nulls = frame.select(pl.col(self.dataset.required()).null_count()).row(0, named=True)
        bad = {name: n for name, n in nulls.items() if n}
        if bad:
            raise ValueError(f"{self.dataset.name}: nulls in required columns {bad}")


def write_frame(
    store: Path | str,
    dataset: Dataset,
    frame: pl.DataFrame,
    *,
    platform: str,
    snapshot_date: date,
    run_id: str,
    rows_per_file: int = 1_000_000,
) -> list[Path]:
    """Append a whole DataFrame to the store (bulk import), as new exclusive part files.

    Refuses (StoreWriteError) a run id that already has files in the partition: the store is
    append-only, and one run holds each entity once.
    """
    if not isinstance(frame, pl.DataFrame):
        raise InputError(f"frame must be a Polars DataFrame, got {type(frame).__name__}")
    missing = [c for c in dataset.column_names if c not in frame.columns]
    if missing:
        raise InputError(f"{dataset.name}: frame lacks columns {missing}")
    try:
        frame = frame.select(dataset.column_names).cast(dict(dataset.polars_schema))
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{dataset.name}: {str(exc).splitlines()[0]}") from None
    key = dataset.column_names[0]
    if not frame[key].is_unique().all():
        raise InputError(f"{dataset.name}: {key} repeats within one run")
    nulls = {
        c: n
        for c, n in frame.select(pl.col(dataset.required()).null_count()).row(0, named=True).items()
        if n and c != "run_id"
    }
    if nulls:
        raise InputError(f"{dataset.name}: nulls in required columns {nulls}")
    writer = PartWriter(
        store,
        dataset,
        platform=platform,
        snapshot_date=snapshot_date,
        run_id=run_id,
        rows_per_file=rows_per_file,
    )
    existing = [p for p in run_part_files(store, run_id) if p.parent == writer.directory]
    if existing:
        raise StoreWriteError(
            f"refusing to overwrite {existing[0]}: run {run_id} already wrote to "
            f"{writer.directory} (the store is append-only; use a new run id)"
        )
    for offset in range(0, frame.height, rows_per_file):
        writer.write_chunk(frame.slice(offset, rows_per_file))
    return writer.files
