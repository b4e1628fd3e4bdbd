"""Seed data: the user's own records, one per sample, streamed or memory-mapped, never loaded whole.

Big files are read with `pread`, not mapped: the kernel maps the pages around each fault into
the process, so random rows of a mapped 200 MB file soon count as 200 MB of its memory.

`open_seed(spec, base)` gives a `Seed`: `len(seed)`, `seed.columns` and `seed.row(i)` (a
JSON-safe dict). Readers, by format:

| format | how it is read |
|---|---|
| `jsonl` | a byte-offset index of the lines (8 bytes a row), then one `pread` + `json.loads` per row read |
| `csv` / `tsv` | the same, with records split where quotes are balanced (quoted newlines allowed) |
| `parquet` | the schema and row count from the footer; on the first row read, rows are streamed once, batch by batch, into an uncompressed Arrow file in the temp folder, then read a 2,048-row batch at a time (random access without decoding a row group per row) |
| `hf` | a folder written by `datasets.Dataset.save_to_disk`: its Arrow files memory-mapped, as `datasets` does |
| `text` | a folder of text files, one document per row: columns `id`, `path`, `text` |

The sample → row mapping (`row_for`) needs no table in memory either: `ordered` walks the
rows, `shuffle` is a seeded bijection of the row range (a Feistel network with cycle
walking), `with_replacement` draws a row per sample from the sample's seed.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import datetime as dt
import decimal
import hashlib
import io
import itertools
import json
import os
import random
import tempfile
import weakref
from abc import ABC, abstractmethod
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

SAMPLE_ROWS = 100  # rows read at validate time: their keys are the columns (JSONL) and must parse
BATCH_ROWS = 2048  # rows per batch of the Arrow copy of a Parquet seed: one batch read per row
TEXT_SUFFIXES = (".txt", ".md", ".text", ".rst")


class SeedError(Exception):
    """A seed that cannot be opened or read; the message is for the user."""


def _rows(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2:
        return {"start": value[0], "stop": value[1]}
    if isinstance(value, str) and ":" in value:
        start, _, stop = value.partition(":")
        return {"start": int(start or 0), **({"stop": int(stop)} if stop.strip() else {})}
    return value


class RowRange(BaseModel):
    """Rows `start` (inclusive) to `stop` (exclusive) of the seed, 0-based."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(default=0, ge=0)
    stop: int | None = Field(default=None, ge=1)


class SeedSpec(BaseModel):
    """The scenario's `seed:` section: where the records are and how samples walk them."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        min_length=1,
        description="A JSONL, CSV, TSV or Parquet file, a `datasets` save_to_disk folder, or a "
        "folder of text files; relative to the scenario's folder.",
    )
    format: Literal["auto", "jsonl", "csv", "tsv", "parquet", "hf", "text"] = Field(
        default="auto", description="auto: from the suffix, or the folder's contents."
    )
    sampling: Literal["ordered", "shuffle", "with_replacement"] = Field(
        default="ordered",
        description="ordered: row after row; shuffle: every row once, in a seeded order; "
        "with_replacement: a seeded random row for each sample.",
    )
    per_row: int = Field(default=1, ge=1, le=10_000, description="Samples per record.")
    rows: Annotated[RowRange | None, BeforeValidator(_rows)] = Field(
        default=None, description="Only these rows: [start, stop] or 'start:stop' (0-based)."
    )


def _seed(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


SeedField = Annotated[SeedSpec, BeforeValidator(_seed)]


def resolve_seed_path(path: str, base: Path) -> Path:
    """Where a seed path points: inside the scenario's folder, or a folder the user allows.

    The same confinement as `facts_file` and `library` (rolegraph.scenario.files): no
    absolute paths, no '..', no links leading out, unless `--allow-path` / the environment
    names the folder.
    """
    from rolegraph.scenario.files import FileProblem, resolve_inside

    try:
        return resolve_inside(path, base)
    except FileProblem as exc:
        raise SeedError(f"the seed must be inside the scenario's folder: {exc}") from None


def json_safe(value: Any) -> Any:
    """A value as JSON-safe data (dates as ISO text, decimals as numbers, bytes as text)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


class Table(ABC):
    """A reader of one seed file or folder: row count, columns, one row at a time."""

    columns: list[str]

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def row(self, i: int) -> dict[str, Any]: ...

    def close(self) -> None:  # noqa: B027 (a reader without handles has nothing to release)
        """Release file handles and temporary files."""


