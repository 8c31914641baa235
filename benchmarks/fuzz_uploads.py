"""Hostile files through the CLI and the web upload: nothing crashes, nothing is lost, every refusal says why.

    python -m benchmarks.fuzz_uploads [--files 2000] [--seed 1] [--batch 100] [--no-web] [--no-memory]

The files are generated at run time from `--seed`: good photos (the sample event photos as JPEG,
PNG, WebP and HEIC, each made unique) and a small generated video, then bit flips, truncations,
splices, wrong formats (BMP, GIF, TIFF, PDF, ZIP, text), sizes declared huge in every format (PNG,
JPEG, WebP, HEIC and HEIC grids, MP4), polyglots, under hostile names. They go through
`mediacheck check --json` in batches of `--batch` files, and one by one through the web upload of
`mediacheck serve` with its worker, which checks every file taken in. Counted: crashes (no JSON,
a traceback, a dropped connection), server errors (5xx), files lost (sent but never answered for),
refusals without a reason or with internals in it, and the good files checked.

Memory: four 64 MP PNGs (180 KB each) uploaded at once, then their thumbnails asked for at once;
the web process's peak resident memory (VmHWM) is read from /proc.
"""

import argparse
import io
import json
import random
import re
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pillow_heif
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.samples import EVENTS

pillow_heif.register_heif_opener()
INTERNALS = re.compile(
    r"b'|b\"|Error\b|Exception|Traceback|\bNone\b|0x[0-9a-f]|Errno|\.py\b|(?i:invalid input|not processed|"
    r"limit exceeded|decompression bomb|dos attack|plugin|libheif|ffmpeg|cannot identify)"
)
"""What a teacher should never read: bytes, exception classes, tracebacks, code, a decoder's own words."""


@dataclass(frozen=True)
class Hostile:
    name: str
    """The name sent (the web upload) and, made safe for a disk, the file's name for the CLI."""
    data: bytes
    good: bool
    """An intact photo or video: it must be checked, not refused."""
    kind: str


# --- generating --------------------------------------------------------------------------------


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full_box(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags) + payload)


def _children(data: bytes) -> dict[bytes, bytes]:
    found, at = {}, 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        found.setdefault(kind, data[at : at + size])
        at += max(size, 8)
    return found


def encode(pixels: np.ndarray, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt, **options)
    return buffer.getvalue()


def heic_grid(output: tuple[int, int]) -> bytes:
    """A HEIC whose primary image is a grid of one 64 px tile declaring an `output` size: the
    image reports 64×64, and libheif finds the true size only when it decodes (RuntimeError)."""
    tile = encode(np.full((64, 64, 3), 90, np.uint8), "HEIF")
    top = _children(tile)
    meta = _children(top[b"meta"][12:])
    hvcc = _children(_children(meta[b"iprp"][8:])[b"ipco"][8:])[b"hvcC"]
    tile_data, grid_data = top[b"mdat"][8:], struct.pack(">BBBBII", 0, 1, 0, 0, *output)
    ispe = _full_box(b"ispe", 0, 0, struct.pack(">II", 64, 64))
    properties = _box(b"ipco", hvcc + ispe)
    ipma = _full_box(b"ipma", 0, 0, struct.pack(">IHB", 2, 1, 2) + b"\x81\x02" + struct.pack(">HB", 2, 1) + b"\x82")

    def head(base: int) -> bytes:
        iloc = _full_box(
            b"iloc",
            0,
            0,
            b"\x44\x00"
            + struct.pack(">H", 2)
            + struct.pack(">HHHII", 1, 0, 1, base, len(tile_data))
            + struct.pack(">HHHII", 2, 0, 1, base + len(tile_data), len(grid_data)),
        )
        infe = [_full_box(b"infe", 2, 1, struct.pack(">HH4s", 1, 0, b"hvc1") + b"\0")]
        infe.append(_full_box(b"infe", 2, 0, struct.pack(">HH4s", 2, 0, b"grid") + b"\0"))
        iinf = _full_box(b"iinf", 0, 0, struct.pack(">H", 2) + b"".join(infe))
        iref = _full_box(b"iref", 0, 0, _box(b"dimg", struct.pack(">HHH", 2, 1, 1)))
        pitm = _full_box(b"pitm", 0, 0, struct.pack(">H", 2))
        return top[b"ftyp"] + _full_box(
            b"meta", 0, 0, meta[b"hdlr"] + pitm + iloc + iinf + iref + _box(b"iprp", properties + ipma)
        )

    return head(len(head(0)) + 8) + _box(b"mdat", tile_data + grid_data)


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of `width`×`height` black pixels, compressed to almost nothing (8000² is ~180 KB)."""
    row = b"\0" + b"\0" * (width * 3)
    body = zlib.compressobj(9)
    chunks = [body.compress(row) for _ in range(height)] + [body.flush()]

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(chunks)) + chunk(b"IEND", b"")


def _declared(data: bytes, fmt: str, width: int, height: int) -> bytes:
    """`data` with its header claiming `width`×`height` (checksums mended where there are any)."""
    if fmt == "PNG":
        at = data.index(b"IHDR")
        header = struct.pack(">II", width, height) + data[at + 12 : at + 17]
        return data[: at + 4] + header + struct.pack(">I", zlib.crc32(b"IHDR" + header)) + data[at + 21 :]
    if fmt == "JPEG":
        at = max(data.find(b"\xff\xc0"), data.find(b"\xff\xc2"))
        return data[: at + 5] + struct.pack(">HH", min(height, 65535), min(width, 65535)) + data[at + 9 :]
    if fmt == "WEBP":
        at = data.find(b"VP8X")
        if at >= 0:
            canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
            return data[: at + 12] + canvas + data[at + 18 :]
        at = data.index(b"VP8 ") + 14
        return data[:at] + struct.pack("<HH", width & 0x3FFF, height & 0x3FFF) + data[at + 4 :]
    if fmt == "HEIF":
        at = data.index(b"ispe")
        return data[: at + 8] + struct.pack(">II", width, height) + data[at + 16 :]
    at = data.find(b"tkhd")  # MP4: the track header's size (16.16 fixed point)
    return data[: at + 80] + struct.pack(">II", min(width, 65535) << 16, min(height, 65535) << 16) + data[at + 88 :]


def small_video(seed: int) -> bytes:
    """Two seconds of 160×120 H.264 with a moving square, made unique by `seed`."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for frame in range(20):
            pixels = np.full((120, 160, 3), (seed * 37) % 200 + 20, np.uint8)
            pixels[40:80, 5 * frame : 5 * frame + 40] = 240
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


WRONG_FORMATS: dict[str, Callable[[], bytes]] = {
    "bmp": lambda: encode(np.full((40, 40, 3), 120, np.uint8), "BMP"),
    "gif": lambda: encode(np.full((40, 40, 3), 120, np.uint8), "GIF"),
    "tiff": lambda: encode(np.full((40, 40, 3), 120, np.uint8), "TIFF"),
    "pdf": lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "zip": lambda: b"PK\x03\x04" + bytes(60),
    "text": lambda: b"a letter to parents, not a photo\n",
    "html": lambda: b"<html><script>alert(1)</script></html>",
    "empty": lambda: b"",
    "avif-brand": lambda: b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64),
}
HOSTILE_NAMES = [
    "../../etc/passwd.jpg",
    "..\\..\\windows\\system.ini.jpg",
    "photo\u202egpj.exe",
    "<script>alert(1)</script>.jpg",
    "CON",
    "name with spaces and 'quotes\".jpeg",
    "x" * 300 + ".jpg",
    "emoji-\U0001f600.heic",
    "no_suffix",
    "IMG_0001.JFIF",
    "IMG_0002.jpe",
    "clip.MP4",
    "tab\tand\nnewline.png",
    "%00null.jpg",
    "photo.jpg.mov",
]