class _LineTable(Table):
    """JSONL, CSV and TSV: a byte-offset index of the records; each row read with one pread.

    Not memory-mapped: the kernel maps pages around each fault into the process, so random
    rows of a big mapped file would count hundreds of MB of page cache as the run's memory.
    """

    def __init__(self, path: Path, kind: str) -> None:
        self.path, self.kind = path, kind
        self.fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, _close_fd, self.fd)
        self.offsets = array("q")
        self.header: list[str] = []
        self._index()
        if kind == "jsonl":
            keys: dict[str, None] = {}
            for i in range(min(SAMPLE_ROWS, len(self))):
                keys.update(dict.fromkeys(self.row(i)))
            self.columns = list(keys)
        else:
            self.columns = self.header

    def _index(self) -> None:
        offsets, quoted = self.offsets, self.kind != "jsonl"
        pos = start = 0
        balanced = True
        with self.path.open("rb") as file:
            for line in file:  # buffered, split in C
                stop = pos + len(line)
                if quoted:  # a record ends where its quotes are balanced
                    balanced ^= line.count(b'"') % 2 == 1
                if balanced:
                    if stop - start > 3 or line.strip() or start != pos:
                        offsets.append(start)
                    start = stop
                pos = stop
        end = pos
        if quoted:
            if not offsets:
                raise SeedError(f"{self.path}: no header row")
            header_end = offsets[1] if len(offsets) > 1 else end
            self.header = self._parse(self._read(offsets[0], header_end), 1)
            self.offsets = offsets[1:]
        # record i is offsets[i]:offsets[i + 1]; a blank line skipped after it is whitespace
        self.offsets.append(end)

    def _read(self, start: int, stop: int) -> bytes:
        return os.pread(self.fd, stop - start, start)

    def _parse(self, raw: bytes, line: int) -> list[str]:
        text = raw.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text), delimiter="\t" if self.kind == "tsv" else ","))
        if not rows:
            raise SeedError(f"{self.path}: record {line} is empty")
        return rows[0]

    def __len__(self) -> int:
        return max(0, len(self.offsets) - 1)

    def row(self, i: int) -> dict[str, Any]:
        if not 0 <= i < len(self):
            raise IndexError(i)
        raw = self._read(self.offsets[i], self.offsets[i + 1])
        try:
            if self.kind == "jsonl":
                value = json.loads(raw)
                if not isinstance(value, dict):
                    raise SeedError(f"{self.path}: row {i}: a JSONL seed needs one object a line")
                return value
            cells = self._parse(raw, i + 2)
        except UnicodeDecodeError:
            raise SeedError(f"{self.path}: row {i} is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise SeedError(f"{self.path}: row {i} is not JSON: {exc.msg}") from None
        if len(cells) != len(self.header):
            raise SeedError(
                f"{self.path}: row {i} has {len(cells)} fields, the header {len(self.header)}"
            )
        return dict(zip(self.header, cells, strict=True))

    def close(self) -> None:
        if self.fd >= 0:
            _close_fd(self.fd)
            self.fd = -1


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
    except ImportError:
        from rolegraph.errors import missing_extra

        raise missing_extra("pyarrow", "seed") from None
    return pa


class _ArrowTable(Table):
    """Arrow record batches, memory-mapped: a row read touches only that row's pages."""

    def __init__(self, batches: list[Any], sizes: list[int]) -> None:
        self.batches = batches
        self.starts = [0]
        for size in sizes:
            self.starts.append(self.starts[-1] + size)
        self.columns = list(batches[0].schema.names) if batches else []

    def __len__(self) -> int:
        return self.starts[-1]

    def row(self, i: int) -> dict[str, Any]:
        if not 0 <= i < len(self):
            raise IndexError(i)
        b = bisect.bisect_right(self.starts, i) - 1
        return self.batches[b].slice(i - self.starts[b], 1).to_pylist()[0]


class _BatchFile(Table):
    """An Arrow IPC file read one small batch at a time (the last one kept for the next row)."""

    def __init__(self, reader: Any, sizes: list[int]) -> None:
        self.reader = reader
        self.starts = list(itertools.accumulate(sizes, initial=0))
        self.columns = list(reader.schema.names)
        self.cached: tuple[int, Any] | None = None

    def __len__(self) -> int:
        return self.starts[-1]

    def row(self, i: int) -> dict[str, Any]:
        b = bisect.bisect_right(self.starts, i) - 1
        if self.cached is None or self.cached[0] != b:
            self.cached = (b, self.reader.get_batch(b))
        return self.cached[1].slice(i - self.starts[b], 1).to_pylist()[0]


class _ParquetTable(Table):
    """Parquet: footer metadata at once; rows from an uncompressed Arrow copy made on first read
    (one streaming pass, in batches), read a small batch at a time."""

    def __init__(self, path: Path) -> None:
        pa = _pyarrow()
        import pyarrow.parquet as pq

        self.path = path
        try:
            self.file = pq.ParquetFile(path)  # not mapped: a pass over it would count as ours
        except (pa.ArrowException, OSError) as exc:
            raise SeedError(f"cannot read {path} as Parquet: {exc}") from None
        self.columns = list(self.file.schema_arrow.names)
        self.rows = self.file.metadata.num_rows
        self.copy: _BatchFile | None = None
        self.head: Any = None
        self.tmp: str | None = None

    def __len__(self) -> int:
        return self.rows

    def _materialize(self) -> _BatchFile:
        pa = _pyarrow()
        fd, self.tmp = tempfile.mkstemp(prefix="rolegraph-seed-", suffix=".arrow")
        os.close(fd)
        weakref.finalize(self, _unlink, self.tmp)
        with pa.OSFile(self.tmp, "wb") as sink:
            writer = pa.ipc.new_file(sink, self.file.schema_arrow)
            sizes = []
            for batch in self.file.iter_batches(batch_size=BATCH_ROWS, use_threads=False):
                writer.write_batch(batch)
                sizes.append(batch.num_rows)
            writer.close()
        return _BatchFile(pa.ipc.open_file(pa.OSFile(self.tmp, "rb")), sizes)

    def row(self, i: int) -> dict[str, Any]:
        if self.copy is None and i < SAMPLE_ROWS:  # validation reads the head: no copy yet
            if self.head is None:
                self.head = next(self.file.iter_batches(batch_size=SAMPLE_ROWS), None)
            if self.head is not None and i < self.head.num_rows:
                return self.head.slice(i, 1).to_pylist()[0]
        if self.copy is None:
            self.copy = self._materialize()
        return self.copy.row(i)

    def close(self) -> None:
        self.copy = None
        self.file.close()
        if self.tmp:
            _unlink(self.tmp)


def _close_fd(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _hf_table(folder: Path) -> _ArrowTable:
    """A `datasets` save_to_disk folder (a DatasetDict: its `train` split, or its first)."""
    pa = _pyarrow()
    if (folder / "dataset_dict.json").exists():
        splits = json.loads((folder / "dataset_dict.json").read_text(encoding="utf-8"))["splits"]
        folder = folder / ("train" if "train" in splits else splits[0])
    try:
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        files = [folder / f["filename"] for f in state["_data_files"]]
    except (OSError, KeyError, ValueError) as exc:
        raise SeedError(f"cannot read {folder} as a saved `datasets` folder: {exc}") from None
    batches = []
    for file in files:
        try:
            batches += list(pa.ipc.open_stream(pa.memory_map(str(file), "r")))
        except (pa.ArrowException, OSError) as exc:
            raise SeedError(f"cannot read {file} as Arrow: {exc}") from None
    return _ArrowTable(batches, [b.num_rows for b in batches])


class _TextFolder(Table):
    """A folder of text documents, one per row, in path order."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.columns = ["id", "path", "text"]
        self.files = sorted(
            p.relative_to(folder)
            for p in folder.rglob("*")
            if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES and not p.name.startswith(".")
        )

    def __len__(self) -> int:
        return len(self.files)

    def row(self, i: int) -> dict[str, Any]:
        rel = self.files[i]
        try:
            text = (self.folder / rel).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise SeedError(f"{self.folder / rel}: not UTF-8 text") from None
        return {"id": str(rel.with_suffix("")), "path": str(rel), "text": text.strip()}


def detect_format(path: Path) -> str:
    """The seed's format from its suffix, or (a folder) from what it holds."""
    if path.is_dir():
        if (path / "state.json").exists() or (path / "dataset_dict.json").exists():
            return "hf"
        return "text"
    suffix = path.suffix.lower()
    known = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv"}
    known |= {".parquet": "parquet", ".pq": "parquet"}
    if suffix not in known:
        raise SeedError(
            f"cannot tell the format of {path.name} (known: .jsonl, .csv, .tsv, .parquet, a "
            "`datasets` folder or a folder of text files); give `format:`"
        )
    return known[suffix]


def open_table(path: Path, fmt: str = "auto") -> Table:
    """Open one seed file or folder as a `Table`."""
    if not path.exists():
        raise SeedError(f"file not found: {path}")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt in ("jsonl", "csv", "tsv"):
        if path.is_dir():
            raise SeedError(f"{path} is a folder, not a {fmt} file")
        return _LineTable(path, fmt)
    if fmt == "parquet":
        return _ParquetTable(path)
    if not path.is_dir():
        raise SeedError(f"{path} is a file; format '{fmt}' reads a folder")
    return _hf_table(path) if fmt == "hf" else _TextFolder(path)


class Seed:
    """A scenario's seed: the rows in its range, as JSON-safe dicts. Pickles by reopening."""

    def __init__(self, spec: SeedSpec, path: Path, table: Table | None = None) -> None:
        self.spec, self.path = spec, path
        self._table = table

    @property
    def table(self) -> Table:
        if self._table is None:
            self._table = open_table(self.path, self.spec.format)
        return self._table

    @property
    def columns(self) -> list[str]:
        return list(self.table.columns)

    @property
    def start(self) -> int:
        return self.spec.rows.start if self.spec.rows else 0

    def __len__(self) -> int:
        total = len(self.table)
        stop = self.spec.rows.stop if self.spec.rows and self.spec.rows.stop else total
        return max(0, min(stop, total) - self.start)

    def row(self, i: int) -> dict[str, Any]:
        """Row `i` of the range (0-based) as JSON-safe data."""
        if not 0 <= i < len(self):
            raise IndexError(f"row {i} is outside the seed's {len(self)} rows")
        return json_safe(self.table.row(self.start + i))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self.row(i) for i in range(len(self)))

    @property
    def capacity(self) -> int:
        """Samples the seed gives: rows × per_row."""
        return len(self) * self.spec.per_row

    def close(self) -> None:
        if self._table is not None:
            self._table.close()
            self._table = None

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self.spec, "path": self.path, "_table": None}