class Generator:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.photos = [np.asarray(Image.open(path).convert("RGB")) for path in sorted(EVENTS.glob("*.jpg"))]
        self.count = 0

    def good_photo(self) -> tuple[bytes, str]:
        """A sample event photo in one of the four formats, made unique by one changed corner pixel."""
        pixels = self.random.choice(self.photos).copy()
        self.count += 1
        pixels[0, 0] = (self.count % 256, self.count // 256 % 256, self.random.randrange(256))
        fmt = self.random.choice(["JPEG", "JPEG", "PNG", "WEBP", "HEIF"])
        options = {"quality": 90} if fmt != "PNG" else {"compress_level": 1}
        return encode(pixels, fmt, **options), fmt

    def one(self, n: int) -> Hostile:
        roll = self.random.random()
        if roll < 0.12:
            if self.random.random() < 0.08:
                return Hostile(f"good_{n}.mp4", small_video(n), True, "good video")
            data, fmt = self.good_photo()
            return Hostile(f"good_{n}{_SUFFIX[fmt]}", data, True, "good photo")
        data, fmt = self.good_photo() if self.random.random() < 0.9 else (small_video(n), "MP4")
        kind, data = self._mutated(data, fmt)
        return Hostile(self._name(n, fmt), data, False, kind)

    def _mutated(self, data: bytes, fmt: str) -> tuple[str, bytes]:
        rng = self.random
        roll = rng.random()
        if roll < 0.3:
            flipped = bytearray(data)
            for _ in range(rng.randint(1, 24)):
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            return "bit flips", bytes(flipped)
        if roll < 0.45:
            return "truncated", data[: rng.randrange(len(data))]
        if roll < 0.55:
            other, _ = self.good_photo()
            return "spliced", data[: rng.randrange(len(data))] + other[rng.randrange(len(other)) :]
        if roll < 0.68:
            name = rng.choice(sorted(WRONG_FORMATS))
            return f"wrong format ({name})", WRONG_FORMATS[name]()
        if roll < 0.85:
            width, height = rng.choice([(65535, 65535), (65536, 65536), (8001, 8000), (100_000, 3), (1, 16384)])
            if fmt == "HEIF" and rng.random() < 0.5:
                return "huge declared size (HEIC grid)", heic_grid((width, height))
            if rng.random() < 0.15:
                return "huge declared size (PNG, real)", png_declaring(8000, 8000)
            try:
                return f"huge declared size ({fmt})", _declared(data, fmt, width, height)
            except ValueError:
                return "truncated", data[: len(data) // 2]
        other = rng.choice([small_video(rng.randrange(1000)), encode(self.photos[0][:64, :64], "PNG"), b"PK\x03\x04"])
        return "polyglot", (data + other) if rng.random() < 0.5 else (other[:64] + data)

    def _name(self, n: int, fmt: str) -> str:
        if self.random.random() < 0.35:
            return f"{n}-{self.random.choice(HOSTILE_NAMES)}"
        return f"file_{n}{self.random.choice([_SUFFIX[fmt], '.mp4', '.jpg', '.png', ''])}"


_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "HEIF": ".heic", "MP4": ".mp4"}


def generate(count: int, seed: int) -> list[Hostile]:
    generator = Generator(seed)
    return [generator.one(n) for n in range(count)]


def disk_name(name: str) -> str:
    """The name made storable: no folders, no control characters, not hidden, not too long."""
    safe = re.sub(r"[/\\\x00-\x1f]", "_", name).lstrip(".") or "unnamed"
    return safe[-200:]


# --- through the CLI ---------------------------------------------------------------------------


@dataclass
class Tally:
    files: int = 0
    crashes: int = 0
    server_errors: int = 0
    lost: int = 0
    no_reason: int = 0
    internals: int = 0
    refused: int = 0
    good: int = 0
    good_checked: int = 0
    seconds: float = 0.0

    def reason(self, text: str | None) -> None:
        if not text or not text.strip():
            self.no_reason += 1
        elif INTERNALS.search(text):
            self.internals += 1
            print(f"internals in a message: {text!r}", file=sys.stderr)


def through_cli(files: list[Hostile], batch: int, folder: Path) -> Tally:
    tally = Tally(files=len(files), good=sum(f.good for f in files))
    started = time.perf_counter()
    for first in range(0, len(files), batch):
        chunk = files[first : first + batch]
        where = folder / f"batch{first}"
        where.mkdir()
        paths = []
        for n, hostile in enumerate(chunk):
            path = where / f"{n:04d}_{disk_name(hostile.name)}"
            path.write_bytes(hostile.data)
            paths.append(path)
        command = [sys.executable, "-m", "mediacheck", "check", "--json", "--offline", *map(str, paths)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        try:
            report = json.loads(done.stdout)
        except json.JSONDecodeError:
            report = None
        if report is None or done.returncode not in (0, 1) or "Traceback" in done.stderr:
            tally.crashes += 1
            print(f"batch {first}: exit {done.returncode}\n{done.stderr[-2000:]}", file=sys.stderr)
        report = report or {}
        outcomes = {entry["path"]: entry for entry in [*report.get("images", []), *report.get("videos", [])]}
        for path, hostile in zip(paths, chunk, strict=True):
            entry = outcomes.get(str(path))
            if entry is None:
                tally.lost += 1
                continue
            if entry["error"]:
                tally.refused += 1
                tally.reason(entry["error"])
            elif hostile.good:
                tally.good_checked += 1
            if hostile.good and entry["error"]:
                print(f"good file refused: {hostile.name} ({hostile.kind}): {entry['error']}", file=sys.stderr)
    tally.seconds = time.perf_counter() - started
    return tally


# --- through the web upload --------------------------------------------------------------------


def through_web(files: list[Hostile], folder: Path, memory: bool) -> tuple[Tally, dict[str, float]]:
    import httpx

    from mediacheck.config import AppSettings
    from tests.web.audiences import csrf_token, log_in
    from tests.web.servers import ADMIN_PASSWORD, running_app
    from tests.worker.workers import wait_for
    from web.auth import CSRF_HEADER

    settings = AppSettings(data_dir=folder / "data", database_url=f"sqlite:///{folder / 'records.db'}")
    tally = Tally(files=len(files), good=sum(f.good for f in files))
    peaks: dict[str, float] = {}
    folder.mkdir(parents=True, exist_ok=True)
    app = running_app(settings, folder / "serve.log")
    with app as server, httpx.Client(base_url=server.url, timeout=120) as client:
        log_in(client, "admin", ADMIN_PASSWORD)
        token = csrf_token(client)
        album = _album(client, token, "Fuzzed uploads")
        started = time.perf_counter()
        accepted: dict[int, Hostile] = {}
        for hostile in files:
            try:
                answer = client.post(
                    f"/albums/{album}/files",
                    params={"name": hostile.name},
                    content=hostile.data,
                    headers={CSRF_HEADER: token, "Accept": "application/json"},
                )
            except httpx.HTTPError as error:
                tally.crashes += 1
                print(f"{hostile.name!r}: {error}", file=sys.stderr)
                continue
            if answer.status_code >= 500:
                tally.server_errors += 1
            elif answer.status_code == 201:
                accepted[answer.json()["id"]] = hostile
            elif answer.status_code == 422:
                tally.refused += 1
                tally.reason(answer.json().get("error"))
                if hostile.good:
                    print(f"good file refused at upload: {hostile.name}: {answer.text}", file=sys.stderr)
            else:
                tally.lost += 1
                print(f"{hostile.name!r}: answered {answer.status_code}", file=sys.stderr)

        def states() -> dict[int, dict]:
            listed = client.get(f"/api/albums/{album}/files", headers={"Accept": "application/json"}).json()
            return {entry["id"]: entry for entry in listed}

        def settled() -> bool:
            found = states()
            return all(found.get(i, {}).get("state") in ("checked", "failed") for i in accepted)

        try:
            wait_for(settled, 60 + 3 * len(accepted), "the worker to check every file taken in", interval=1.0)
        except Exception as error:  # noqa: BLE001 - what did not settle is counted as lost below
            print(error, file=sys.stderr)
        found = states()
        for media_id, hostile in accepted.items():
            entry = found.get(media_id)
            if entry is None or entry["state"] not in ("checked", "failed"):
                tally.lost += 1
            elif entry["state"] == "failed":
                tally.refused += 1
                tally.reason(entry["reason"])
                if hostile.good:
                    print(f"good file failed: {hostile.name}: {entry['reason']}", file=sys.stderr)
            elif hostile.good:
                tally.good_checked += 1
        tally.seconds = time.perf_counter() - started
        if memory:
            peaks = _memory(client, token, server.url)
    return tally, peaks


def _album(client, token: str, name: str) -> int:
    answer = client.post("/albums", data={"name": name, "csrf_token": token})
    return int(answer.headers["location"].rsplit("/", 1)[1])


def _memory(client, token: str, url: str) -> dict[str, float]:
    """Peak resident memory of the web process, in MB, before and after four 64 MP uploads at once
    and their four thumbnails at once."""
    from web.auth import CSRF_HEADER

    pid = _web_pid(url)
    before = _peak_mb(pid)
    album = _album(client, token, "Four large photos")
    photos = [png_declaring(8000, 8000 - n) for n in range(4)]  # 64 MP each, distinct

    def upload(data: bytes) -> int:
        answer = client.post(
            f"/albums/{album}/files", params={"name": "large.png"}, content=data, headers={CSRF_HEADER: token}
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(upload, photos))
    after_upload = _peak_mb(pid)
    with ThreadPoolExecutor(4) as pool:
        sizes = list(pool.map(lambda i: len(client.get(f"/media/{i}/thumb").content), ids))
    assert all(size > 0 for size in sizes)
    return {"before": before, "uploads": after_upload, "thumbnails": _peak_mb(pid), "file_kb": len(photos[0]) / 1024}


def _web_pid(url: str) -> int:
    port = url.rsplit(":", 1)[1]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in words and port.encode() in words:
            return int(cmdline.parent.name)
    raise RuntimeError("the web process was not found")


def _peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024


# --- the table ---------------------------------------------------------------------------------


def table(rows: dict[str, Tally]) -> str:
    lines = [
        "| path | files | crashes | server errors | files lost | refusals without reason | internals in reasons "
        "| refused | good files checked | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for path, t in rows.items():
        lines.append(
            f"| {path} | {t.files:,} | {t.crashes} | {t.server_errors} | {t.lost} | {t.no_reason} | {t.internals} "
            f"| {t.refused:,} | {t.good_checked}/{t.good} | {t.seconds:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Tally]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--no-web", action="store_true", help="Only the CLI.")
    parser.add_argument("--no-memory", action="store_true", help="Skip the four 64 MP uploads.")
    args = parser.parse_args(argv)
    files = generate(args.files, args.seed)
    print(f"{len(files)} files: {dict(Counter(f.kind.split(' (')[0] for f in files))}", file=sys.stderr)
    rows: dict[str, Tally] = {}
    with tempfile.TemporaryDirectory() as temporary:
        rows[f"CLI, batches of {args.batch}"] = through_cli(files, args.batch, Path(temporary))
        print(table(rows), file=sys.stderr)
        if not args.no_web:
            web, peaks = through_web(files, Path(temporary) / "web", not args.no_memory)
            rows["web upload + worker"] = web
    print(table(rows))
    if not args.no_web and peaks:
        print(
            f"\nweb process peak memory: {peaks['before']:.0f} MB before, {peaks['uploads']:.0f} MB after four "
            f"64 MP PNGs ({peaks['file_kb']:.0f} KB each) uploaded at once, {peaks['thumbnails']:.0f} MB after "
            "their four thumbnails at once"
        )
    return rows


if __name__ == "__main__":
    main()