def open_seed(spec: SeedSpec | str, base: Path) -> Seed:
    """Open the seed a scenario names (paths relative to `base`, the scenario's folder)."""
    spec = SeedSpec.model_validate(_seed(spec))
    path = resolve_seed_path(spec.path, base)
    seed = Seed(spec, path, open_table(path, spec.format))
    if len(seed) == 0:
        raise SeedError(f"{path}: no rows" + (" in the given range" if spec.rows else ""))
    return seed


def fingerprint(path: Path) -> str:
    """A content hash of a seed file or folder, so a resumed run notices changed data."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


# -- which row each sample gets ------------------------------------------------------------
def row_for(index: int, rows: int, spec: SeedSpec, run_seed: int) -> int:
    """The row (0-based, within the range) that sample `index` grounds in."""
    if spec.sampling == "with_replacement":
        return random.Random(_key(run_seed, "seed-row", index)).randrange(rows)
    slot = index // spec.per_row
    if slot >= rows:
        raise IndexError(f"sample {index} is past the seed's {rows} rows × {spec.per_row}")
    return slot if spec.sampling == "ordered" else permute(slot, rows, run_seed)


def _key(*parts: object) -> int:
    text = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def permute(i: int, n: int, run_seed: int) -> int:
    """A seeded bijection of range(n): a 4-round Feistel network over 2k bits, cycle-walked."""
    bits = max(2, (n - 1).bit_length())
    bits += bits % 2
    half, mask = bits // 2, (1 << (bits // 2)) - 1
    keys = [_key(run_seed, "shuffle", r) for r in range(4)]
    x = i
    while True:
        left, right = x >> half, x & mask
        for k in keys:
            f = int.from_bytes(
                hashlib.blake2b(
                    right.to_bytes(8, "big"), digest_size=8, key=k.to_bytes(8, "big")
                ).digest(),
                "big",
            )
            left, right = right, left ^ (f & mask)
        x = (left << half) | right
        if x < n:
            return x
